// StandardAuthorizer semantics, table-driven after Kafka's `StandardAuthorizerTest` (super users, wildcard
// principal/host/resource, prefixed patterns, implied operations, DENY over ALLOW, allow.everyone.if.no.acl.found,
// authorizeByResourceType).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS_PRINCIPAL, type KafkaPrincipal } from '../principal.ts';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from './acl.ts';
import { StandardAuthorizer } from './standard-authorizer.ts';

const alice: KafkaPrincipal = { type: 'User', name: 'alice' };
const acl = (partial: Partial<AclBinding>): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperation.READ,
  permissionType: AclPermissionType.ALLOW,
  ...partial,
});

function authorizer(acls: readonly AclBinding[], options: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}): StandardAuthorizer {
  const result = new StandardAuthorizer({ superUsers: options.superUsers ?? [], allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false });
  for (const binding of acls) result.add(binding);
  return result;
}

const cases: { name: string; acls: AclBinding[]; principal?: KafkaPrincipal; host?: string; operation: AclOperation; resource?: string; allowEveryone?: boolean; superUsers?: string[]; allowed: boolean }[] = [
  { name: 'no ACL at all: denied by default', acls: [], operation: AclOperation.READ, allowed: false },
  { name: 'no ACL at all, allow.everyone.if.no.acl.found: allowed', acls: [], operation: AclOperation.READ, allowEveryone: true, allowed: true },
  { name: 'ACLs exist for the resource (other user): allow.everyone does not apply', acls: [acl({ principal: 'User:bob' })], operation: AclOperation.READ, allowEveryone: true, allowed: false },
  { name: 'literal ALLOW READ', acls: [acl({})], operation: AclOperation.READ, allowed: true },
  { name: 'READ does not grant WRITE', acls: [acl({})], operation: AclOperation.WRITE, allowed: false },
  { name: 'READ implies DESCRIBE', acls: [acl({})], operation: AclOperation.DESCRIBE, allowed: true },
  { name: 'WRITE implies DESCRIBE', acls: [acl({ operation: AclOperation.WRITE })], operation: AclOperation.DESCRIBE, allowed: true },
  { name: 'DELETE implies DESCRIBE', acls: [acl({ operation: AclOperation.DELETE })], operation: AclOperation.DESCRIBE, allowed: true },
  { name: 'ALTER implies DESCRIBE', acls: [acl({ operation: AclOperation.ALTER })], operation: AclOperation.DESCRIBE, allowed: true },
  { name: 'CREATE does not imply DESCRIBE', acls: [acl({ operation: AclOperation.CREATE })], operation: AclOperation.DESCRIBE, allowed: false },
  { name: 'ALTER_CONFIGS implies DESCRIBE_CONFIGS', acls: [acl({ operation: AclOperation.ALTER_CONFIGS })], operation: AclOperation.DESCRIBE_CONFIGS, allowed: true },
  { name: 'READ does not imply DESCRIBE_CONFIGS', acls: [acl({})], operation: AclOperation.DESCRIBE_CONFIGS, allowed: false },
  { name: 'ALL grants everything', acls: [acl({ operation: AclOperation.ALL })], operation: AclOperation.ALTER_CONFIGS, allowed: true },
  { name: 'DENY wins over ALLOW', acls: [acl({ operation: AclOperation.ALL }), acl({ permissionType: AclPermissionType.DENY })], operation: AclOperation.READ, allowed: false },
  { name: 'DENY READ does not deny DESCRIBE (implications are for ALLOW only)', acls: [acl({ operation: AclOperation.ALL }), acl({ permissionType: AclPermissionType.DENY })], operation: AclOperation.DESCRIBE, allowed: true },
  { name: 'DENY ALL denies every operation', acls: [acl({ operation: AclOperation.ALL }), acl({ operation: AclOperation.ALL, permissionType: AclPermissionType.DENY })], operation: AclOperation.DESCRIBE, allowed: false },
  { name: 'wildcard principal User:*', acls: [acl({ principal: 'User:*' })], operation: AclOperation.READ, allowed: true },
  { name: 'wildcard resource *', acls: [acl({ resourceName: '*' })], operation: AclOperation.READ, allowed: true },
  { name: 'prefixed pattern covers names starting with it', acls: [acl({ resourceName: 'ord', patternType: PatternType.PREFIXED })], operation: AclOperation.READ, allowed: true },
  { name: 'prefixed pattern does not cover other names', acls: [acl({ resourceName: 'pay', patternType: PatternType.PREFIXED })], operation: AclOperation.READ, allowed: false },
  { name: 'prefixed DENY over literal ALLOW', acls: [acl({}), acl({ resourceName: 'o', patternType: PatternType.PREFIXED, principal: 'User:*', permissionType: AclPermissionType.DENY })], operation: AclOperation.READ, allowed: false },
  { name: 'literal ACL named like a prefix does not match longer names', acls: [acl({ resourceName: 'ord' })], operation: AclOperation.READ, allowed: false },
  { name: 'host must match', acls: [acl({ host: '10.0.0.1' })], host: '10.0.0.2', operation: AclOperation.READ, allowed: false },
  { name: 'host matches exactly', acls: [acl({ host: '10.0.0.1' })], host: '10.0.0.1', operation: AclOperation.READ, allowed: true },
  { name: 'other principal', acls: [acl({})], principal: ANONYMOUS_PRINCIPAL, operation: AclOperation.READ, allowed: false },
  { name: 'super user bypasses DENY', acls: [acl({ operation: AclOperation.ALL, permissionType: AclPermissionType.DENY })], superUsers: ['User:alice'], operation: AclOperation.READ, allowed: true },
  { name: 'ACLs of another resource type do not apply', acls: [acl({ resourceType: ResourceType.GROUP })], operation: AclOperation.READ, allowed: false },
];

for (const c of cases) {
  test(`authorize: ${c.name}`, () => {
    const subject = authorizer(c.acls, { allowEveryoneIfNoAclFound: c.allowEveryone ?? false, superUsers: c.superUsers ?? [] });
    assert.equal(subject.authorize(c.principal ?? alice, c.host ?? '127.0.0.1', c.operation, ResourceType.TOPIC, c.resource ?? 'orders'), c.allowed);
  });
}

test('remove: the resource has no ACL left, so allow.everyone applies again', () => {
  const binding = acl({ principal: 'User:bob' });
  const subject = authorizer([binding], { allowEveryoneIfNoAclFound: true });
  assert.equal(subject.authorize(alice, '127.0.0.1', AclOperation.READ, ResourceType.TOPIC, 'orders'), false);
  assert.equal(subject.remove(binding), true);
  assert.equal(subject.remove(binding), false);
  assert.equal(subject.authorize(alice, '127.0.0.1', AclOperation.READ, ResourceType.TOPIC, 'orders'), true);
});

test('add: an equal binding is one ACL', () => {
  const subject = authorizer([acl({}), acl({})]);
  assert.equal(subject.acls().length, 1);
});

const byType: { name: string; acls: AclBinding[]; allowed: boolean }[] = [
  { name: 'no ACL: denied', acls: [], allowed: false },
  { name: 'WRITE on one topic', acls: [acl({ operation: AclOperation.WRITE })], allowed: true },
  { name: 'WRITE on one topic, denied on the same literal', acls: [acl({ operation: AclOperation.WRITE }), acl({ operation: AclOperation.WRITE, permissionType: AclPermissionType.DENY })], allowed: false },
  { name: 'WRITE on one topic, denied by a prefix of it', acls: [acl({ operation: AclOperation.WRITE }), acl({ resourceName: 'or', patternType: PatternType.PREFIXED, operation: AclOperation.WRITE, permissionType: AclPermissionType.DENY })], allowed: false },
  { name: 'prefixed WRITE not covered by a DENY', acls: [acl({ resourceName: 'a', patternType: PatternType.PREFIXED, operation: AclOperation.WRITE }), acl({ operation: AclOperation.WRITE, permissionType: AclPermissionType.DENY })], allowed: true },
  { name: 'wildcard DENY', acls: [acl({ operation: AclOperation.WRITE }), acl({ resourceName: '*', operation: AclOperation.WRITE, permissionType: AclPermissionType.DENY })], allowed: false },
  { name: 'READ only', acls: [acl({})], allowed: false },
];

for (const c of byType) {
  test(`authorizeByResourceType: ${c.name}`, () => {
    assert.equal(authorizer(c.acls).authorizeByResourceType(alice, '127.0.0.1', AclOperation.WRITE, ResourceType.TOPIC), c.allowed);
  });
}

test('prefixed ACLs of several lengths: each applies to its names; removing one leaves the others', () => {
  const short = acl({ resourceName: 'o', patternType: PatternType.PREFIXED, operation: AclOperation.WRITE });
  const long = acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED, permissionType: AclPermissionType.DENY, operation: AclOperation.WRITE });
  const subject = authorizer([short, long]);
  const write = (name: string) => subject.authorize(alice, '127.0.0.1', AclOperation.WRITE, ResourceType.TOPIC, name);
  assert.deepEqual([write('o'), write('orders'), write('orders-eu'), write('payments')], [true, true, false, false]);
  subject.remove(long);
  assert.deepEqual([write('o'), write('orders'), write('orders-eu'), write('payments')], [true, true, true, false]);
  subject.remove(short);
  assert.equal(write('orders'), false);
});
