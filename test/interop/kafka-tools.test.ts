// Apache Kafka 4.4's own command-line tools (their main classes, from the reference harness's jars) against seqlog
// and against Apache Kafka, checking the same outcome on both: kafka-topics create/describe, kafka-configs
// alter/describe, kafka-log-dirs, kafka-metadata-quorum describe --status, kafka-get-offsets, kafka-features
// describe, kafka-console-consumer with read_committed and a group, kafka-consumer-groups --list/--describe and
// kafka-transactions list/describe/describe-producers/find-hanging/abort, kafka-verifiable-producer (idempotent)
// with kafka-verifiable-consumer, kafka-configs on the broker (per-broker and cluster-default dynamic configs),
// kafka-get-offsets --time -4/-5, kafka-console-producer, kafka-delete-records, kafka-e2e-latency,
// kafka-reassign-partitions --list and kafka-leader-election. Each tool
// runs in one JVM that stays up for the file (test/reference/kafka-tool-runner.ts).
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, Producer } from '../../src/client/index.ts';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { KafkaToolRunner } from '../reference/kafka-tool-runner.ts';

const log4jConfig = new URL('../reference/log4j2.properties', import.meta.url).pathname;
const TOPIC = 'kafka-tools';

/** Every tool of this file runs in one JVM (see kafka-tool-runner.ts), started in `before`. */
let toolRunner: KafkaToolRunner | undefined;

/** A tool's exit status and stdout, without the log lines its log4j configuration prints there. */
async function runTool(mainClass: string, args: readonly string[], input?: string): Promise<{ status: number; output: string; stderr: string }> {
  if (toolRunner === undefined) throw new Error('the Kafka tool runner is not started');
  const run = await toolRunner.run(mainClass, args, input);
  return { status: run.status, output: run.stdout.split('\n').filter((line) => !line.startsWith('[20')).join('\n').trim(), stderr: run.stderr };
}

async function tool(mainClass: string, args: readonly string[], input?: string): Promise<string> {
  const run = await runTool(mainClass, args, input);
  assert.equal(run.status, 0, `${mainClass} ${args.join(' ')} exited ${run.status}:\n${run.output}\n${run.stderr.slice(-2000)}`);
  return run.output;
}

/** What each tool reported, reduced to what must be equal on both brokers. */
interface Outcome {
  created: string;
  describedTopic: string[];
  altered: string;
  describedConfigs: string[];
  logDirPartitions: unknown[];
  quorum: { leaderIsTheNode: boolean; voters: number; observers: string; keys: string[] };
  offsets: string[];
  /** kafka-get-offsets --time -4 (earliest local) and -5 (latest tiered). */
  offsetsByTime: Record<string, string[]>;
  brokerConfigs: BrokerConfigsOutcome;
}

interface BrokerConfigsOutcome {
  altered: string[];
  described: string[];
  describedDefault: string[];
  refused: { status: number | null; cannotUpdate: boolean };
  deleted: string[];
  describedAfterDelete: string[];
}

/** Lines of a kafka-configs describe, trimmed, without Kafka 4.x's cluster-wide `min.insync.replicas` default. */
function configLines(output: string): string[] {
  return output.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('min.insync.replicas='));
}

/** kafka-configs on the broker resource: per-broker and cluster-default dynamic configs, set, shown and deleted. */
async function runBrokerConfigTools(server: readonly string[], nodeId: number): Promise<BrokerConfigsOutcome> {
  const ConfigCommand = 'org.apache.kafka.tools.ConfigCommand';
  const broker = ['--entity-type', 'brokers', '--entity-name', String(nodeId)];
  const clusterDefault = ['--entity-type', 'brokers', '--entity-default'];
  const altered = [
    await tool(ConfigCommand, [...server, ...broker, '--alter', '--add-config', 'log.retention.ms=3600000,log.segment.bytes=104857600']),
    await tool(ConfigCommand, [...server, ...clusterDefault, '--alter', '--add-config', 'message.max.bytes=2000000']),
  ].map((line) => line.replace(`broker ${nodeId}`, 'broker <id>'));
  // Kafka's broker applies a change once its metadata catches up with the controller: describe until it shows.
  const describe = async (args: readonly string[], shows: (lines: string[]) => boolean): Promise<string[]> => {
    for (let attempt = 1; ; attempt++) {
      const lines = configLines(await tool(ConfigCommand, [...server, ...args, '--describe'])).map((line) => line.replace(`broker ${nodeId}`, 'broker <id>'));
      if (shows(lines) || attempt >= 10) return lines;
    }
  };
  const described = await describe(broker, (lines) => lines.some((line) => line.startsWith('log.retention.ms=3600000')));
  const describedDefault = await describe(clusterDefault, (lines) => lines.some((line) => line.startsWith('message.max.bytes=2000000')));
  const refusedRun = await runTool(ConfigCommand, [...server, ...broker, '--alter', '--add-config', 'node.id=5']);
  const deleted = [
    await tool(ConfigCommand, [...server, ...broker, '--alter', '--delete-config', 'log.retention.ms,log.segment.bytes']),
    await tool(ConfigCommand, [...server, ...clusterDefault, '--alter', '--delete-config', 'message.max.bytes']),
  ].map((line) => line.replace(`broker ${nodeId}`, 'broker <id>'));
  const describedAfterDelete = await describe(broker, (lines) => !lines.some((line) => line.startsWith('log.retention.ms=')));
  return {
    altered,
    described,
    describedDefault,
    refused: { status: refusedRun.status, cannotUpdate: /Cannot update these configs dynamically/.test(refusedRun.output + refusedRun.stderr) },
    deleted,
    describedAfterDelete,
  };
}

async function runTools(bootstrap: string, nodeId: number): Promise<Outcome> {
  const server = ['--bootstrap-server', bootstrap];
  const created = await tool('org.apache.kafka.tools.TopicCommand', [...server, '--create', '--topic', TOPIC, '--partitions', '2', '--replication-factor', '1', '--config', 'retention.ms=3600000']);
  const producer = new Producer({ bootstrap });
  try {
    for (let i = 0; i < 3; i++) await producer.send({ topic: TOPIC, partition: 0, value: `v${i}` });
  } finally {
    await producer.close();
  }
  const describedTopic = (await tool('org.apache.kafka.tools.TopicCommand', [...server, '--describe', '--topic', TOPIC]))
    .split('\n')
    // Kafka 4.x's controller keeps `min.insync.replicas` as a cluster-wide dynamic default (for eligible leader
    // replicas, KIP-966), which kafka-topics lists with the overrides; a single seqlog node has no such setting.
    .map((line) => line.replace(/TopicId: \S+/, 'TopicId: <id>').replace('min.insync.replicas=1,', '').replace(/\s+/g, ' ').trim());
  const altered = await tool('org.apache.kafka.tools.ConfigCommand', [...server, '--entity-type', 'topics', '--entity-name', TOPIC, '--alter', '--add-config', 'max.message.bytes=2000']);
  const describedConfigs = (await tool('org.apache.kafka.tools.ConfigCommand', [...server, '--entity-type', 'topics', '--entity-name', TOPIC, '--describe'])).split('\n').map((line) => line.trim()).sort();
  const logDirs = (await tool('org.apache.kafka.tools.LogDirsCommand', [...server, '--describe', '--topic-list', TOPIC])).split('\n').find((line) => line.startsWith('{'));
  assert.ok(logDirs !== undefined, 'kafka-log-dirs printed its JSON');
  const logDirJson = JSON.parse(logDirs) as { brokers: { broker: number; logDirs: { error: string | null; partitions: { partition: string; size: number; offsetLag: number; isFuture: boolean }[] }[] }[] };
  const logDirPartitions = logDirJson.brokers.flatMap((broker) => broker.logDirs.flatMap((dir) => dir.partitions.map((p) => ({ broker: broker.broker, error: dir.error, partition: p.partition, hasData: p.size > 0, offsetLag: p.offsetLag, isFuture: p.isFuture }))))
    .sort((a, b) => (a.partition < b.partition ? -1 : 1));
  const status = await tool('org.apache.kafka.tools.MetadataQuorumCommand', [...server, 'describe', '--status']);
  const fields = new Map(status.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
  const voters = JSON.parse(fields.get('CurrentVoters') ?? '[]') as { id: number }[];
  const quorum = {
    leaderIsTheNode: fields.get('LeaderId') === String(nodeId),
    voters: voters.length,
    observers: fields.get('CurrentObservers') ?? '?',
    keys: [...fields.keys()].sort(),
  };
  const offsets = (await tool('org.apache.kafka.tools.GetOffsetShell', [...server, '--topic', TOPIC])).split('\n').sort();
  const offsetsByTime: Record<string, string[]> = {};
  for (const time of ['-4', '-5']) offsetsByTime[time] = (await tool('org.apache.kafka.tools.GetOffsetShell', [...server, '--topic', TOPIC, '--time', time])).split('\n').sort();
  const brokerConfigs = await runBrokerConfigTools(server, nodeId);
  return { created, describedTopic, altered, describedConfigs, logDirPartitions, quorum, offsets, offsetsByTime, brokerConfigs };
}

/** A tab-separated kafka-transactions table as rows of named cells, without the columns that hold clock times. */
function table(output: string, drop: readonly string[] = []): Record<string, string>[] {
  const [header = '', ...rows] = output.split('\n').filter((line) => line.trim() !== '');
  const names = header.split('\t').map((name) => name.trim());
  return rows.map((row) => Object.fromEntries(row.split('\t').map((cell, i) => [names[i], cell.trim()] as const).filter(([name]) => name !== '' && !drop.includes(name))));
}

/** Features Kafka 4.4 has that a single seqlog node does not offer (see docs/api-support.md, ApiVersions). */
const FEATURES_ONLY_IN_KAFKA = ['eligible.leader.replicas.version', 'share.version', 'streams.version'];

interface TransactionOutcome {
  features: string[];
  consumed: string;
  groups: string;
  groupDescription: string[];
  transactions: Record<string, string>[];
  described: Record<string, string>[];
  producers: Record<string, string>[];
  hanging: Record<string, string>[];
  aborted: string;
  producersAfterAbort: Record<string, string>[];
}

const TXN_TOPIC = 'kafka-tools-txn';

async function runTransactionTools(bootstrap: string, nodeId: number): Promise<TransactionOutcome> {
  const server = ['--bootstrap-server', bootstrap];
  const features = (await tool('org.apache.kafka.tools.FeatureCommand', [...server, 'describe'])).split('\n')
    .filter((line) => !FEATURES_ONLY_IN_KAFKA.some((name) => line.startsWith(`Feature: ${name} `)))
    // The epoch is the metadata log offset on Kafka; a single seqlog node's features never change (epoch 1).
    // kraft.version: Kafka supports 0-1 (dynamic voters), seqlog 0 only; both finalize 0.
    .map((line) => line.replace(/Epoch: \d+/, 'Epoch: <epoch>').replace(/^(Feature: kraft\.version\s+SupportedMinVersion: 0\s+SupportedMaxVersion: )[01]/, '$1<max>').replace(/\s+/g, ' ').trim());
  const admin = new Admin({ bootstrap });
  const open = new Producer({ bootstrap, transactionalId: 'tools-open' });
  try {
    await admin.createTopics([{ name: TXN_TOPIC, partitions: 1, replicationFactor: 1 }]);
    const producer = new Producer({ bootstrap, transactionalId: 'tools-committed' });
    try {
      await producer.transaction(async (tx) => {
        await tx.send({ topic: TXN_TOPIC, partition: 0, value: 'c1' });
        await tx.send({ topic: TXN_TOPIC, partition: 0, value: 'c2' });
      });
      await producer.beginTransaction();
      await producer.send({ topic: TXN_TOPIC, partition: 0, value: 'aborted' });
      await producer.abortTransaction();
      await producer.transaction(async (tx) => {
        await tx.send({ topic: TXN_TOPIC, partition: 0, value: 'c3' });
      });
    } finally {
      await producer.close();
    }
    // A transaction left open: it pins the last stable offset until kafka-transactions abort ends it.
    await open.beginTransaction();
    await open.send({ topic: TXN_TOPIC, partition: 0, value: 'open' });
    const consumed = await tool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      ...server, '--topic', TXN_TOPIC, '--from-beginning', '--isolation-level', 'read_committed', '--group', 'tools-group', '--max-messages', '3', '--timeout-ms', '30000',
    ]);
    const groups = await tool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [...server, '--list']);
    const groupDescription = (await tool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [...server, '--describe', '--group', 'tools-group']))
      .split('\n').map((line) => line.replace(/\s+/g, ' ').trim()).filter((line) => line !== '');
    const transactions = table(await tool('org.apache.kafka.tools.TransactionsCommand', [...server, 'list']), ['ProducerId'])
      .sort((a, b) => ((a.TransactionalId ?? '') < (b.TransactionalId ?? '') ? -1 : 1));
    const described = table(await tool('org.apache.kafka.tools.TransactionsCommand', [...server, 'describe', '--transactional-id', 'tools-open']), ['ProducerId', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs']);
    const producers = table(await tool('org.apache.kafka.tools.TransactionsCommand', [...server, 'describe-producers', '--topic', TXN_TOPIC, '--partition', '0']), ['ProducerId', 'LastTimestamp']);
    const hanging = table(await tool('org.apache.kafka.tools.TransactionsCommand', [...server, 'find-hanging', '--broker-id', String(nodeId)]));
    const openProducer = (await admin.describeProducers([{ topic: TXN_TOPIC, partition: 0 }]))[0]?.producers.find((p) => p.currentTransactionStartOffset >= 0n);
    assert.ok(openProducer !== undefined, 'the open transaction is listed by DescribeProducers');
    const aborted = await tool('org.apache.kafka.tools.TransactionsCommand', [
      ...server, 'abort', '--topic', TXN_TOPIC, '--partition', '0', '--start-offset', String(openProducer.currentTransactionStartOffset),
    ]);
    const producersAfterAbort = table(await tool('org.apache.kafka.tools.TransactionsCommand', [...server, 'describe-producers', '--topic', TXN_TOPIC, '--partition', '0']), ['ProducerId', 'LastTimestamp']);
    return { features, consumed, groups, groupDescription, transactions, described, producers, hanging, aborted, producersAfterAbort };
  } finally {
    await open.close().catch(() => undefined);
    await admin.close();
  }
}

const VERIFIABLE_TOPIC = 'kafka-tools-verifiable';
const VERIFIABLE_MESSAGES = 200;

interface VerifiableOutcome {
  producer: { sent: number; acked: number; errors: number; partitionsAcked: number[] };
  consumer: { consumed: number; committedOffsets: Record<string, number>; failedCommits: number };
}

/** The JSON event lines a verifiable tool prints, by name. */
function events(output: string): Record<string, unknown>[] {
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function runVerifiableTools(bootstrap: string): Promise<VerifiableOutcome> {
  const server = ['--bootstrap-server', bootstrap];
  const dir = mkdtempSync(join(tmpdir(), 'seqlog-verifiable-'));
  try {
    const producerConfig = join(dir, 'producer.properties');
    writeFileSync(producerConfig, 'enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\n');
    const admin = new Admin({ bootstrap });
    try {
      await admin.createTopics([{ name: VERIFIABLE_TOPIC, partitions: 2, replicationFactor: 1 }]);
    } finally {
      await admin.close();
    }
    const produced = events(await tool('org.apache.kafka.tools.VerifiableProducer', [
      ...server, '--topic', VERIFIABLE_TOPIC, '--max-messages', String(VERIFIABLE_MESSAGES), '--command-config', producerConfig, '--repeating-keys', '10',
    ]));
    const successes = produced.filter((event) => event.name === 'producer_send_success');
    const toolData = produced.find((event) => event.name === 'tool_data') ?? {};
    const consumed = events(await tool('org.apache.kafka.tools.VerifiableConsumer', [
      ...server, '--topic', VERIFIABLE_TOPIC, '--group-id', 'verifiable-group', '--max-messages', String(VERIFIABLE_MESSAGES), '--reset-policy', 'earliest',
    ]));
    const commits = consumed.filter((event) => event.name === 'offsets_committed') as { success: boolean; offsets?: { topic: string; partition: number; offset: number }[] }[];
    const committedOffsets: Record<string, number> = {};
    for (const commit of commits) {
      if (!commit.success) continue;
      for (const offset of commit.offsets ?? []) committedOffsets[`${offset.topic}-${offset.partition}`] = Math.max(committedOffsets[`${offset.topic}-${offset.partition}`] ?? 0, offset.offset);
    }
    return {
      producer: {
        sent: Number(toolData.sent ?? -1),
        acked: Number(toolData.acked ?? -1),
        errors: produced.filter((event) => event.name === 'producer_send_error').length,
        partitionsAcked: [...new Set(successes.map((event) => Number(event.partition)))].sort(),
      },
      consumer: {
        consumed: consumed.filter((event) => event.name === 'records_consumed').reduce((sum, event) => sum + Number(event.count ?? 0), 0),
        committedOffsets,
        failedCommits: commits.filter((commit) => !commit.success).length,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CONSOLE_TOPIC = 'kafka-tools-console';
const LATENCY_TOPIC = 'kafka-tools-latency';

interface ProducerToolsOutcome {
  produced: string;
  endOffset: string;
  deleted: string[];
  lowWatermark: string;
  latency: { avg: boolean; percentiles: boolean };
  reassignments: string;
  election: string;
}

/**
 * kafka-console-producer from stdin, kafka-delete-records from a JSON file, kafka-e2e-latency,
 * kafka-reassign-partitions --list and kafka-leader-election (preferred).
 */
async function runProducerTools(bootstrap: string): Promise<ProducerToolsOutcome> {
  const server = ['--bootstrap-server', bootstrap];
  const dir = mkdtempSync(join(tmpdir(), 'seqlog-tools-'));
  const admin = new Admin({ bootstrap });
  try {
    await admin.createTopics([{ name: CONSOLE_TOPIC, partitions: 1, replicationFactor: 1 }, { name: LATENCY_TOPIC, partitions: 1, replicationFactor: 1 }]);
    const produced = await tool('org.apache.kafka.tools.ConsoleProducer', [...server, '--topic', CONSOLE_TOPIC, '--command-property', 'acks=all'], 'one\ntwo\nthree\nfour\n');
    const offset = async (spec: 'earliest' | 'latest') => (await admin.listOffsets([{ topic: CONSOLE_TOPIC, partition: 0, spec }]))[0]?.offset.toString() ?? '?';
    const endOffset = await offset('latest');
    const offsetFile = join(dir, 'delete.json');
    writeFileSync(offsetFile, JSON.stringify({ partitions: [{ topic: CONSOLE_TOPIC, partition: 0, offset: 2 }], version: 1 }));
    const deleted = (await tool('org.apache.kafka.tools.DeleteRecordsCommand', [...server, '--offset-json-file', offsetFile])).split('\n').map((line) => line.trim()).filter((line) => line !== '');
    const lowWatermark = await offset('earliest');
    const latency = await tool('org.apache.kafka.tools.EndToEndLatency', [bootstrap, LATENCY_TOPIC, '20', 'all', '100']);
    const reassignments = await tool('org.apache.kafka.tools.reassign.ReassignPartitionsCommand', [...server, '--list']);
    const election = await tool('org.apache.kafka.tools.LeaderElectionCommand', [...server, '--election-type', 'preferred', '--topic', CONSOLE_TOPIC, '--partition', '0']);
    return { produced, endOffset, deleted, lowWatermark, reassignments, election, latency: { avg: /Avg latency: [\d.]+ ms/.test(latency), percentiles: /Percentiles: 50th = \d+, 99th = \d+, 99.9th = \d+/.test(latency) } };
  } finally {
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Kafka 4.4's tools against seqlog and Apache Kafka", { timeout: 600_000 }, () => {
  let seqlog: RunningBroker;
  let kafka: ReferenceKafka;
  before(async () => {
    [seqlog, kafka, toolRunner] = await Promise.all([startBroker(), startReferenceKafka({ brokers: 1 }), KafkaToolRunner.start({ log4jConfig })]);
  });
  after(async () => {
    await toolRunner?.stop();
    await seqlog?.close();
    await kafka?.stop();
  });

  it('kafka-topics, kafka-configs, kafka-log-dirs, kafka-metadata-quorum and kafka-get-offsets report the same on both', async () => {
    const onKafka = await runTools(kafka.bootstrap, kafka.brokers[0].id);
    const onSeqlog = await runTools(seqlog.bootstrap, 1);
    // What Kafka itself answers, so that "equal" means "right".
    assert.equal(onKafka.created, `Created topic ${TOPIC}.`);
    assert.match(onKafka.describedTopic[0], /PartitionCount: 2 ReplicationFactor: 1 Configs: retention.ms=3600000/);
    assert.deepEqual(onKafka.offsets, [`${TOPIC}:0:3`, `${TOPIC}:1:0`]);
    assert.ok(onKafka.quorum.leaderIsTheNode);
    assert.deepEqual(onKafka.offsetsByTime['-4'], [`${TOPIC}:0:0`, `${TOPIC}:1:0`]);
    assert.ok(onKafka.brokerConfigs.described.some((line) => line.startsWith('log.retention.ms=3600000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=3600000')), onKafka.brokerConfigs.described.join('\n'));
    assert.ok(onKafka.brokerConfigs.describedDefault.some((line) => line.startsWith('message.max.bytes=2000000')), onKafka.brokerConfigs.describedDefault.join('\n'));
    assert.deepEqual(onKafka.brokerConfigs.refused, { status: 1, cannotUpdate: true });
    assert.deepEqual(onSeqlog, onKafka);
  });

  it('kafka-features, read_committed kafka-console-consumer, kafka-consumer-groups and kafka-transactions report the same on both', async () => {
    const onKafka = await runTransactionTools(kafka.bootstrap, kafka.brokers[0].id);
    const onSeqlog = await runTransactionTools(seqlog.bootstrap, 1);
    // What Kafka itself answers, so that "equal" means "right".
    assert.ok(onKafka.features.some((line) => line.startsWith('Feature: metadata.version SupportedMinVersion: 3.3-IV3 SupportedMaxVersion: 4.4-IV2 FinalizedVersionLevel: 4.4-IV2')), onKafka.features.join('\n'));
    assert.equal(onKafka.consumed.split('\n').filter((line) => /^c\d$/.test(line)).join(','), 'c1,c2,c3');
    assert.match(onKafka.groups, /tools-group/);
    assert.deepEqual(onKafka.transactions.map((row) => [row.TransactionalId, row.TransactionState]), [['tools-committed', 'CompleteCommit'], ['tools-open', 'Ongoing']]);
    assert.equal(onKafka.described[0]?.TopicPartitions, `${TXN_TOPIC}-0`);
    assert.deepEqual(onKafka.producers.map((row) => row.CurrentTransactionStartOffset).sort(), ['7', 'None']);
    assert.deepEqual(onKafka.hanging, []);
    assert.deepEqual(onKafka.producersAfterAbort.map((row) => row.CurrentTransactionStartOffset), ['None', 'None']);
    assert.deepEqual(onSeqlog, onKafka);
  });

  it('kafka-verifiable-producer (idempotent) and kafka-verifiable-consumer report the same on both', async () => {
    const onKafka = await runVerifiableTools(kafka.bootstrap);
    const onSeqlog = await runVerifiableTools(seqlog.bootstrap);
    // What Kafka itself answers, so that "equal" means "right": every message acked once, consumed and committed.
    assert.deepEqual(onKafka.producer, { sent: VERIFIABLE_MESSAGES, acked: VERIFIABLE_MESSAGES, errors: 0, partitionsAcked: [0, 1] });
    assert.equal(onKafka.consumer.consumed, VERIFIABLE_MESSAGES);
    assert.equal(Object.values(onKafka.consumer.committedOffsets).reduce((sum, offset) => sum + offset, 0), VERIFIABLE_MESSAGES);
    assert.deepEqual(onSeqlog, onKafka);
  });

  it('kafka-console-producer, kafka-delete-records, kafka-e2e-latency, kafka-reassign-partitions and kafka-leader-election report the same on both', async () => {
    const onKafka = await runProducerTools(kafka.bootstrap);
    const onSeqlog = await runProducerTools(seqlog.bootstrap);
    // What Kafka itself answers, so that "equal" means "right".
    assert.equal(onKafka.endOffset, '4');
    assert.equal(onKafka.lowWatermark, '2');
    assert.ok(onKafka.deleted.some((line) => /partition: kafka-tools-console-0\s+low_watermark: 2/.test(line)), onKafka.deleted.join('\n'));
    assert.deepEqual(onKafka.latency, { avg: true, percentiles: true });
    assert.match(onKafka.reassignments, /No partition reassignments found/);
    assert.match(onKafka.election, /Valid replica already elected for partitions kafka-tools-console-0/);
    assert.deepEqual(onSeqlog, onKafka);
  });
});
