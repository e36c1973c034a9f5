// `seqlog acls list|add|remove`: ACLs through the admin client (Kafka's `kafka-acls.sh`), against seqlog started
// with `--authorizer standard` or any Kafka with an authorizer. The resource is one of --topic, --group,
// --transactional-id or --cluster; `--json` prints the ACLs for scripts.
import type { Command } from 'commander';
import type { AclBinding, AclBindingFilter, AclOperation, AclPatternType, AclResourceType, DescribedAcl } from '../client/index.ts';
import { CliError } from './cli-failure.ts';
import { printJson, printTable, withAdmin } from './admin-commands.ts';
import { bootstrapOption, type ConnectionFlags } from './connection-options.ts';

interface ResourceOptions {
  topic?: string;
  group?: string;
  transactionalId?: string;
  cluster?: boolean;
  patternType?: string;
  principal?: string;
  host?: string;
  operation?: string[];
  deny?: boolean;
}

const CLUSTER_NAME = 'kafka-cluster';

function resourceOf(options: ResourceOptions): { resourceType: AclResourceType; resourceName: string } | null {
  const chosen: { resourceType: AclResourceType; resourceName: string }[] = [];
  if (options.topic !== undefined) chosen.push({ resourceType: 'TOPIC', resourceName: options.topic });
  if (options.group !== undefined) chosen.push({ resourceType: 'GROUP', resourceName: options.group });
  if (options.transactionalId !== undefined) chosen.push({ resourceType: 'TRANSACTIONAL_ID', resourceName: options.transactionalId });
  if (options.cluster === true) chosen.push({ resourceType: 'CLUSTER', resourceName: CLUSTER_NAME });
  if (chosen.length > 1) throw new CliError('name one resource: --topic, --group, --transactional-id or --cluster', 2);
  return chosen[0] ?? null;
}

function patternTypeOf(value: string | undefined, fallback: string): string {
  const upper = (value ?? fallback).toUpperCase();
  if (!['LITERAL', 'PREFIXED', 'ANY', 'MATCH'].includes(upper)) throw new CliError(`--pattern-type: expected literal, prefixed, any or match, got '${value}'`, 2);
  return upper;
}

function filterOf(options: ResourceOptions): AclBindingFilter {
  const resource = resourceOf(options);
  const operations = options.operation ?? [];
  if (operations.length > 1) throw new CliError('a filter takes at most one --operation', 2);
  return {
    ...(resource === null ? {} : resource),
    patternType: patternTypeOf(options.patternType, 'any') as AclBindingFilter['patternType'],
    principal: options.principal ?? null,
    host: options.host ?? null,
    ...(operations[0] === undefined ? {} : { operation: operations[0].toUpperCase() as AclOperation }),
    ...(options.deny === undefined ? {} : { permission: options.deny ? 'DENY' : 'ALLOW' }),
  };
}

function printAcls(acls: readonly DescribedAcl[], json: boolean | undefined, footer: string): void {
  if (json) return printJson(acls);
  printTable(
    ['resource type', 'name', 'pattern', 'principal', 'host', 'operation', 'permission'],
    acls.map((acl) => [acl.resourceType, acl.resourceName, acl.patternType, acl.principal, acl.host, acl.operation, acl.permission]),
    footer,
  );
}

function withResourceOptions(command: Command): Command {
  return bootstrapOption(command, 'broker to ask (any Kafka with an authorizer)')
    .option('--topic <name>', 'a topic (with --pattern-type prefixed: topics starting with it; * is every topic)')
    .option('--group <id>', 'a consumer group')
    .option('--transactional-id <id>', 'a transactional id')
    .option('--cluster', 'the cluster itself (create topics, manage ACLs, idempotent writes)')
    .option('--principal <principal>', 'User:<name>, or User:* for everyone')
    .option('--host <address>', 'the client address the ACL applies to (default: any)')
    .option('--json', 'print JSON instead of a table');
}

export function registerAclCommands(program: Command): void {
  const acls = program.command('acls').description('list, add and remove ACLs (brokers with an authorizer)');
  withResourceOptions(acls.command('list').description('list ACLs, all or those matching the options'))
    .option('--pattern-type <type>', 'literal, prefixed, any, or match (every ACL that applies to the named resource)', 'any')
    .option('--operation <op>', 'only ACLs for this operation')
    .action((options: ConnectionFlags & ResourceOptions & { operation?: string }) =>
      withAdmin(options, async (admin) => {
        const listed = await admin.describeAcls(filterOf({ ...options, operation: options.operation === undefined ? undefined : [options.operation] }));
        printAcls(listed, options.json, `${listed.length} ACL(s)`);
      }),
    );
  withResourceOptions(acls.command('add').description('add ACLs: one per --operation'))
    .option('--pattern-type <type>', 'literal or prefixed', 'literal')
    .requiredOption('--operation <ops...>', 'READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE or ALL')
    .option('--deny', 'a DENY ACL (DENY wins over any ALLOW)')
    .action((options: ConnectionFlags & ResourceOptions) =>
      withAdmin(options, async (admin) => {
        const resource = resourceOf(options);
        if (resource === null) throw new CliError('name the resource: --topic, --group, --transactional-id or --cluster', 2);
        if (options.principal === undefined) throw new CliError('--principal is required (User:<name> or User:*)', 2);
        const patternType = patternTypeOf(options.patternType, 'literal');
        if (patternType !== 'LITERAL' && patternType !== 'PREFIXED') throw new CliError('--pattern-type for add: literal or prefixed', 2);
        const added: AclBinding[] = (options.operation ?? []).map((operation) => ({
          ...resource,
          patternType: patternType as AclPatternType,
          principal: options.principal as string,
          host: options.host ?? '*',
          operation: operation.toUpperCase() as AclOperation,
          permission: options.deny ? 'DENY' : 'ALLOW',
        }));
        await admin.createAcls(added);
        printAcls(added as DescribedAcl[], options.json, `added ${added.length} ACL(s)`);
      }),
    );
  withResourceOptions(acls.command('remove').description('remove every ACL matching the options'))
    .option('--pattern-type <type>', 'literal, prefixed, any or match', 'any')
    .option('--operation <op>', 'only ACLs for this operation')
    .option('--deny', 'only DENY ACLs')
    .action((options: ConnectionFlags & ResourceOptions & { operation?: string }) =>
      withAdmin(options, async (admin) => {
        const removed = await admin.deleteAcls([filterOf({ ...options, operation: options.operation === undefined ? undefined : [options.operation] })]);
        printAcls(removed, options.json, `removed ${removed.length} ACL(s)`);
      }),
    );
}
