// The consumer against the seqlog broker over real sockets: manual assignment with every codec (bytes kept,
// offsets as bigint), seek/pause/resume, positions and lag, group membership with two and three members
// (each record delivered once across the group while nobody fails, committed offsets at the end), the
// cooperative-sticky assignor, at-least-once redelivery when a handler throws, the prefetch bound under a slow
// handler (over an incremental fetch session, every record delivered once), and unknown option names refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Consumer, KafkaClientError, Producer, type ConsumerRecord, type ConsumerOptions, type CompressionName } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker?.close();
});

async function produce(topic: string, count: number, options: { partitions?: number; compression?: CompressionName; size?: number; prefix?: string } = {}): Promise<void> {
  const partitions = options.partitions ?? 1;
  const [host, port] = broker.bootstrap.split(':');
  const admin = await BrokerConnection.open({ host, port: Number(port) });
  try {
    const created = await admin.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, 0);
  } finally {
    admin.close();
  }
  // batch.size set explicitly keeps batches at 16 KiB (left unset, a backed-up producer grows them to 1 MiB), so the
  // prefetch-bound test's one-batch-over-the-partition-limit allowance (KIP-74) stays small.
  const producer = new Producer({ bootstrap: broker.bootstrap, compression: options.compression ?? 'none', lingerMs: 1, batchSize: 16384 });
  try {
    await producer.send(Array.from({ length: count }, (_, i) => ({
      topic,
      partition: i % partitions,
      key: `k${i}`,
      value: `${options.prefix ?? 'v'}${i}`.padEnd(options.size ?? 0, '.'),
      headers: [{ key: 'n', value: String(i) }],
    })));
  } finally {
    await producer.close();
  }
}

function consumer(options: Partial<ConsumerOptions> = {}): Consumer {
  return new Consumer({ bootstrap: broker.bootstrap, fetchMaxWaitMs: 50, heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, maxPollIntervalMs: 10_000, autoOffsetReset: 'earliest', ...options });
}

/** Takes `count` records from the iterator. */
async function take(source: Consumer, count: number): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
  if (count === 0) return records;
  for await (const record of source) {
    records.push(record);
    if (records.length >= count) break;
  }
  return records;
}

describe('consumer against the seqlog broker', { timeout: 120_000 }, () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`reads assigned partitions with compression ${compression}: bytes, headers, bigint offsets, position and lag`, async () => {
      const topic = `assign-${compression}`;
      await produce(topic, 50, { partitions: 2, compression });
      const c = consumer();
      try {
        c.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
        const records = await take(c, 50);
        const byPartition = [0, 1].map((p) => records.filter((r) => r.partition === p));
        for (const [p, list] of byPartition.entries()) {
          assert.deepEqual(list.map((r) => r.offset), Array.from({ length: 25 }, (_, i) => BigInt(i)), `partition ${p} in offset order`);
          assert.deepEqual(list.map((r) => r.valueString()), Array.from({ length: 25 }, (_, i) => `v${i * 2 + p}`));
        }
        const first = byPartition[0][0];
        assert.ok(Buffer.isBuffer(first.key) && Buffer.isBuffer(first.value));
        assert.equal(first.keyString(), 'k0');
        assert.equal(first.headerString('n'), '0');
        assert.equal(typeof first.offset, 'bigint');
        assert.deepEqual(JSON.parse(JSON.stringify(first)).offset, '0');
        assert.equal(JSON.parse(JSON.stringify(first)).value, Buffer.from('v0').toString('base64'));
        assert.equal(c.position({ topic, partition: 0 }), 25n);
        // Lag counts from what was processed: the iterator marks the last record done only when asked for more.
        const lag = c.lag().sort((a, b) => a.partition - b.partition);
        assert.deepEqual(lag.map((l) => l.highWatermark), [25n, 25n]);
        assert.deepEqual(lag.map((l) => l.lag).sort(), [0n, 1n], 'the record the loop stopped at is not processed yet');
      } finally {
        await c.close();
      }
    });
  }

  it('seeks, pauses and resumes', async () => {
    const topic = 'seek-pause';
    await produce(topic, 40, { partitions: 2 });
    const c = consumer();
    try {
      c.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
      c.pause([{ topic, partition: 1 }]);
      assert.deepEqual(c.paused(), [{ topic, partition: 1 }]);
      const first = await take(c, 20);
      assert.ok(first.every((r) => r.partition === 0), 'nothing from the paused partition');
      c.seek({ topic, partition: 0, offset: 15n });
      c.resume([{ topic, partition: 1 }]);
      const next = await take(c, 25);
      assert.deepEqual(next.filter((r) => r.partition === 0).map((r) => r.offset), [15n, 16n, 17n, 18n, 19n]);
      assert.deepEqual(next.filter((r) => r.partition === 1).map((r) => r.offset), Array.from({ length: 20 }, (_, i) => BigInt(i)));
      c.seek({ topic, partition: 1, offset: 'latest' });
      c.seek({ topic, partition: 0, offset: 'earliest' });
      const again = await take(c, 20);
      assert.deepEqual(again.map((r) => r.offset), Array.from({ length: 20 }, (_, i) => BigInt(i)));
      assert.ok(again.every((r) => r.partition === 0));
    } finally {
      await c.close();
    }
  });

  it('refuses unknown and mistyped option names, naming the likely one', () => {
    assert.throws(() => new Consumer({ bootstrap: broker.bootstrap, 'enable.auto.comit': false } as ConsumerOptions), (error: unknown) => {
      assert.ok(error instanceof KafkaClientError);
      assert.match(error.message, /'enable\.auto\.comit'; did you mean 'enable\.auto\.commit'\?/);
      return true;
    });
    assert.throws(() => new Consumer({ bootstrap: broker.bootstrap, isolationLevel: 'read-committed' as 'read_committed' }), /isolation\.level/);
    assert.throws(() => new Consumer({ bootstrap: broker.bootstrap, groupInstanceId: 'x' }), /group\.instance\.id needs group\.id/);
  });

  it('splits a topic between group members, delivers every record once, and commits what was processed', async () => {
    const topic = 'group-split';
    await produce(topic, 300, { partitions: 6 });
    const groupId = 'split-group';
    const seen: { member: number; record: ConsumerRecord }[] = [];
    const members = [0, 1, 2].map(() => consumer({ groupId, partitionAssignors: ['range'] }));
    const assignedLog: string[][] = [[], [], []];
    const controllers = members.map(() => new AbortController());
    try {
      members.forEach((m, i) => m.subscribe(topic, { onPartitionsAssigned: (tps) => void assignedLog[i].push(...tps.map((tp) => `${tp.partition}`)) }));
      const runs = members.map((m, i) => m.run({ signal: controllers[i].signal, eachRecord: (record) => void seen.push({ member: i, record }) }));
      const deadline = Date.now() + 30_000;
      while ((seen.length < 300 || members.some((m) => m.assignment().length !== 2)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const c of controllers) c.abort();
      await Promise.all(runs);
      const keys = new Set(seen.map(({ record }) => `${record.partition}:${record.offset}`));
      assert.equal(keys.size, 300, 'every record delivered');
      assert.deepEqual(members.map((m) => m.assignment().length), [2, 2, 2], 'six partitions split evenly by the range assignor');
      for (const p of [0, 1, 2, 3, 4, 5]) {
        const offsets = seen.filter(({ record }) => record.partition === p).map(({ record }) => record.offset);
        const firstSeen = offsets.indexOf(0n);
        assert.ok(offsets.slice(firstSeen).every((o, i, list) => i === 0 || o > list[i - 1] || o === 0n), `partition ${p} in order per delivery run`);
      }
      await Promise.all(members.map((m) => m.commit()));
      const committed = await members[0].committed(Array.from({ length: 6 }, (_, partition) => ({ topic, partition })));
      assert.deepEqual(committed.map((c) => c.offset).sort(), Array(6).fill(50n), 'every partition committed at its end');
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
  });

  it('cooperative-sticky: a second member takes half the partitions without the first giving up the rest', async () => {
    const topic = 'coop';
    await produce(topic, 40, { partitions: 4 });
    const groupId = 'coop-group';
    const revoked: number[] = [];
    const a = consumer({ groupId, partitionAssignors: ['cooperative-sticky'] });
    const b = consumer({ groupId, partitionAssignors: ['cooperative-sticky'] });
    const ac = new AbortController();
    const bc = new AbortController();
    try {
      a.subscribe(topic, { onPartitionsRevoked: (tps) => void revoked.push(...tps.map((tp) => tp.partition)) });
      const runA = a.run({ signal: ac.signal, eachRecord: () => undefined });
      const deadline = Date.now() + 30_000;
      while (a.assignment().length !== 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(a.assignment().length, 4);
      b.subscribe(topic);
      const runB = b.run({ signal: bc.signal, eachRecord: () => undefined });
      while ((a.assignment().length !== 2 || b.assignment().length !== 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(a.assignment().length, 2);
      assert.equal(b.assignment().length, 2);
      assert.equal(revoked.length, 2, 'only the two moved partitions were revoked (incremental, KIP-429)');
      ac.abort();
      bc.abort();
      await Promise.all([runA, runB]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('at-least-once: a record whose handler throws is delivered again, and is not committed', async () => {
    const topic = 'redeliver';
    await produce(topic, 10);
    const c = consumer({ groupId: 'redeliver-group', enableAutoCommit: false });
    try {
      c.subscribe(topic);
      const seen: bigint[] = [];
      await assert.rejects(c.run({ eachRecord: (record) => {
        seen.push(record.offset);
        if (record.offset === 4n) throw new Error('handler failed');
      } }), /handler failed/);
      await c.commit();
      const committed = await c.committed([{ topic, partition: 0 }]);
      assert.equal(committed[0]?.offset, 4n, 'committed up to the failed record');
      const ac = new AbortController();
      await c.run({ signal: ac.signal, eachRecord: (record) => {
        seen.push(record.offset);
        if (record.offset === 9n) ac.abort();
      } });
      assert.deepEqual(seen, [0n, 1n, 2n, 3n, 4n, 4n, 5n, 6n, 7n, 8n, 9n]);
    } finally {
      await c.close();
    }
  });

  it('a slow handler does not grow the prefetch buffer past its bound', async () => {
    const topic = 'backpressure';
    await produce(topic, 2000, { partitions: 4, size: 1000 });
    const fetchMaxBytes = 64 * 1024;
    const maxPartitionFetchBytes = 16 * 1024;
    const c = consumer({ fetchMaxBytes, maxPartitionFetchBytes });
    try {
      c.assign([0, 1, 2, 3].map((partition) => ({ topic, partition })));
      let count = 0;
      const seen = new Map<number, bigint[]>();
      let sessionsDuringRun = 0;
      for await (const record of c) {
        seen.set(record.partition, [...(seen.get(record.partition) ?? []), record.offset]);
        if (++count % 100 === 0) {
          sessionsDuringRun = Math.max(sessionsDuringRun, broker.metrics().incrementalFetchSessions);
          await new Promise((r) => setTimeout(r, 20));
        }
        if (count === 2000) break;
      }
      // Every record once, in order, over the four partitions (produced round-robin, 500 each).
      for (const partition of [0, 1, 2, 3]) {
        assert.deepEqual(seen.get(partition), Array.from({ length: 500 }, (_, i) => BigInt(i)), `partition ${partition}`);
      }
      const metrics = c.metrics();
      assert.equal(metrics.recordsDelivered >= 2000, true);
      // One more answer (at most fetch.max.bytes plus one batch over a partition limit) may land after the limit.
      assert.ok(metrics.maxBufferedBytes <= 2 * fetchMaxBytes + 4 * maxPartitionFetchBytes, `buffer peaked at ${metrics.maxBufferedBytes} bytes`);
      assert.ok(metrics.fetchRequests > 10, 'fetched in many small steps');
      // The broker creates a fetch session (KIP-227) on the first full fetch: the rest are incremental.
      assert.ok(sessionsDuringRun >= 1, 'the broker held a fetch session');
      assert.ok(metrics.incrementalFetches > 10, `incremental fetches: ${metrics.incrementalFetches}`);
      assert.ok(metrics.fullFetches < metrics.incrementalFetches, `full fetches: ${metrics.fullFetches}`);
    } finally {
      await c.close();
    }
  });

  it('OFFSET_OUT_OF_RANGE resets with auto.offset.reset, or fails with none', async () => {
    const topic = 'out-of-range';
    await produce(topic, 5);
    const c = consumer({ autoOffsetReset: 'earliest' });
    try {
      c.assign([{ topic, partition: 0 }]);
      c.seek({ topic, partition: 0, offset: 1000n });
      const records = await take(c, 5);
      assert.deepEqual(records.map((r) => r.offset), [0n, 1n, 2n, 3n, 4n]);
    } finally {
      await c.close();
    }
    const strict = consumer({ autoOffsetReset: 'none' });
    try {
      strict.assign([{ topic, partition: 0 }]);
      strict.seek({ topic, partition: 0, offset: 1000n });
      await assert.rejects(strict.run({ eachRecord: () => undefined }), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'OFFSET_OUT_OF_RANGE');
    } finally {
      await strict.close();
    }
  });

  it('eager rebalance: offsets are committed before partitions are revoked, so the new owner redelivers nothing', async () => {
    const topic = 'eager-commit';
    await produce(topic, 100, { partitions: 2 });
    const groupId = 'eager-commit-group';
    // Auto-commit with a long interval: the only commits are the ones made before a revoke and on close.
    const options = { groupId, partitionAssignors: ['range' as const], autoCommitIntervalMs: 600_000 };
    const seen: string[] = [];
    const a = consumer(options);
    const b = consumer(options);
    const revokedFromA: number[] = [];
    const ac = new AbortController();
    const bc = new AbortController();
    try {
      a.subscribe(topic, { onPartitionsRevoked: (tps) => void revokedFromA.push(...tps.map((tp) => tp.partition)) });
      const runA = a.run({ signal: ac.signal, eachRecord: (r) => void seen.push(`${r.partition}:${r.offset}`) });
      const deadline = Date.now() + 30_000;
      while (seen.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, 100);
      b.subscribe(topic);
      const runB = b.run({ signal: bc.signal, eachRecord: (r) => void seen.push(`${r.partition}:${r.offset}`) });
      while ((a.assignment().length !== 1 || b.assignment().length !== 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(revokedFromA.sort(), [0, 1], 'eager: everything revoked first');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, 100, 'nothing delivered twice');
      const committed = await b.committed([{ topic, partition: 0 }, { topic, partition: 1 }]);
      assert.deepEqual(committed.map((c) => c.offset), [50n, 50n]);
      ac.abort();
      bc.abort();
      await Promise.all([runA, runB]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('static membership (KIP-345): a member that restarts with its group.instance.id gets its partitions back without a rebalance', async () => {
    const topic = 'static';
    await produce(topic, 10, { partitions: 4 });
    const groupId = 'static-group';
    const options = { groupId, partitionAssignors: ['range' as const] };
    const bEvents: string[] = [];
    const a = consumer({ ...options, groupInstanceId: 'member-a' });
    const b = consumer({ ...options, groupInstanceId: 'member-b' });
    const ac = new AbortController();
    const bc = new AbortController();
    let a2: Consumer | null = null;
    try {
      a.subscribe(topic);
      b.subscribe(topic, { onPartitionsAssigned: (tps) => void bEvents.push(`assigned ${tps.length}`), onPartitionsRevoked: (tps) => void bEvents.push(`revoked ${tps.length}`) });
      const runA = a.run({ signal: ac.signal, eachRecord: () => undefined });
      const runB = b.run({ signal: bc.signal, eachRecord: () => undefined });
      const deadline = Date.now() + 30_000;
      while ((a.assignment().length !== 2 || b.assignment().length !== 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const before = a.assignment().map((tp) => tp.partition).sort();
      const eventsBefore = [...bEvents];
      ac.abort();
      await runA;
      await a.close();
      a2 = consumer({ ...options, groupInstanceId: 'member-a' });
      a2.subscribe(topic);
      const a2c = new AbortController();
      const runA2 = a2.run({ signal: a2c.signal, eachRecord: () => undefined });
      while (a2.assignment().length !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(a2.assignment().map((tp) => tp.partition).sort(), before, 'the same partitions come back');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(bEvents, eventsBefore, 'the other member saw no rebalance');
      a2c.abort();
      bc.abort();
      await Promise.all([runA2, runB]);
    } finally {
      await Promise.all([a.close(), b.close(), a2?.close()]);
    }
  });

  it('a pattern subscription picks up matching topics, including one created later', async () => {
    await produce('rx-one', 3);
    await produce('rx-two', 3);
    await produce('other-topic', 3);
    const c = consumer({ groupId: 'rx-group', metadataMaxAgeMs: 200 });
    const ac = new AbortController();
    const seen = new Set<string>();
    try {
      c.subscribe(/^rx-/);
      const run = c.run({ signal: ac.signal, eachRecord: (r) => void seen.add(r.topic) });
      const deadline = Date.now() + 30_000;
      while (seen.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual([...seen].sort(), ['rx-one', 'rx-two']);
      await produce('rx-three', 3);
      while (seen.size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual([...seen].sort(), ['rx-one', 'rx-three', 'rx-two'], 'never other-topic');
      ac.abort();
      await run;
    } finally {
      await c.close();
    }
  });

  it('max.poll.interval.ms: a handler that hangs costs the membership; the partitions are lost, not revoked, and redelivered', async () => {
    const topic = 'poll-timeout';
    await produce(topic, 3);
    const events: string[] = [];
    const c = consumer({ groupId: 'poll-timeout-group', maxPollIntervalMs: 800, sessionTimeoutMs: 6000, heartbeatIntervalMs: 100 });
    const ac = new AbortController();
    const seen: bigint[] = [];
    try {
      c.subscribe(topic, {
        onPartitionsAssigned: (tps) => void events.push(`assigned ${tps.length}`),
        onPartitionsRevoked: (tps) => void events.push(`revoked ${tps.length}`),
        onPartitionsLost: (tps) => void events.push(`lost ${tps.length}`),
      });
      await c.run({
        signal: ac.signal,
        eachRecord: async (record) => {
          seen.push(record.offset);
          // The first delivery hangs past max.poll.interval.ms: the heartbeat side leaves the group.
          if (seen.length === 1) await new Promise((r) => setTimeout(r, 2000));
          if (seen.length === 4) ac.abort();
        },
      });
      assert.deepEqual(events, ['assigned 1', 'lost 1', 'assigned 1']);
      assert.deepEqual(seen, [0n, 0n, 1n, 2n], 'the record in the hung handler was never committed, so it comes again');
    } finally {
      await c.close();
    }
  });

  it('the group leader rejoins when a subscribed topic gains partitions, and the new ones get an owner', async () => {
    const topic = 'grows';
    await produce(topic, 4, { partitions: 2 });
    const c = consumer({ groupId: 'grows-group', metadataMaxAgeMs: 200 });
    const ac = new AbortController();
    const seen = new Set<number>();
    try {
      c.subscribe(topic);
      const run = c.run({ signal: ac.signal, eachRecord: (r) => void seen.add(r.partition) });
      const deadline = Date.now() + 30_000;
      while (c.assignment().length !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const [host, port] = broker.bootstrap.split(':');
      const admin = await BrokerConnection.open({ host, port: Number(port) });
      try {
        const grown = await admin.send(ApiKey.CreatePartitions, 3, { topics: [{ name: topic, count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false });
        assert.equal(grown.results[0].errorCode, 0);
      } finally {
        admin.close();
      }
      const producer = new Producer({ bootstrap: broker.bootstrap });
      await producer.send([2, 3].map((partition) => ({ topic, partition, value: 'new' })));
      await producer.close();
      while ((c.assignment().length !== 4 || seen.size < 4) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(c.assignment().length, 4);
      assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
      ac.abort();
      await run;
    } finally {
      await c.close();
    }
  });
});
