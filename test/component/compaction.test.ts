// Log compaction end to end: a topic created with cleanup.policy=compact and tiny segments, keyed records
// produced by our producer (gzip, so the cleaner rebuilds compressed batches), the broker's background cleaner,
// and our consumer reading the partition from the start: below the active segment only the latest value of each
// key is left (a tombstone included, within delete.retention.ms), offsets unchanged. With transactions, aborted
// records are cleaned away and read_committed reads the same committed values. A record without a key is refused
// with INVALID_RECORD, as Kafka refuses it on compacted topics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyKafkaProperties, ConfigError, defaultBrokerConfig, startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, BrokerConnection, Consumer, KafkaClientError, Producer, type ConsumerRecord } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ logCleanerBackoffMs: 20 });
});

after(async () => {
  await broker?.close();
});

async function createTopic(topic: string, configs: Record<string, string>): Promise<number> {
  const [host, port] = broker.bootstrap.split(':');
  const admin = await BrokerConnection.open({ host, port: Number(port) });
  try {
    const created = await admin.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    return created.topics[0].errorCode;
  } finally {
    admin.close();
  }
}

/** Reads partition 0 from its start until `count` records, or until a record at `untilOffset` or past it. */
async function readFromStart(
  topic: string,
  stop: { count: number } | { untilOffset: bigint },
  isolationLevel: 'read_committed' | 'read_uncommitted' = 'read_committed',
): Promise<ConsumerRecord[]> {
  const consumer = new Consumer({ bootstrap: broker.bootstrap, fetchMaxWaitMs: 50, autoOffsetReset: 'earliest', isolationLevel });
  const records: ConsumerRecord[] = [];
  try {
    consumer.assign([{ topic, partition: 0 }]);
    for await (const record of consumer) {
      records.push(record);
      if ('count' in stop ? records.length >= stop.count : record.offset >= stop.untilOffset) break;
    }
  } finally {
    await consumer.close();
  }
  return records;
}

describe('log compaction through the broker', { timeout: 120_000 }, () => {
  it('accepts cleanup.policy=compact and compact,delete at CreateTopics, refuses an unknown policy', async () => {
    assert.equal(await createTopic('policy-compact', { 'cleanup.policy': 'compact' }), 0);
    assert.equal(await createTopic('policy-both', { 'cleanup.policy': 'compact,delete' }), 0);
    assert.equal(await createTopic('policy-bad', { 'cleanup.policy': 'shred' }), 40, 'INVALID_CONFIG');
  });

  it('a consumer reading a cleaned topic from the start sees only the latest value of each key', async () => {
    const topic = 'compacted-changelog';
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'min.cleanable.dirty.ratio': '0.01' };
    assert.equal(await createTopic(topic, configs), 0);
    const producer = new Producer({ bootstrap: broker.bootstrap, compression: 'gzip', lingerMs: 1 });
    const keys = 20;
    const rounds = 15;
    let fillerEnd = -1n;
    let lastRealOffset = -1n;
    try {
      for (let round = 0; round < rounds; round++) {
        const sent = await producer.send(Array.from({ length: keys }, (_, k) => ({ topic, partition: 0, key: `key-${k}`, value: `round-${round}`.padEnd(40, '.') })));
        lastRealOffset = sent[sent.length - 1].offset;
      }
      const tombstone = await producer.send({ topic, partition: 0, key: 'key-3', value: null });
      lastRealOffset = tombstone.offset;
      // Filler under one key until two more segments rolled: every real key then lies below the active segment.
      for (let i = 0; i < 120; i++) fillerEnd = (await producer.send({ topic, partition: 0, key: 'filler', value: `f${i}`.padEnd(60, '.') })).offset;
    } finally {
      await producer.close();
    }
    // The cleaner checkpoints where it stopped: wait until that is past every real key.
    const checkpoint = join(broker.dataDir, `${topic}-0`, 'cleaner-offset-checkpoint');
    for (let waited = 0; ; waited += 20) {
      const cleanedTo = existsSync(checkpoint) ? BigInt(readFileSync(checkpoint, 'latin1').split('\n')[1] ?? '-1') : -1n;
      if (cleanedTo > lastRealOffset) break;
      assert.ok(waited < 60_000, `cleaner did not reach offset ${lastRealOffset} (at ${cleanedTo})`);
      await sleep(20);
    }
    const records: ConsumerRecord[] = [];
    const consumer = new Consumer({ bootstrap: broker.bootstrap, fetchMaxWaitMs: 50, autoOffsetReset: 'earliest' });
    try {
      consumer.assign([{ topic, partition: 0 }]);
      for await (const record of consumer) {
        records.push(record);
        if (record.offset >= fillerEnd) break;
      }
    } finally {
      await consumer.close();
    }
    const real = records.filter((record) => record.keyString() !== 'filler');
    assert.equal(real.length, keys, `one record per key, got ${real.map((r) => `${r.offset}:${r.keyString()}`).join(' ')}`);
    for (const record of real) {
      if (record.keyString() === 'key-3') assert.equal(record.value, null, 'the tombstone is kept within delete.retention.ms');
      else assert.equal(record.valueString()?.replace(/\.+$/, ''), `round-${rounds - 1}`, `latest value of ${record.keyString()}`);
    }
    // Offsets are kept: the last round sat at offsets (rounds - 1) * keys onward.
    const firstOfLastRound = BigInt((rounds - 1) * keys);
    for (const record of real) if (record.keyString() !== 'key-3') assert.ok(record.offset >= firstOfLastRound);
    assert.ok(records.length < rounds * keys, 'superseded values were removed');
  });

  it('transactions: aborted records are cleaned away and read_committed sees the same committed values', async () => {
    const topic = 'compacted-transactions';
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' };
    assert.equal(await createTopic(topic, configs), 0);
    const transactional = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'compaction-txn', lingerMs: 1 });
    const plain = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
    const write = async (keys: string[], value: string, commit: boolean) => {
      await transactional.beginTransaction();
      await transactional.send(keys.map((key) => ({ topic, partition: 0, key, value })));
      if (commit) await transactional.commitTransaction();
      else await transactional.abortTransaction();
    };
    let fillerEnd = -1n;
    let txnEnd = -1n;
    try {
      await write(['a', 'b', 'c', 'd', 'e'], 'committed-1', true);
      await write(['a', 'b', 'c'], 'aborted', false);
      await write(['d', 'e'], 'committed-2', true);
      txnEnd = (await plain.send({ topic, partition: 0, key: 'filler', value: 'start' })).offset;
      for (let i = 0; i < 60; i++) fillerEnd = (await plain.send({ topic, partition: 0, key: 'filler', value: `f${i}`.padEnd(60, '.') })).offset;
    } finally {
      await transactional.close();
      await plain.close();
    }
    const checkpoint = join(broker.dataDir, `${topic}-0`, 'cleaner-offset-checkpoint');
    for (let waited = 0; ; waited += 20) {
      const cleanedTo = existsSync(checkpoint) ? BigInt(readFileSync(checkpoint, 'latin1').split('\n')[1] ?? '-1') : -1n;
      if (cleanedTo > txnEnd) break;
      assert.ok(waited < 60_000, `cleaner did not reach offset ${txnEnd} (at ${cleanedTo})`);
      await sleep(20);
    }
    const latest = (records: ConsumerRecord[]) =>
      Object.fromEntries(records.filter((r) => r.keyString() !== 'filler').map((r) => [r.keyString(), r.valueString()]));
    const readUntil = (isolationLevel: 'read_committed' | 'read_uncommitted') => readFromStart(topic, { untilOffset: fillerEnd }, isolationLevel);
    const expected = { a: 'committed-1', b: 'committed-1', c: 'committed-1', d: 'committed-2', e: 'committed-2' };
    assert.deepEqual(latest(await readUntil('read_committed')), expected);
    const uncommitted = await readUntil('read_uncommitted');
    assert.ok(!uncommitted.some((r) => r.valueString() === 'aborted'), 'aborted records were removed by the cleaner');
    assert.deepEqual(latest(uncommitted), expected);
    assert.equal(uncommitted.filter((r) => r.keyString() === 'a').length, 1, 'one value per key below the active segment');
  });

  it('IncrementalAlterConfigs: a delete topic switched to compact (and its dirty ratio lowered) is cleaned by the running cleaner', async () => {
    const topic = 'altered-to-compact';
    assert.equal(await createTopic(topic, { 'cleanup.policy': 'delete', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.99' }), 0);
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
    let lastRealOffset = -1n;
    let fillerEnd = -1n;
    try {
      for (let round = 0; round < 8; round++) {
        const sent = await producer.send(Array.from({ length: 5 }, (_, k) => ({ topic, partition: 0, key: `key-${k}`, value: `round-${round}`.padEnd(40, '.') })));
        lastRealOffset = sent[sent.length - 1].offset;
      }
      for (let i = 0; i < 40; i++) fillerEnd = (await producer.send({ topic, partition: 0, key: 'filler', value: `f${i}`.padEnd(60, '.') })).offset;
    } finally {
      await producer.close();
    }
    const checkpoint = join(broker.dataDir, `${topic}-0`, 'cleaner-offset-checkpoint');
    const cleanedTo = () => (existsSync(checkpoint) ? BigInt(readFileSync(checkpoint, 'latin1').split('\n')[1] ?? '-1') : -1n);
    // Several cleaner backoffs pass: a delete topic is not the cleaner's.
    await sleep(200);
    assert.equal(cleanedTo(), -1n, 'a delete topic is never cleaned');
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [{ name: 'cleanup.policy', operation: 'set', value: 'compact' }]);
      // Its first cleaning: a never-cleaned log is all dirty. Then the ratio only matters for later cleanings.
      await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [{ name: 'min.cleanable.dirty.ratio', operation: 'set', value: '0.01' }]);
    } finally {
      await admin.close();
    }
    for (let waited = 0; cleanedTo() <= lastRealOffset; waited += 20) {
      assert.ok(waited < 60_000, `cleaner did not reach offset ${lastRealOffset} (at ${cleanedTo()})`);
      await sleep(20);
    }
    const consumer = new Consumer({ bootstrap: broker.bootstrap, fetchMaxWaitMs: 50, autoOffsetReset: 'earliest' });
    const read: ConsumerRecord[] = [];
    try {
      consumer.assign([{ topic, partition: 0 }]);
      for await (const record of consumer) {
        read.push(record);
        if (record.offset >= fillerEnd) break;
      }
    } finally {
      await consumer.close();
    }
    const keyed = read.filter((record) => record.keyString() !== 'filler');
    assert.deepEqual(
      keyed.map((record) => `${record.keyString()}=${record.valueString()?.replace(/\.+$/, '')}`),
      Array.from({ length: 5 }, (_, k) => `key-${k}=round-7`),
    );

    // The cleaner's statistics (read by the metrics endpoint) show that cleaning.
    const stats = broker.cleanerStats();
    const partition = stats.partitions.find((entry) => entry.topic === topic && entry.partition === 0);
    assert.ok(partition !== undefined && partition.lastRun !== null, `stats for ${topic}-0: ${JSON.stringify(stats.partitions.map((p) => p.topic))}`);
    assert.ok(partition.runs >= 1);
    assert.ok(partition.lastRun.endOffset > lastRealOffset, 'the last run cleaned past the real keys');
    assert.ok(partition.bytesRead > 0 && partition.bytesWritten > 0 && partition.bytesWritten < partition.bytesRead, 'superseded bytes were dropped');
    assert.ok(partition.lastRun.recordsRetained < partition.lastRun.recordsRead);
    assert.ok(partition.lastRun.finishedAtMs >= partition.lastRun.startedAtMs);
    assert.ok(stats.totals.runs >= partition.runs && stats.totals.bytesRead >= partition.bytesRead);
    assert.equal(stats.uncleanablePartitionsCount, 0);
    assert.equal(stats.deadThreadCount, 0);
    assert.throws(() => {
      (stats as { totals: { runs: number } }).totals.runs = -1;
    }, 'a read-only copy');
  });

  it('log.cleaner.io.max.bytes.per.second: Kafka\'s default is unlimited; a positive rate is taken, anything else refused', () => {
    assert.equal(defaultBrokerConfig.logCleanerIoMaxBytesPerSecond, Number.MAX_VALUE);
    assert.equal(applyKafkaProperties(defaultBrokerConfig, { 'log.cleaner.io.max.bytes.per.second': '1048576.5' }).logCleanerIoMaxBytesPerSecond, 1048576.5);
    assert.equal(applyKafkaProperties(defaultBrokerConfig, { 'log.cleaner.io.max.bytes.per.second': '1.7976931348623157E308' }).logCleanerIoMaxBytesPerSecond, Number.MAX_VALUE);
    for (const bad of ['0', '-1', 'fast', '']) {
      assert.throws(() => applyKafkaProperties(defaultBrokerConfig, { 'log.cleaner.io.max.bytes.per.second': bad }), ConfigError, bad);
    }
  });

  it('broker-wide defaults (log.cleanup.policy, log.cleaner.min.cleanable.ratio, ...) apply to topics without overrides', async () => {
    const properties = applyKafkaProperties(defaultBrokerConfig, {
      'log.cleanup.policy': 'compact',
      'log.cleaner.min.cleanable.ratio': '0.01',
      'log.cleaner.delete.retention.ms': '1000',
      'log.cleaner.min.compaction.lag.ms': '0',
      'log.cleaner.max.compaction.lag.ms': '9223372036854775807',
      'log.segment.bytes': '1024',
      'log.cleaner.backoff.ms': '20',
    });
    assert.equal(properties.logCleanerMaxCompactionLagMs, Number.MAX_SAFE_INTEGER);
    assert.throws(() => applyKafkaProperties(defaultBrokerConfig, { 'log.cleanup.policy': 'shred' }), ConfigError);
    assert.throws(() => applyKafkaProperties(defaultBrokerConfig, { 'log.cleaner.min.cleanable.ratio': '2' }), ConfigError);
    const own = await startBroker({
      logCleanupPolicy: properties.logCleanupPolicy,
      logCleanerMinCleanableRatio: properties.logCleanerMinCleanableRatio,
      logCleanerDeleteRetentionMs: properties.logCleanerDeleteRetentionMs,
      logSegmentBytes: properties.logSegmentBytes,
      logCleanerBackoffMs: properties.logCleanerBackoffMs,
    });
    try {
      const topic = 'compacted-by-default';
      const producer = new Producer({ bootstrap: own.bootstrap, lingerMs: 1, retries: 0 });
      let lastRealOffset = -1n;
      try {
        // Auto-created with the broker defaults: compacted, so a record without a key is refused.
        await producer.send({ topic, partition: 0, key: 'k0', value: 'first' });
        await assert.rejects(producer.send({ topic, partition: 0, value: 'no key' }), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_RECORD');
        for (let round = 0; round < 8; round++) {
          const sent = await producer.send(Array.from({ length: 4 }, (_, k) => ({ topic, partition: 0, key: `k${k}`, value: `round-${round}`.padEnd(40, '.') })));
          lastRealOffset = sent[sent.length - 1].offset;
        }
        for (let i = 0; i < 40; i++) await producer.send({ topic, partition: 0, key: 'filler', value: `f${i}`.padEnd(60, '.') });
      } finally {
        await producer.close();
      }
      for (let waited = 0; ; waited += 20) {
        const run = own.cleanerStats().partitions.find((entry) => entry.topic === topic)?.lastRun;
        if (run !== undefined && run !== null && run.endOffset > lastRealOffset) break;
        assert.ok(waited < 60_000, 'the broker default cleanup.policy=compact did not get the topic cleaned');
        await sleep(20);
      }
      // DescribeConfigs reports what the log uses: the broker's value, as a static broker config.
      const admin = new Admin({ bootstrap: own.bootstrap });
      try {
        const [described] = await admin.describeConfigs([{ type: 'topic', name: topic }], { names: ['cleanup.policy', 'min.cleanable.dirty.ratio', 'delete.retention.ms'] });
        assert.deepEqual(Object.fromEntries(described.entries.map((entry) => [entry.name, entry.value])), {
          'cleanup.policy': 'compact',
          'min.cleanable.dirty.ratio': '0.01',
          'delete.retention.ms': '1000',
        });
        for (const entry of described.entries) assert.notEqual(entry.source, 'DEFAULT_CONFIG', `${entry.name} comes from the broker's setting`);
      } finally {
        await admin.close();
      }
    } finally {
      await own.close();
    }
  });

  it('refuses a record without a key on a compacted topic with INVALID_RECORD, and keeps the keyed ones', async () => {
    const topic = 'compacted-needs-keys';
    assert.equal(await createTopic(topic, { 'cleanup.policy': 'compact,delete' }), 0);
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1, retries: 0 });
    try {
      await assert.rejects(producer.send({ topic, partition: 0, value: 'no key' }), (error: unknown) => {
        assert.ok(error instanceof KafkaClientError);
        assert.equal(error.errorName, 'INVALID_RECORD');
        assert.match(error.message, /Compacted topic cannot accept message without key/);
        return true;
      });
      await producer.send({ topic, partition: 0, key: 'k', value: 'kept' });
    } finally {
      await producer.close();
    }
    const [record] = await readFromStart(topic, { count: 1 });
    assert.equal(record.valueString(), 'kept');
  });
});
