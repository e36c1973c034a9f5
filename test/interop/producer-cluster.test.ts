// seqlog's idempotent producer (acks=all) against a three-node Apache Kafka cluster, with the node that leads the
// most partitions SIGKILLed in the middle of a continuous run of keyed sends. Every send must succeed, and every
// partition, read back from its current leader, must hold every record sent to it exactly once, in send order,
// at the offset its send reported.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { BrokerConnection, KafkaClientError, Producer, type RecordMetadata } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import { readPartition, type StoredRecord } from '../component/producer-read-back.ts';

const TOPIC = 'seqlog-producer-cluster';
const PARTITIONS = 6;
const COUNT = 20_000;
/** Sends issued but not yet settled, at most. */
const WINDOW = 500;
/** Sends issued per second, at most, so the run spans the kill and the leader elections after it. */
const RATE = 2_500;
/** The kill happens once this many sends have been issued. */
const KILL_AT = Math.floor(COUNT * 0.4);

interface Leaders {
  /** partition -> leader node id (-1: none). */
  readonly leaders: number[];
  readonly ports: Map<number, number>;
}

async function connect(port: number): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port, connectTimeoutMs: 5000 });
  await connection.negotiateApiVersions();
  return connection;
}

/** A live node's connection, trying each node of the cluster in turn. */
async function anyLive(kafka: ReferenceKafka): Promise<BrokerConnection> {
  let last: unknown = null;
  for (const broker of kafka.brokers.filter((b) => b.alive)) {
    try {
      return await connect(broker.port);
    } catch (error) {
      last = error;
    }
  }
  throw last instanceof Error ? last : new Error('no live broker');
}

async function topicLeaders(kafka: ReferenceKafka): Promise<Leaders> {
  const connection = await anyLive(kafka);
  try {
    const version = connection.versionFor(ApiKey.Metadata, 4, 12) ?? 4;
    const response = await connection.send(ApiKey.Metadata, version, {
      topics: [{ topicId: Buffer.alloc(16), name: TOPIC }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const topic = response.topics.find((t) => t.name === TOPIC);
    const leaders = Array.from({ length: PARTITIONS }, () => -1);
    for (const partition of topic?.partitions ?? []) leaders[partition.partitionIndex] = partition.errorCode === ErrorCode.NONE ? partition.leaderId : -1;
    return { leaders, ports: new Map(response.brokers.map((b) => [b.nodeId, b.port])) };
  } finally {
    connection.close();
  }
}

/** Polls Metadata until every partition has a live leader that is not `excluded`. */
async function waitForLeaders(kafka: ReferenceKafka, excluded: number, timeoutMs: number): Promise<Leaders> {
  const deadline = Date.now() + timeoutMs;
  let last: Leaders | undefined;
  while (Date.now() < deadline) {
    try {
      last = await topicLeaders(kafka);
      if (last.leaders.every((id) => id >= 0 && id !== excluded && last?.ports.has(id))) return last;
    } catch {
      // A node may be between states; ask again.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`partitions of ${TOPIC} still lack a live leader after ${timeoutMs} ms: ${JSON.stringify(last?.leaders)}`);
}

describe('producer against reference Apache Kafka, three nodes, leader killed mid-run', { timeout: 900_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 3 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it(`sends ${COUNT} keyed records across a leader kill: all acknowledged, each stored once, in send order`, { timeout: 600_000 }, async () => {
    const admin = await anyLive(kafka);
    try {
      const response = await admin.send(ApiKey.CreateTopics, admin.versionFor(ApiKey.CreateTopics, 2, 7) ?? 2, {
        topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
        timeoutMs: 60_000,
        validateOnly: false,
      });
      const result = response.topics[0];
      assert.equal(result.errorCode, ErrorCode.NONE, `CreateTopics: ${errorName(result.errorCode)} ${result.errorMessage ?? ''}`);
    } finally {
      admin.close();
    }
    const before = await waitForLeaders(kafka, -1, 60_000);
    const perNode = new Map<number, number>();
    for (const id of before.leaders) perNode.set(id, (perNode.get(id) ?? 0) + 1);
    const victim = [...perNode].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    const log = (line: string): void => void process.stderr.write(`producer-cluster: ${line}\n`);
    log(`leaders before the kill ${JSON.stringify(before.leaders)}; killing node ${victim} (leads ${perNode.get(victim)})`);

    const producer = new Producer({ bootstrap: kafka.bootstrap, idempotent: true, acks: 'all', deliveryTimeoutMs: 120_000, requestTimeoutMs: 30_000 });
    const results: (RecordMetadata | Error | undefined)[] = new Array<RecordMetadata | Error | undefined>(COUNT);
    const latencies: number[] = new Array<number>(COUNT).fill(0);
    let killDone: Promise<{ killedAtMs: number; electedAfterMs: number }> | null = null;
    const started = performance.now();
    try {
      let outstanding = 0;
      let wake: (() => void) | null = null;
      const settled = (): void => {
        outstanding--;
        const w = wake;
        wake = null;
        w?.();
      };
      const sends: Promise<void>[] = [];
      for (let i = 0; i < COUNT; i++) {
        if (i === KILL_AT) {
          const killedAt = performance.now();
          killDone = (async () => {
            await kafka.killBroker(victim);
            const killedAtMs = performance.now() - started;
            await waitForLeaders(kafka, victim, 120_000);
            return { killedAtMs, electedAfterMs: performance.now() - killedAt };
          })();
        }
        const due = (i / RATE) * 1000 - (performance.now() - started);
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        while (outstanding >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
        outstanding++;
        const t0 = performance.now();
        sends.push(
          producer.send({ topic: TOPIC, key: `key-${i % 997}`, value: `v-${i}` }).then(
            (meta) => {
              results[i] = meta;
              latencies[i] = performance.now() - t0;
              settled();
            },
            (error: unknown) => {
              results[i] = error instanceof Error ? error : new Error(String(error));
              latencies[i] = performance.now() - t0;
              settled();
            },
          ),
        );
      }
      await Promise.all(sends);
    } finally {
      await producer.close();
    }
    const elapsedMs = performance.now() - started;
    assert.ok(killDone !== null, 'the kill never happened');
    const kill = await killDone;
    const slowest = Math.max(...latencies);
    log(`${COUNT} sends settled in ${Math.round(elapsedMs)} ms; node ${victim} killed at ${Math.round(kill.killedAtMs)} ms, every partition led by a live node ${Math.round(kill.electedAfterMs)} ms after; slowest send ${Math.round(slowest)} ms`);
    assert.ok(kill.killedAtMs < elapsedMs, 'the kill happened after the last send settled');

    const failures = results.flatMap((r, i) => (r instanceof Error ? [{ i, error: r }] : []));
    if (failures.length > 0) {
      const byReason = new Map<string, number[]>();
      for (const { i, error } of failures) {
        const reason = error instanceof KafkaClientError ? `${errorName(error.code)} (${error.kind}): ${error.message}` : error.message;
        byReason.set(reason, [...(byReason.get(reason) ?? []), i]);
      }
      const lines = [...byReason].map(([reason, indexes]) => `${indexes.length} send(s), first #${indexes[0]}, last #${indexes[indexes.length - 1]}: ${reason}`);
      assert.fail(`${failures.length} of ${COUNT} sends failed:\n${lines.join('\n')}`);
    }
    assert.ok(!results.includes(undefined), 'a send never settled');
    const metas = results as RecordMetadata[];

    // What each partition must hold, in send order.
    const expected = Array.from({ length: PARTITIONS }, () => [] as number[]);
    for (let i = 0; i < COUNT; i++) {
      const meta = metas[i];
      assert.equal(meta.topic, TOPIC);
      assert.ok(meta.partition >= 0 && meta.partition < PARTITIONS, `send #${i}: partition ${meta.partition}`);
      expected[meta.partition].push(i);
    }

    const after = await waitForLeaders(kafka, victim, 60_000);
    log(`leaders after the kill ${JSON.stringify(after.leaders)}`);
    const stored: StoredRecord[][] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const port = after.ports.get(after.leaders[p]);
      assert.ok(port !== undefined, `no address for the leader of partition ${p}`);
      const connection = await connect(port);
      try {
        stored.push(await readPartition(connection, TOPIC, p));
      } finally {
        connection.close();
      }
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const values = stored[p].map((r) => r.value);
      const want = expected[p].map((i) => `v-${i}`);
      const seen = new Map<string, number>();
      for (const value of values) seen.set(value ?? '<null>', (seen.get(value ?? '<null>') ?? 0) + 1);
      const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
      const missing = want.filter((v) => !seen.has(v));
      assert.deepEqual({ partition: p, duplicated: duplicated.slice(0, 10), missing: missing.slice(0, 10) }, { partition: p, duplicated: [], missing: [] });
      assert.deepEqual(values, want, `partition ${p}: stored records are not the sent ones in send order`);
      // Each send reported the offset the record was stored at.
      assert.deepEqual(
        expected[p].map((i) => metas[i].offset),
        stored[p].map((r) => r.offset),
        `partition ${p}: offsets reported by send() differ from the stored offsets`,
      );
      assert.equal(new Set(stored[p].map((r) => r.producerId)).size, 1, `partition ${p}: more than one producer id`);
    }
    assert.equal(stored.reduce((sum, records) => sum + records.length, 0), COUNT);
  });
});
