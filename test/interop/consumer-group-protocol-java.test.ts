// KIP-848 with Apache Kafka's own consumer: the Java console consumer of Kafka 4.4 (kafka-tools'
// `ConsoleConsumer`, kafka-clients 4.4) with `group.protocol=consumer` against seqlog. Two members share the
// partitions; one leaves and its partitions move to the other; everything is consumed; the committed offsets
// survive the members, so a third member starting later reads only what was produced after.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { javaExecutable, kafkaClasspath, kafkaLibsDir, setupHint } from '../reference/layout.ts';
import { spawnReaped, stopGroup } from '../reference/reaper.ts';

const TOPIC = 'kip848-java';
const GROUP = 'kip848-java-group';
const PARTITIONS = 6;
const RECORDS = 600;

let broker: RunningBroker;
let admin: BrokerConnection;

interface ConsoleConsumer {
  child: ChildProcess;
  values: string[];
}

function startConsoleConsumer(): ConsoleConsumer {
  const child = spawnReaped(
    javaExecutable(),
    [
      '-Xshare:auto',
      '-XX:TieredStopAtLevel=1',
      '-cp',
      kafkaClasspath,
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      broker.bootstrap,
      '--topic',
      TOPIC,
      '--group',
      GROUP,
      '--consumer-property',
      'group.protocol=consumer',
      '--consumer-property',
      'auto.offset.reset=earliest',
      '--consumer-property',
      'auto.commit.interval.ms=200',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const consumer: ConsoleConsumer = { child, values: [] };
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    // Only record values: the tool also prints a summary line when it stops.
    for (const line of lines) if (/^(first|second)-\d+$/.test(line)) consumer.values.push(line);
  });
  child.stderr?.resume();
  return consumer;
}

async function describeGroup() {
  const response = await admin.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [GROUP], includeAuthorizedOperations: false });
  return response.groups[0];
}

async function committedOffsets(): Promise<bigint> {
  const response = await admin.send(ApiKey.OffsetFetch, 8, {
    groupId: '',
    topics: [],
    groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [...Array(PARTITIONS).keys()] }] }],
    requireStable: false,
  });
  let total = 0n;
  for (const topic of response.groups[0].topics) for (const partition of topic.partitions) if (partition.committedOffset > 0n) total += partition.committedOffset;
  return total;
}

async function waitFor<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await probe();
  }
  return last;
}

async function produce(values: string[]): Promise<void> {
  const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
  try {
    await Promise.all(values.map((value, i) => producer.send({ topic: TOPIC, partition: i % PARTITIONS, value })));
  } finally {
    await producer.close();
  }
}

describe('Java console consumer with group.protocol=consumer against seqlog', { timeout: 240_000 }, () => {
  const running: ConsoleConsumer[] = [];

  before(async () => {
    // A missing peer fails the test: it is never skipped.
    assert.ok(existsSync(join(kafkaLibsDir, 'kafka-tools-4.4.0.jar')), `Kafka 4.4 libs missing: ${setupHint}`);
    broker = await startBroker({
      topics: [{ name: TOPIC, partitions: PARTITIONS }],
      // Short heartbeats so that partitions move within a second or two, not Kafka's 5 s.
      groupConsumerHeartbeatIntervalMs: 250,
      groupConsumerSessionTimeoutMs: 10_000,
    });
    admin = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'kip848-test' });
    await produce(Array.from({ length: RECORDS }, (_, i) => `first-${i}`));
  });

  after(async () => {
    for (const consumer of running) await stopGroup(consumer.child, 5_000);
    admin?.close();
    await broker?.close();
  });

  it('two members share the partitions, one leaves and its partitions move, offsets survive', async () => {
    const a = startConsoleConsumer();
    const b = startConsoleConsumer();
    running.push(a, b);
    const shared = await waitFor(
      describeGroup,
      (group) =>
        group.errorCode === 0 &&
        group.groupState === 'Stable' &&
        group.members.length === 2 &&
        group.members.every((member) => member.assignment.topicPartitions.reduce((n, topic) => n + topic.partitions.length, 0) === PARTITIONS / 2),
      'two members with three partitions each',
    );
    assert.equal(shared.assignorName, 'uniform');
    // No partition is owned twice.
    const owned = shared.members.flatMap((member) => member.assignment.topicPartitions.flatMap((topic) => topic.partitions));
    assert.deepEqual([...owned].sort(), [0, 1, 2, 3, 4, 5]);

    // Member b leaves (the console consumer closes its KafkaConsumer on SIGTERM: a heartbeat with epoch -1).
    await stopGroup(b.child, 10_000);
    const alone = await waitFor(
      describeGroup,
      (group) => group.groupState === 'Stable' && group.members.length === 1 && group.members[0].assignment.topicPartitions[0]?.partitions.length === PARTITIONS,
      'the remaining member owning every partition',
    );
    assert.ok(alone.groupEpoch > shared.groupEpoch);

    // Everything is consumed (at least once) and committed.
    await waitFor(() => new Set([...a.values, ...b.values]).size, (n) => n === RECORDS, 'every record consumed');
    await waitFor(committedOffsets, (total) => total === BigInt(RECORDS), 'every offset committed');
    await stopGroup(a.child, 10_000);
    const empty = await waitFor(describeGroup, (group) => group.groupState === 'Empty', 'the group empty');
    assert.equal(empty.members.length, 0);

    // A new member resumes from the committed offsets: it sees only the new records.
    await produce(Array.from({ length: 12 }, (_, i) => `second-${i}`));
    const c = startConsoleConsumer();
    running.push(c);
    await waitFor(() => c.values.length, (n) => n >= 12, 'the new records');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual([...c.values].sort(), Array.from({ length: 12 }, (_, i) => `second-${i}`).sort());
  });
});
