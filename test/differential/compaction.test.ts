// Log compaction, differentially: the same keyed writes, tombstones and transactions go to Apache Kafka and to
// seqlog through our client; each broker's own cleaner compacts them (small segments by `segment.ms`, a 0.01
// dirty ratio, no compaction lag, a short cleaner backoff); then both are read back with a consumer and compared
// semantically: the record list (key and value, in log order) below the active segment, the key -> latest value
// map, tombstones kept within `delete.retention.ms` and gone after it (KIP-534's delete horizon), and the
// read_committed and read_uncommitted views once aborted transactional data is cleaned away. Physical offsets are
// not compared. "Cleaned" is each broker's own cleaner-offset checkpoint (Kafka's `LogCleanerManager` writes
// `cleaner-offset-checkpoint` per log directory, seqlog one per partition) having passed the last written record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBroker } from '../../src/broker/index.ts';
import type { RunningBroker } from '../../src/broker/index.ts';
import { Admin, Consumer, Producer } from '../../src/client/index.ts';
import type { ConsumerRecord } from '../../src/client/index.ts';
import { startReferenceKafka } from '../reference/kafka.ts';
import type { ReferenceKafka } from '../reference/kafka.ts';
import { waitForProducerIds } from './targets.ts';

/** Segments roll by age: every batch produced more than SEGMENT_MS after a segment's first one starts a new one. */
const SEGMENT_MS = 100;
const ROLL_WAIT_MS = SEGMENT_MS + 50;
const CLEAN_TIMEOUT_MS = 60_000;

interface Target {
  readonly name: 'kafka' | 'seqlog';
  readonly bootstrap: string;
  /** Where the broker's cleaner stopped in `topic`-0 (the next dirty offset), or -1 before any cleaning. */
  cleanedTo(topic: string): bigint;
}

interface Read {
  readonly key: string | null;
  readonly value: string | null;
}

type Isolation = 'read_committed' | 'read_uncommitted';

let reference: ReferenceKafka;
let broker: RunningBroker;
let dataDir: string;
let targets: Target[];

/** Kafka's checkpoint file: version, count, then `topic partition offset` lines. */
function kafkaCleanedTo(file: string, topic: string): bigint {
  if (!existsSync(file)) return -1n;
  for (const line of readFileSync(file, 'utf8').split('\n').slice(2)) {
    const [name, partition, offset] = line.trim().split(/\s+/);
    if (name === topic && partition === '0') return BigInt(offset);
  }
  return -1n;
}

/** seqlog's per-partition checkpoint: version, then the offset. */
function seqlogCleanedTo(file: string): bigint {
  if (!existsSync(file)) return -1n;
  return BigInt(readFileSync(file, 'utf8').split('\n')[1]?.trim() || '-1');
}

before(async () => {
  reference = await startReferenceKafka({
    config: { 'log.cleaner.backoff.ms': '100', 'log.cleaner.dedupe.buffer.size': String(16 * 1024 * 1024) },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'seqlog-differential-compaction-'));
  broker = await startBroker({ dataDir, logCleanerBackoffMs: 100 });
  const node = reference.brokers[0];
  await waitForProducerIds(node.host, node.port);
  const kafkaCheckpoint = join(reference.dir, `node-${node.id}`, 'data', 'cleaner-offset-checkpoint');
  targets = [
    { name: 'kafka', bootstrap: reference.bootstrap, cleanedTo: (topic) => kafkaCleanedTo(kafkaCheckpoint, topic) },
    { name: 'seqlog', bootstrap: broker.bootstrap, cleanedTo: (topic) => seqlogCleanedTo(join(dataDir, `${topic}-0`, 'cleaner-offset-checkpoint')) },
  ];
});

after(async () => {
  await Promise.allSettled([broker?.close(), reference?.stop()]);
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

async function createCompactedTopic(target: Target, topic: string, overrides: Record<string, string> = {}): Promise<void> {
  const admin = new Admin({ bootstrap: target.bootstrap });
  try {
    await admin.createTopics([
      {
        name: topic,
        partitions: 1,
        replicationFactor: 1,
        configs: {
          'cleanup.policy': 'compact',
          'segment.ms': String(SEGMENT_MS),
          'min.cleanable.dirty.ratio': '0.01',
          'min.compaction.lag.ms': '0',
          'delete.retention.ms': '86400000',
          ...overrides,
        },
      },
    ]);
  } finally {
    await admin.close();
  }
}

/**
 * Waits past a segment's age, then writes one record under the key `roll`: it lands in a new active segment, so
 * everything written before is cleanable. Returns that record's offset.
 */
async function rollAfter(producer: Producer, topic: string, tag: string): Promise<bigint> {
  await sleep(ROLL_WAIT_MS);
  return (await producer.send({ topic, partition: 0, key: 'roll', value: tag })).offset;
}

/** Waits (bounded) until the broker's cleaner has cleaned `topic`-0 up to at least `offset`. */
async function waitCleanedTo(target: Target, topic: string, offset: bigint): Promise<void> {
  const deadline = Date.now() + CLEAN_TIMEOUT_MS;
  for (;;) {
    const cleaned = target.cleanedTo(topic);
    if (cleaned >= offset) return;
    assert.ok(Date.now() < deadline, `${target.name}: the cleaner did not reach offset ${offset} of ${topic} (at ${cleaned})`);
    await sleep(50);
  }
}

/** Reads `topic`-0 from the start through the record at `lastOffset`; the `roll` records are left out. */
async function readAll(target: Target, topic: string, lastOffset: bigint, isolationLevel: Isolation = 'read_committed'): Promise<Read[]> {
  const consumer = new Consumer({ bootstrap: target.bootstrap, fetchMaxWaitMs: 50, autoOffsetReset: 'earliest', isolationLevel });
  const records: ConsumerRecord[] = [];
  try {
    consumer.assign([{ topic, partition: 0 }]);
    for await (const record of consumer) {
      records.push(record);
      if (record.offset >= lastOffset) break;
    }
  } finally {
    await consumer.close();
  }
  return records.filter((record) => record.keyString() !== 'roll').map((record) => ({ key: record.keyString(), value: record.valueString() }));
}

function latestByKey(reads: readonly Read[]): Record<string, string | null> {
  const latest: Record<string, string | null> = {};
  for (const read of reads) latest[read.key ?? '(null)'] = read.value;
  return latest;
}

/** Runs `scenario` on both brokers at once (their cleaners' waits overlap) and returns what each observed. */
async function onBoth<T>(scenario: (target: Target) => Promise<T>): Promise<{ kafka: T; seqlog: T }> {
  const [kafka, seqlog] = await Promise.all(targets.map(scenario));
  return { kafka, seqlog };
}

describe('log compaction: seqlog against Apache Kafka', { timeout: 300_000 }, () => {
  it('keyed updates and tombstones: the same records survive, one per key, tombstones kept within delete.retention.ms', async () => {
    const topic = 'compact-latest-value';
    const keys = 12;
    const rounds = 6;
    const observed = await onBoth(async (target) => {
      await createCompactedTopic(target, topic);
      const producer = new Producer({ bootstrap: target.bootstrap, lingerMs: 1 });
      try {
        for (let round = 0; round < rounds; round++) {
          await producer.send(Array.from({ length: keys }, (_, k) => ({ topic, partition: 0, key: `k${k}`, value: `r${round}-k${k}` })));
          // A deleted key, a key deleted then written again, a key deleted twice.
          if (round === 2) await producer.send([{ topic, partition: 0, key: 'k3', value: null }, { topic, partition: 0, key: 'k5', value: null }]);
          if (round === 4) await producer.send([{ topic, partition: 0, key: 'k7', value: null }, { topic, partition: 0, key: 'k7', value: null }]);
          if (round % 2 === 1) await sleep(ROLL_WAIT_MS);
        }
        // Deleted after the last round: the tombstone is the latest record of these keys.
        await producer.send([{ topic, partition: 0, key: 'k3', value: null }, { topic, partition: 0, key: 'k9', value: null }]);
        const last = await rollAfter(producer, topic, 'end');
        await waitCleanedTo(target, topic, last);
        return await readAll(target, topic, last);
      } finally {
        await producer.close();
      }
    });
    assert.deepEqual(observed.seqlog, observed.kafka, 'the records left by the cleaner, in log order');
    const expected: Record<string, string | null> = {};
    for (let k = 0; k < keys; k++) expected[`k${k}`] = `r${rounds - 1}-k${k}`;
    expected.k3 = null;
    expected.k9 = null;
    for (const [name, reads] of Object.entries(observed)) {
      assert.deepEqual(latestByKey(reads), expected, `${name}: key -> latest value`);
      assert.equal(reads.length, keys, `${name}: one record per key, tombstones included (${JSON.stringify(reads)})`);
    }
  });

  it('tombstones: stamped with a delete horizon by one cleaning, removed by a cleaning after delete.retention.ms', async () => {
    const topic = 'compact-tombstone-expiry';
    const retentionMs = 1000;
    const observed = await onBoth(async (target) => {
      await createCompactedTopic(target, topic, { 'delete.retention.ms': String(retentionMs) });
      const producer = new Producer({ bootstrap: target.bootstrap, lingerMs: 1 });
      try {
        await producer.send(Array.from({ length: 8 }, (_, k) => ({ topic, partition: 0, key: `k${k}`, value: `first-k${k}` })));
        await sleep(ROLL_WAIT_MS);
        await producer.send([{ topic, partition: 0, key: 'k1', value: null }, { topic, partition: 0, key: 'k2', value: null }]);
        const firstEnd = await rollAfter(producer, topic, 'first');
        await waitCleanedTo(target, topic, firstEnd);
        // A later cleaning, once the horizon has passed: new dirty data makes the log eligible again.
        await sleep(retentionMs + 200);
        await producer.send(Array.from({ length: 8 }, (_, k) => ({ topic, partition: 0, key: `k${k + 4}`, value: `second-k${k + 4}` })));
        const secondEnd = await rollAfter(producer, topic, 'second');
        await waitCleanedTo(target, topic, secondEnd);
        return await readAll(target, topic, secondEnd);
      } finally {
        await producer.close();
      }
    });
    assert.deepEqual(observed.seqlog, observed.kafka, 'the records left after the tombstones expired');
    for (const [name, reads] of Object.entries(observed)) {
      assert.ok(!reads.some((read) => read.value === null), `${name}: no tombstone left (${JSON.stringify(reads)})`);
      assert.deepEqual(latestByKey(reads), {
        k0: 'first-k0',
        k3: 'first-k3',
        k4: 'second-k4',
        k5: 'second-k5',
        k6: 'second-k6',
        k7: 'second-k7',
        k8: 'second-k8',
        k9: 'second-k9',
        k10: 'second-k10',
        k11: 'second-k11',
      });
    }
  });

  it('IncrementalAlterConfigs: a delete topic switched to compact is cleaned by the running cleaner', async () => {
    const topic = 'compact-after-alter';
    const observed = await onBoth(async (target) => {
      await createCompactedTopic(target, topic, { 'cleanup.policy': 'delete', 'retention.ms': '-1' });
      const producer = new Producer({ bootstrap: target.bootstrap, lingerMs: 1 });
      const admin = new Admin({ bootstrap: target.bootstrap });
      try {
        for (let round = 0; round < 4; round++) {
          await producer.send(Array.from({ length: 6 }, (_, k) => ({ topic, partition: 0, key: `k${k}`, value: `r${round}-k${k}` })));
          await sleep(ROLL_WAIT_MS);
        }
        const last = await rollAfter(producer, topic, 'end');
        const before = await readAll(target, topic, last);
        await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [{ name: 'cleanup.policy', operation: 'set', value: 'compact' }]);
        await waitCleanedTo(target, topic, last);
        return { before, after: await readAll(target, topic, last) };
      } finally {
        await Promise.allSettled([producer.close(), admin.close()]);
      }
    });
    assert.deepEqual(observed.seqlog, observed.kafka);
    for (const [name, views] of Object.entries(observed)) {
      assert.equal(views.before.length, 24, `${name}: nothing cleaned under cleanup.policy=delete`);
      assert.deepEqual(
        views.after,
        Array.from({ length: 6 }, (_, k) => ({ key: `k${k}`, value: `r3-k${k}` })),
        `${name}: cleaned once the policy is compact`,
      );
    }
  });

  it('transactions: aborted records are cleaned away, read_committed and read_uncommitted views match', async () => {
    const topic = 'compact-transactions';
    const observed = await onBoth(async (target) => {
      await createCompactedTopic(target, topic);
      const transactional = new Producer({ bootstrap: target.bootstrap, transactionalId: `compaction-differential-${target.name}`, lingerMs: 1 });
      const plain = new Producer({ bootstrap: target.bootstrap, lingerMs: 1 });
      const transaction = async (keys: readonly string[], value: string, commit: boolean) => {
        await transactional.beginTransaction();
        await transactional.send(keys.map((key) => ({ topic, partition: 0, key, value: `${value}-${key}` })));
        if (commit) await transactional.commitTransaction();
        else await transactional.abortTransaction();
      };
      try {
        await transactional.initTransactions();
        await transaction(['a', 'b', 'c', 'd', 'e'], 'committed-1', true);
        await transaction(['a', 'b', 'c'], 'aborted-1', false);
        await plain.send([{ topic, partition: 0, key: 'p', value: 'plain-1' }]);
        await sleep(ROLL_WAIT_MS);
        await transaction(['d', 'e', 'f'], 'committed-2', true);
        // Keys only an aborted transaction ever wrote: nothing of them may remain.
        await transaction(['x', 'y'], 'aborted-2', false);
        await transaction(['a'], 'committed-3', true);
        const last = await rollAfter(plain, topic, 'end');
        await waitCleanedTo(target, topic, last);
        return { committed: await readAll(target, topic, last, 'read_committed'), uncommitted: await readAll(target, topic, last, 'read_uncommitted') };
      } finally {
        await Promise.allSettled([transactional.close(), plain.close()]);
      }
    });
    assert.deepEqual(observed.seqlog.committed, observed.kafka.committed, 'read_committed after cleaning');
    assert.deepEqual(observed.seqlog.uncommitted, observed.kafka.uncommitted, 'read_uncommitted after cleaning');
    const expected = {
      a: 'committed-3-a',
      b: 'committed-1-b',
      c: 'committed-1-c',
      d: 'committed-2-d',
      e: 'committed-2-e',
      f: 'committed-2-f',
      p: 'plain-1',
    };
    for (const [name, views] of Object.entries(observed)) {
      assert.deepEqual(latestByKey(views.committed), expected, `${name}: read_committed key -> latest value`);
      assert.deepEqual(views.uncommitted, views.committed, `${name}: with aborted data cleaned away, read_uncommitted reads what read_committed reads`);
      assert.equal(views.committed.length, Object.keys(expected).length, `${name}: one record per key`);
    }
  });
});
