// seqlog's consumer against a real one-node Apache Kafka 4.4: read_committed over transactions written by
// KafkaJS's transactional producer (committed, aborted, and one left open so that the last stable offset holds
// readers back), read_uncommitted seeing everything, a two-member cooperative-sticky group that splits the
// partitions, delivers every record and commits the end offsets, and static membership (KIP-345) with range.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { Consumer, type ConsumerRecord } from '../../src/client/index.ts';

async function drain(consumer: Consumer, until: (records: ConsumerRecord[]) => boolean, timeoutMs = 30_000): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    await consumer.run({ signal: controller.signal, eachRecord: (record) => {
      records.push(record);
      if (until(records)) controller.abort();
    } });
  } finally {
    clearTimeout(timer);
  }
  return records;
}

describe('consumer against reference Apache Kafka, one node', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('read_committed hides aborted transactions and stops at an open one; read_uncommitted sees all', async () => {
    const topic = 'rc-interop';
    const client = new Kafka({ clientId: 'rc-writer', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = client.producer({ transactionalId: 'rc-writer', idempotent: true, maxInFlightRequests: 1 });
    const open = client.producer({ transactionalId: 'rc-open', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await open.connect();
    const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` }));
    try {
      let txn = await producer.transaction();
      await txn.send({ topic, messages: values('c1-', 5) });
      await txn.commit();
      txn = await producer.transaction();
      await txn.send({ topic, messages: values('ab-', 5) });
      await txn.abort();
      txn = await producer.transaction();
      await txn.send({ topic, messages: values('c2-', 5) });
      await txn.commit();
      // Left open: everything from here on is above the last stable offset.
      const pending = await open.transaction();
      await pending.send({ topic, messages: values('open-', 3) });
      txn = await producer.transaction();
      await txn.send({ topic, messages: values('c3-', 2) });
      await txn.commit();

      const committed = new Consumer({ bootstrap: kafka.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
      try {
        committed.assign([{ topic, partition: 0 }]);
        const seen = await drain(committed, (r) => r.length >= 10, 8000);
        assert.deepEqual(seen.map((r) => r.valueString()), [...values('c1-', 5), ...values('c2-', 5)].map((v) => v.value), 'no aborted records, nothing past the open transaction');
        const lag = committed.lag()[0];
        const position = committed.position({ topic, partition: 0 }) as bigint;
        assert.ok(position <= lag.lastStableOffset, `position ${position} never passes the LSO ${lag.lastStableOffset}`);
        assert.ok(lag.lastStableOffset < lag.highWatermark, 'the open transaction holds the LSO below the high watermark');
        assert.ok(committed.metrics().abortedBatchesSkipped >= 1, 'an aborted batch was skipped');
        // Kafka hands out fetch sessions (KIP-227): after the first full fetch, the consumer sends incremental ones.
        assert.equal(committed.metrics().fullFetches >= 1, true);
        assert.ok(committed.metrics().incrementalFetches >= 1, `incremental fetches used: ${JSON.stringify(committed.metrics())}`);
      } finally {
        await committed.close();
      }

      await pending.abort();
      const afterAbort = new Consumer({ bootstrap: kafka.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
      try {
        afterAbort.assign([{ topic, partition: 0 }]);
        const seen = await drain(afterAbort, (r) => r.length >= 12);
        assert.deepEqual(seen.map((r) => r.valueString()), [...values('c1-', 5), ...values('c2-', 5), ...values('c3-', 2)].map((v) => v.value), 'the open transaction aborted: c3 follows, open-* never shows');
      } finally {
        await afterAbort.close();
      }

      const everything = new Consumer({ bootstrap: kafka.bootstrap, autoOffsetReset: 'earliest', isolationLevel: 'read_uncommitted', fetchMaxWaitMs: 100 });
      try {
        everything.assign([{ topic, partition: 0 }]);
        const seen = await drain(everything, (r) => r.length >= 20);
        assert.deepEqual(seen.map((r) => r.valueString()), [...values('c1-', 5), ...values('ab-', 5), ...values('c2-', 5), ...values('open-', 3), ...values('c3-', 2)].map((v) => v.value));
      } finally {
        await everything.close();
      }
    } finally {
      await producer.disconnect();
      await open.disconnect();
    }
  });

  it('a two-member group splits partitions, delivers every record and commits the ends', async () => {
    const topic = 'group-interop';
    const client = new Kafka({ clientId: 'group-writer', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 200 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })) });
    await producer.disconnect();
    const options = { bootstrap: kafka.bootstrap, groupId: 'interop-group', autoOffsetReset: 'earliest' as const, fetchMaxWaitMs: 100, heartbeatIntervalMs: 300, sessionTimeoutMs: 10_000, partitionAssignors: ['cooperative-sticky' as const] };
    const a = new Consumer(options);
    const b = new Consumer(options);
    const seen: ConsumerRecord[] = [];
    const controllers = [new AbortController(), new AbortController()];
    try {
      a.subscribe(topic);
      b.subscribe(topic);
      const runs = [a, b].map((c, i) => c.run({ signal: controllers[i].signal, eachRecord: (r) => void seen.push(r) }));
      const deadline = Date.now() + 60_000;
      while ((new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size < 200 || a.assignment().length !== 2 || b.assignment().length !== 2) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const c of controllers) c.abort();
      await Promise.all(runs);
      assert.equal(new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size, 200);
      assert.deepEqual([a.assignment().length, b.assignment().length], [2, 2]);
      await a.commit();
      await b.commit();
      const offsets = await admin.fetchOffsets({ groupId: 'interop-group', topics: [topic] });
      assert.deepEqual(offsets[0].partitions.map((p) => p.offset).sort(), ['50', '50', '50', '50'], 'Kafka holds the committed ends');
    } finally {
      await a.close();
      await b.close();
      await admin.disconnect();
    }
  });

  it('static membership (KIP-345) with the range assignor: a restarted member gets its partitions back, the other sees no rebalance', async () => {
    const topic = 'static-interop';
    const client = new Kafka({ clientId: 'static-writer', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    await admin.disconnect();
    const options = { bootstrap: kafka.bootstrap, groupId: 'static-interop-group', autoOffsetReset: 'earliest' as const, fetchMaxWaitMs: 100, heartbeatIntervalMs: 300, sessionTimeoutMs: 30_000, partitionAssignors: ['range' as const] };
    const bEvents: string[] = [];
    const a = new Consumer({ ...options, groupInstanceId: 'static-a' });
    const b = new Consumer({ ...options, groupInstanceId: 'static-b' });
    const ac = new AbortController();
    const bc = new AbortController();
    let a2: Consumer | null = null;
    try {
      a.subscribe(topic);
      b.subscribe(topic, { onPartitionsAssigned: (tps) => void bEvents.push(`assigned ${tps.length}`), onPartitionsRevoked: (tps) => void bEvents.push(`revoked ${tps.length}`) });
      const runA = a.run({ signal: ac.signal, eachRecord: () => undefined });
      const runB = b.run({ signal: bc.signal, eachRecord: () => undefined });
      const deadline = Date.now() + 60_000;
      while ((a.assignment().length !== 2 || b.assignment().length !== 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([a.assignment().length, b.assignment().length], [2, 2]);
      const before = a.assignment().map((tp) => tp.partition).sort();
      const eventsBefore = [...bEvents];
      ac.abort();
      await runA;
      await a.close();
      a2 = new Consumer({ ...options, groupInstanceId: 'static-a' });
      a2.subscribe(topic);
      const a2c = new AbortController();
      const runA2 = a2.run({ signal: a2c.signal, eachRecord: () => undefined });
      while (a2.assignment().length !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(a2.assignment().map((tp) => tp.partition).sort(), before, 'Kafka hands the same partitions back');
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(bEvents, eventsBefore, 'the other member saw no rebalance');
      a2c.abort();
      bc.abort();
      await Promise.all([runA2, runB]);
    } finally {
      await Promise.all([a.close(), b.close(), a2?.close()]);
    }
  });
});
