// Decides whether a principal may perform an operation on a resource, with the semantics of Kafka's
// `StandardAuthorizer` (org.apache.kafka.metadata.authorizer.StandardAuthorizerData):
// - a super user (`super.users`) may do everything;
// - the ACLs that apply to a resource are those on its literal name, on the wildcard `*`, and prefixed ones whose
//   prefix starts the name; when there are none at all, `allow.everyone.if.no.acl.found` decides;
// - of those, an ACL applies to a request when its principal is the caller's or `User:*` and its host is the
//   caller's address or `*`;
// - a matching DENY (operation ALL or the operation itself) wins over any ALLOW;
// - an ALLOW matches the operation itself, ALL, or an operation that implies it: READ, WRITE, DELETE and ALTER
//   imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS (`AclEntry.supportedOperations` implications).
// The ACLs themselves live in an `AclStore` (durable); this class keeps the index the checks read.
import { principalToString, type KafkaPrincipal } from '../principal.ts';
import { AclOperation, AclPermissionType, PatternType, WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE, bindingKey, filterMatches, type AclBinding, type AclBindingFilter, type ResourceType } from './acl.ts';

export interface StandardAuthorizerConfig {
  /** `super.users`: principals (`User:admin`) allowed everything, ACLs or not. */
  readonly superUsers: readonly string[];
  /** `allow.everyone.if.no.acl.found` (Kafka: false). */
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** The ACLs of one resource type, indexed for the per-request check. */
interface TypeIndex {
  readonly literal: Map<string, AclBinding[]>;
  /** Prefixed patterns by prefix. */
  readonly prefixed: Map<string, AclBinding[]>;
  /**
   * The distinct prefix lengths, longest first, with how many prefixes have each: a check looks up the resource
   * name's prefix of each length (a few map lookups) instead of testing every prefixed ACL.
   */
  prefixLengths: number[];
  readonly prefixLengthCounts: Map<number, number>;
}

/** Kafka's `Authorizer.authorizeByResourceType` checks this name first (super users, wildcard ALLOWs, no ACLs). */
const HARDCODED_RESOURCE_NAME = 'hardcode';

export class StandardAuthorizer {
  private readonly superUsers: ReadonlySet<string>;
  private readonly bindings = new Map<string, AclBinding>();
  private readonly byType = new Map<number, TypeIndex>();

  constructor(private readonly config: StandardAuthorizerConfig) {
    this.superUsers = new Set(config.superUsers);
  }

  /** Every ACL, in creation order. */
  acls(): AclBinding[] {
    return [...this.bindings.values()];
  }

  /** The ACLs `filter` matches (DescribeAcls, DeleteAcls). */
  matching(filter: AclBindingFilter): AclBinding[] {
    return this.acls().filter((binding) => filterMatches(filter, binding));
  }

  /** Adds a binding to the index; false when an equal one is already there. */
  add(binding: AclBinding): boolean {
    const key = bindingKey(binding);
    if (this.bindings.has(key)) return false;
    this.bindings.set(key, binding);
    const index = this.indexOf(binding.resourceType);
    const byName = binding.patternType === PatternType.PREFIXED ? index.prefixed : index.literal;
    const list = byName.get(binding.resourceName);
    if (list === undefined) {
      byName.set(binding.resourceName, [binding]);
      if (binding.patternType === PatternType.PREFIXED) countPrefixLength(index, binding.resourceName.length, 1);
    } else list.push(binding);
    return true;
  }

  /** Removes a binding from the index; false when it was not there. */
  remove(binding: AclBinding): boolean {
    const key = bindingKey(binding);
    const stored = this.bindings.get(key);
    if (stored === undefined) return false;
    this.bindings.delete(key);
    const index = this.indexOf(binding.resourceType);
    const byName = binding.patternType === PatternType.PREFIXED ? index.prefixed : index.literal;
    const list = byName.get(binding.resourceName) ?? [];
    list.splice(list.indexOf(stored), 1);
    if (list.length === 0) {
      byName.delete(binding.resourceName);
      if (binding.patternType === PatternType.PREFIXED) countPrefixLength(index, binding.resourceName.length, -1);
    }
    return true;
  }

  isSuperUser(principal: KafkaPrincipal): boolean {
    return this.superUsers.size > 0 && this.superUsers.has(principalToString(principal));
  }

  /** Kafka's `Authorizer.authorize` for one action on one resource. */
  authorize(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    if (this.isSuperUser(principal)) return true;
    const index = this.byType.get(resourceType);
    if (index === undefined) return this.config.allowEveryoneIfNoAclFound;
    const caller = principalToString(principal);
    let found = false;
    let allowed = false;
    for (let source = 0; source < 2 + index.prefixLengths.length; source++) {
      let acls: AclBinding[] | undefined;
      if (source === 0) acls = index.literal.get(resourceName);
      else if (source === 1) acls = index.literal.get(WILDCARD_RESOURCE);
      else {
        const length = index.prefixLengths[source - 2];
        if (length > resourceName.length) continue;
        acls = index.prefixed.get(length === resourceName.length ? resourceName : resourceName.slice(0, length));
      }
      if (acls === undefined) continue;
      for (const acl of acls) {
        found = true;
        const decision = decide(acl, caller, host, operation);
        if (decision === DENIED) return false;
        if (decision === ALLOWED) allowed = true;
      }
    }
    if (!found) return this.config.allowEveryoneIfNoAclFound;
    return allowed;
  }

  /**
   * Kafka's `Authorizer.authorizeByResourceType`: may the caller perform `operation` on at least one resource of
   * the type (an idempotent producer's "WRITE on any topic", KIP-679)? An ALLOW counts unless a DENY on the same
   * literal name or on a prefix of it (or a wildcard DENY) cancels it.
   */
  authorizeByResourceType(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType): boolean {
    if (this.authorize(principal, host, operation, resourceType, HARDCODED_RESOURCE_NAME)) return true;
    const index = this.byType.get(resourceType);
    if (index === undefined) return false;
    const caller = principalToString(principal);
    const denyLiteral = new Set<string>();
    const denyPrefixed: string[] = [];
    const allowLiteral: string[] = [];
    const allowPrefixed: string[] = [];
    for (const acl of [...[...index.literal.values()].flat(), ...[...index.prefixed.values()].flat()]) {
      if (acl.principal !== caller && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.host !== host && acl.host !== WILDCARD_HOST) continue;
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
      const literal = acl.patternType === PatternType.LITERAL;
      if (acl.permissionType === AclPermissionType.DENY) {
        if (literal && acl.resourceName === WILDCARD_RESOURCE) return false;
        if (literal) denyLiteral.add(acl.resourceName);
        else denyPrefixed.push(acl.resourceName);
      } else {
        if (literal && acl.resourceName === WILDCARD_RESOURCE) return true;
        (literal ? allowLiteral : allowPrefixed).push(acl.resourceName);
      }
    }
    if (allowLiteral.some((name) => !denyLiteral.has(name) && !denyPrefixed.some((prefix) => name.startsWith(prefix)))) return true;
    return allowPrefixed.some((name) => !denyPrefixed.some((prefix) => name.startsWith(prefix)));
  }

  private indexOf(resourceType: number): TypeIndex {
    let index = this.byType.get(resourceType);
    if (index === undefined) {
      index = { literal: new Map(), prefixed: new Map(), prefixLengths: [], prefixLengthCounts: new Map() };
      this.byType.set(resourceType, index);
    }
    return index;
  }
}

function countPrefixLength(index: TypeIndex, length: number, delta: number): void {
  const count = (index.prefixLengthCounts.get(length) ?? 0) + delta;
  if (count === 0) index.prefixLengthCounts.delete(length);
  else index.prefixLengthCounts.set(length, count);
  index.prefixLengths = [...index.prefixLengthCounts.keys()].sort((a, b) => b - a);
}

const NOT_APPLICABLE = 0;
const DENIED = 1;
const ALLOWED = 2;

/** What one ACL of the resource says about the request: a matching DENY denies, a matching ALLOW allows. */
function decide(acl: AclBinding, caller: string, host: string, operation: AclOperation): number {
  if (acl.principal !== caller && acl.principal !== WILDCARD_PRINCIPAL) return NOT_APPLICABLE;
  if (acl.host !== host && acl.host !== WILDCARD_HOST) return NOT_APPLICABLE;
  if (acl.permissionType === AclPermissionType.DENY) return acl.operation === AclOperation.ALL || acl.operation === operation ? DENIED : NOT_APPLICABLE;
  return allowsOperation(acl.operation, operation) ? ALLOWED : NOT_APPLICABLE;
}

/** Whether an ALLOW for `granted` permits `requested` (Kafka's implied operations). */
function allowsOperation(granted: AclOperation, requested: AclOperation): boolean {
  if (granted === requested || granted === AclOperation.ALL) return true;
  if (requested === AclOperation.DESCRIBE) {
    return granted === AclOperation.READ || granted === AclOperation.WRITE || granted === AclOperation.DELETE || granted === AclOperation.ALTER;
  }
  return requested === AclOperation.DESCRIBE_CONFIGS && granted === AclOperation.ALTER_CONFIGS;
}
