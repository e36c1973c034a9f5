// `seqlog topics`, `seqlog configs`, `seqlog groups`, `seqlog transactions`: operator commands on the admin client, against seqlog or any
// Kafka (`--bootstrap`). Tables for people (uncoloured into a pipe or under NO_COLOR), `--json` for scripts, and a
// failure is one line naming Kafka's error and what to do (cli-failure.ts).
import type { Command } from 'commander';
import Table from 'cli-table3';
import { Admin, KafkaClientError, bigintReplacer } from '../client/index.ts';
import type { AlterConfigOp, ConfigResource } from '../client/index.ts';
import { CliError } from './cli-failure.ts';
import { adminOptionsOf, bootstrapOption, type ConnectionFlags } from './connection-options.ts';
import { tableStyle } from './terminal.ts';


/** What to do after a Kafka error a command can meet, by error name. */
const hints: Readonly<Record<string, string>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'check the topic name with `seqlog topics list`',
  TOPIC_ALREADY_EXISTS: 'pick another name, or delete the topic first',
  INVALID_CONFIG: 'check the config name and value (`seqlog configs describe --topic <name> --all` lists them)',
  INVALID_REPLICATION_FACTOR: 'a single-node cluster hosts one replica: use --replication-factor 1',
  INVALID_PARTITIONS: 'partitions must be at least 1, and can only grow',
  NON_EMPTY_GROUP: 'stop the group\'s consumers first',
  GROUP_ID_NOT_FOUND: 'check the group id with `seqlog groups list`',
  TRANSACTIONAL_ID_NOT_FOUND: 'check the id with `seqlog transactions list`',
  NETWORK_EXCEPTION: 'is a broker running there? Start one with `npx seqlog serve` or pass --bootstrap host:port',
};

/**
 * Runs `run` with an admin client made from the flags and closes it; a Kafka error becomes a one-line failure. With
 * `operatorHints` (the operator commands) a failure says what to do next and a refused configuration is a usage
 * error; without (`seqlog scram`, whose flags also secure the connection) the client's message stands alone.
 */
export async function withAdmin<T>(flags: ConnectionFlags, run: (admin: Admin) => Promise<T>, operatorHints = true): Promise<T> {
  let admin: Admin;
  try {
    admin = new Admin(adminOptionsOf(flags));
  } catch (error) {
    throw new CliError(operatorHints ? `${(error as Error).message}; pass --bootstrap host:port` : (error as Error).message, 2);
  }
  try {
    return await run(admin);
  } catch (error) {
    if (error instanceof KafkaClientError) {
      if (!operatorHints) throw new CliError(error.message);
      // A mistake in what was asked, caught before sending (INVALID_CONFIG raised by the client), is a usage error.
      if (error.message.startsWith('invalid admin configuration')) throw new CliError(error.message, 2);
      const hint = hints[error.errorName];
      throw new CliError(hint === undefined ? error.message : `${error.message}; ${hint}`);
    }
    throw error;
  } finally {
    await admin.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, bigintReplacer)}\n`);
}

export function printTable(head: string[], rows: (string | number)[][], footer?: string): void {
  const table = new Table({ head, ...tableStyle(process.stdout) });
  for (const row of rows) table.push(row);
  process.stdout.write(`${table.toString()}\n${footer === undefined ? '' : `${footer}\n`}`);
}

function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliError(`${name} must be an integer, got '${value}'`, 2);
  return Number(value);
}

function parseAssignments(flag: string, values: readonly string[] | undefined): [string, string][] {
  return (values ?? []).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new CliError(`${flag} takes name=value, got '${entry}'`, 2);
    return [entry.slice(0, at), entry.slice(at + 1)];
  });
}

/** `--broker-defaults` is the cluster-wide default broker resource (Kafka's `--entity-default`, resource name ""). */
function configResource(options: { topic?: string; broker?: string; brokerDefaults?: boolean }): ConfigResource {
  const given = [options.topic !== undefined, options.broker !== undefined, options.brokerDefaults === true].filter(Boolean).length;
  if (given !== 1) throw new CliError('give exactly one of --topic <name>, --broker <id> or --broker-defaults', 2);
  if (options.topic !== undefined) return { type: 'topic', name: options.topic };
  return { type: 'broker', name: options.broker ?? '' };
}

export function registerAdminCommands(program: Command): void {
  /** A subcommand asking a broker through the admin client: `--bootstrap` comes first. */
  const adminCommand = (parent: Command, spec: string, description: string): Command => bootstrapOption(parent.command(spec).description(description), 'broker to ask (any Kafka)');

  const topics = program.command('topics').description('list, create, describe and delete topics');
  adminCommand(topics, 'list', 'list topic names')
    .option('--internal', 'include internal topics')
    .option('--json', 'print JSON instead of a table')
    .action((options: ConnectionFlags & { internal?: boolean }) =>
      withAdmin(options, async (admin) => {
        const listed = await admin.listTopics({ includeInternal: options.internal === true });
        if (options.json) return printJson(listed);
        printTable(['topic', 'topic id'], listed.map((t) => [t.name, t.topicId ?? '-']), `${listed.length} topic(s)`);
      }),
    );
  adminCommand(topics, 'create <name>', 'create a topic')
    .option('--partitions <n>', 'partition count (default: the broker\'s num.partitions)')
    .option('--replication-factor <n>', 'replicas per partition (default: the broker\'s default.replication.factor)')
    // Repeated, not variadic (kafka-topics.sh's form): a variadic option would take the topic name after it.
    .option('--config <name=value>', 'topic config override, repeatable, e.g. --config retention.ms=3600000', (value: string, previous: string[] = []) => [...previous, value])
    .option('--json', 'print JSON')
    .action((name: string, options: ConnectionFlags & { partitions?: string; replicationFactor?: string; config?: string[] }) =>
      withAdmin(options, async (admin) => {
        const [created] = await admin.createTopics([{
          name,
          partitions: parseInteger('--partitions', options.partitions),
          replicationFactor: parseInteger('--replication-factor', options.replicationFactor),
          configs: Object.fromEntries(parseAssignments('--config', options.config)),
        }]);
        if (options.json) return printJson(created);
        process.stdout.write(`Created topic ${created.name} (${created.partitions} partition(s), replication factor ${created.replicationFactor}).\n`);
      }),
    );
  adminCommand(topics, 'describe <names...>', 'partitions, leaders and replicas of topics')
    .option('--json', 'print JSON instead of a table')
    .action((names: string[], options: ConnectionFlags) =>
      withAdmin(options, async (admin) => {
        const described = await admin.describeTopics(names);
        if (options.json) return printJson(described);
        const rows = described.flatMap((topic) =>
          topic.partitions.map((p) => [topic.name, p.partition, p.leader, p.replicas.join(','), p.isr.join(',')]),
        );
        printTable(['topic', 'partition', 'leader', 'replicas', 'isr'], rows);
      }),
    );
  adminCommand(topics, 'delete <names...>', 'delete topics and their data')
    .action((names: string[], options: ConnectionFlags) =>
      withAdmin(options, async (admin) => {
        await admin.deleteTopics(names);
        process.stdout.write(`Deleted ${names.join(', ')}.\n`);
      }),
    );

  const configs = program.command('configs').description('describe and alter topic and broker configs');
  adminCommand(configs, 'describe', 'configs of a topic or a broker (overrides only, unless --all)')
    .option('--topic <name>', 'the topic')
    .option('--broker <id>', 'the broker (node id)')
    .option('--broker-defaults', 'the cluster-wide dynamic broker defaults')
    .option('--all', 'every config with its source, not only overrides')
    .option('--json', 'print JSON instead of a table')
    .action((options: ConnectionFlags & { topic?: string; broker?: string; brokerDefaults?: boolean; all?: boolean }) =>
      withAdmin(options, async (admin) => {
        const resource = configResource(options);
        const [described] = await admin.describeConfigs([resource], { includeSynonyms: true });
        const overridden = new Set(['DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG']);
        const entries = options.all === true ? described.entries : described.entries.filter((entry) => overridden.has(entry.source));
        if (options.json) return printJson(entries);
        printTable(
          ['name', 'value', 'source', 'read-only'],
          entries.map((entry) => [entry.name, entry.sensitive ? '(sensitive)' : entry.value ?? '(null)', entry.source, entry.readOnly ? 'yes' : 'no']),
          `${entries.length} config(s) of ${resource.type} ${resource.name === '' ? '(cluster defaults)' : resource.name}${options.all === true ? '' : ' overridden (--all lists every config)'}`,
        );
      }),
    );
  adminCommand(configs, 'alter', 'set or delete configs of a topic, a broker or the cluster-wide broker defaults (IncrementalAlterConfigs)')
    .option('--topic <name>', 'the topic')
    .option('--broker <id>', 'the broker (node id): its dynamic configs (log.retention.ms, message.max.bytes, ...)')
    .option('--broker-defaults', 'the dynamic defaults of every broker')
    .option('--set <name=value...>', 'configs to set')
    .option('--delete <name...>', 'configs to return to their default')
    .option('--validate-only', 'check without changing anything')
    .action((options: ConnectionFlags & { topic?: string; broker?: string; brokerDefaults?: boolean; set?: string[]; delete?: string[]; validateOnly?: boolean }) =>
      withAdmin(options, async (admin) => {
        const resource = configResource(options);
        const operations: AlterConfigOp[] = [
          ...parseAssignments('--set', options.set).map(([name, value]): AlterConfigOp => ({ name, operation: 'set', value })),
          ...(options.delete ?? []).map((name): AlterConfigOp => ({ name, operation: 'delete' })),
        ];
        if (operations.length === 0) throw new CliError('nothing to alter: give --set name=value or --delete name', 2);
        await admin.incrementalAlterConfigs(resource, operations, { validateOnly: options.validateOnly === true });
        process.stdout.write(`${options.validateOnly === true ? 'Validated' : 'Altered'} ${operations.length} config(s) of ${resource.type} ${resource.name === '' ? '(cluster defaults)' : resource.name}.\n`);
      }),
    );

  const groups = program.command('groups').description('list and describe consumer groups');
  adminCommand(groups, 'list', 'every group with its state')
    .option('--json', 'print JSON instead of a table')
    .action((options: ConnectionFlags) =>
      withAdmin(options, async (admin) => {
        const listed = await admin.listGroups();
        if (options.json) return printJson(listed);
        printTable(['group', 'state', 'protocol type', 'type'], listed.map((g) => [g.groupId, g.state || '-', g.protocolType || '-', g.type || '-']), `${listed.length} group(s)`);
      }),
    );
  adminCommand(groups, 'describe <group>', 'state, members, and committed offsets with lag')
    .option('--json', 'print JSON instead of tables')
    .action((groupId: string, options: ConnectionFlags) =>
      withAdmin(options, async (admin) => {
        const [group] = await admin.describeGroups([groupId]);
        const committed = await admin.listConsumerGroupOffsets(groupId);
        // DescribeGroups before v6 answers an unknown group as Dead with no members, as kafka-consumer-groups treats it.
        if (group.state === 'Dead' && group.members.length === 0 && committed.length === 0) {
          throw new CliError(`consumer group '${groupId}' does not exist (GROUP_ID_NOT_FOUND); ${hints.GROUP_ID_NOT_FOUND}`);
        }
        const ends = committed.length === 0 ? [] : await admin.listOffsets(committed.map(({ topic, partition }) => ({ topic, partition, spec: 'latest' as const })));
        const owner = new Map<string, string>();
        for (const member of group.members) for (const tp of member.assignment) owner.set(`${tp.topic}-${tp.partition}`, member.clientId);
        const offsets = committed.map((c) => {
          const end = ends.find((e) => e.topic === c.topic && e.partition === c.partition)?.offset ?? -1n;
          return { topic: c.topic, partition: c.partition, committedOffset: c.offset, logEndOffset: end, lag: end >= 0n ? end - c.offset : null, consumer: owner.get(`${c.topic}-${c.partition}`) ?? null };
        });
        if (options.json) return printJson({ ...group, offsets });
        process.stdout.write(`Group ${group.groupId}: ${group.state}${group.protocol ? ` (${group.protocol})` : ''}, ${group.members.length} member(s), coordinator ${group.coordinator}\n`);
        printTable(
          ['topic', 'partition', 'committed offset', 'log end offset', 'lag', 'consumer'],
          offsets.map((o) => [o.topic, o.partition, o.committedOffset.toString(), o.logEndOffset.toString(), o.lag === null ? '-' : o.lag.toString(), o.consumer ?? '-']),
        );
      }),
    );

  const transactions = program.command('transactions').description('list, describe, find hanging and abort transactions (KIP-664)');
  adminCommand(transactions, 'list', 'every transactional id the coordinators know, with its state')
    .option('--state <state...>', 'only these states (Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, ...)')
    .option('--json', 'print JSON instead of a table')
    .action((options: ConnectionFlags & { state?: string[] }) =>
      withAdmin(options, async (admin) => {
        const listed = await admin.listTransactions({ states: options.state });
        if (options.json) return printJson(listed);
        printTable(['transactional id', 'producer id', 'state', 'coordinator'], listed.map((t) => [t.transactionalId, t.producerId.toString(), t.state, t.coordinator]), `${listed.length} transaction(s)`);
      }),
    );
  adminCommand(transactions, 'describe <transactionalId>', 'state, producer, timeout and partitions of a transaction')
    .option('--json', 'print JSON instead of a table')
    .action((transactionalId: string, options: ConnectionFlags) =>
      withAdmin(options, async (admin) => {
        const [described] = await admin.describeTransactions([transactionalId]);
        if (options.json) return printJson(described);
        const started = described.transactionStartTimeMs < 0n ? '-' : new Date(Number(described.transactionStartTimeMs)).toISOString();
        printTable(
          ['transactional id', 'state', 'producer id', 'epoch', 'timeout ms', 'started', 'partitions'],
          [[described.transactionalId, described.state, described.producerId.toString(), described.producerEpoch, described.transactionTimeoutMs, started,
            described.partitions.map((p) => `${p.topic}-${p.partition}`).join(', ') || '-']],
        );
      }),
    );
  adminCommand(transactions, 'find-hanging', 'open transactions that no coordinator will end (they pin the last stable offset)')
    .option('--broker <id>', 'every partition this broker hosts')
    .option('--topic <name>', 'only this topic')
    .option('--partition <n>', 'only this partition of --topic')
    .option('--max-transaction-timeout-ms <ms>', "the brokers' transaction.max.timeout.ms: younger transactions are not hanging", String(15 * 60_000))
    .option('--json', 'print JSON instead of a table')
    .action((options: ConnectionFlags & { broker?: string; topic?: string; partition?: string; maxTransactionTimeoutMs: string }) =>
      withAdmin(options, async (admin) => {
        if (options.broker === undefined && options.topic === undefined) throw new CliError('give --broker <id> or --topic <name>', 2);
        if (options.partition !== undefined && options.topic === undefined) throw new CliError('--partition needs --topic', 2);
        const hanging = await admin.findHangingTransactions({
          brokerId: parseInteger('--broker', options.broker),
          topic: options.topic,
          partition: parseInteger('--partition', options.partition),
          maxTransactionTimeoutMs: parseInteger('--max-transaction-timeout-ms', options.maxTransactionTimeoutMs),
        });
        if (options.json) return printJson(hanging);
        printTable(
          ['topic', 'partition', 'producer id', 'epoch', 'coordinator epoch', 'start offset', 'last write', 'transactional id'],
          hanging.map((h) => [h.topic, h.partition, h.producerId.toString(), h.producerEpoch, h.coordinatorEpoch, h.startOffset.toString(), new Date(Number(h.lastTimestamp)).toISOString(), h.transactionalId ?? '-']),
          `${hanging.length} hanging transaction(s)${hanging.length === 0 ? '' : '; end one with `seqlog transactions abort --topic <t> --partition <p> --start-offset <o>`'}`,
        );
      }),
    );
  adminCommand(transactions, 'abort', 'abort the open transaction starting at an offset of a partition (writes an ABORT marker there)')
    .requiredOption('--topic <name>', 'the partition\'s topic')
    .requiredOption('--partition <n>', 'the partition')
    .requiredOption('--start-offset <offset>', 'first offset of the open transaction (`seqlog producers` or `transactions find-hanging` show it)')
    .option('--json', 'print JSON instead of a line')
    .action((options: ConnectionFlags & { topic: string; partition: string; startOffset: string }) =>
      withAdmin(options, async (admin) => {
        const partition = parseInteger('--partition', options.partition) as number;
        const startOffset = BigInt(parseInteger('--start-offset', options.startOffset) as number);
        const [described] = await admin.describeProducers([{ topic: options.topic, partition }]);
        const producer = described?.producers.find((p) => p.currentTransactionStartOffset === startOffset);
        if (producer === undefined) {
          throw new CliError(`no open transaction starts at offset ${startOffset} of ${options.topic}-${partition}; list the open ones with \`seqlog transactions find-hanging --topic ${options.topic} --max-transaction-timeout-ms 1\``);
        }
        // Kafka's kafka-transactions abort: a partition that never saw a marker from the coordinator has epoch -1.
        const spec = { topic: options.topic, partition, producerId: producer.producerId, producerEpoch: producer.producerEpoch, coordinatorEpoch: Math.max(producer.coordinatorEpoch, 0) };
        await admin.abortTransaction(spec);
        if (options.json) return printJson({ aborted: spec });
        process.stdout.write(`aborted the transaction of producer ${spec.producerId} (epoch ${spec.producerEpoch}) on ${options.topic}-${partition} from offset ${startOffset}\n`);
      }),
    );
}
