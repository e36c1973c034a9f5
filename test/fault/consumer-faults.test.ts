// The consumer through the chaos proxy: Fetch answers lost, cut mid-frame or delayed past the request timeout, and
// group requests (JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch) lost or cut. With manual assignment
// every record must arrive exactly once and in offset order per partition (a failed fetch never moves a
// position); in a group every record must arrive, in order per partition, and the committed offsets must end at
// the partitions' ends.
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Consumer, Producer, type ConsumerRecord } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ChaosFault, ChaosProxy, type ChaosRule } from '../../src/testkit/index.ts';

const partitions = 3;
const records = 3000;

describe('consumer under network faults', { timeout: 300_000 }, () => {
  let broker: RunningBroker;
  let proxy: ChaosProxy;

  before(async () => {
    broker = await startBroker({ numPartitions: partitions });
    proxy = await ChaosProxy.start({ target: { host: broker.host, port: broker.port }, rewriteMetadata: true, seed: 5 });
  });

  after(async () => {
    await proxy?.close();
    await broker?.close();
  });

  async function fill(topic: string): Promise<void> {
    const producer = new Producer({ bootstrap: broker.bootstrap, batchSize: 2048, lingerMs: 1 });
    try {
      await producer.send(Array.from({ length: records }, (_, i) => ({ topic, partition: i % partitions, value: `v${i}` })));
    } finally {
      await producer.close();
    }
  }

  async function consumeAll(consumer: Consumer, count: number): Promise<ConsumerRecord[]> {
    const seen: ConsumerRecord[] = [];
    const controller = new AbortController();
    const distinct = new Set<string>();
    const timer = setTimeout(() => controller.abort(), 120_000);
    try {
      await consumer.run({
        signal: controller.signal,
        eachBatch: (batch) => {
          for (const record of batch.records) {
            seen.push(record);
            distinct.add(`${record.partition}:${record.offset}`);
          }
          if (distinct.size >= count) controller.abort();
        },
      });
    } finally {
      clearTimeout(timer);
    }
    return seen;
  }

  const fetchCases: { name: string; rule: ChaosRule }[] = [
    { name: 'fetch answers lost', rule: { fault: ChaosFault.dropResponse, apiKeys: [ApiKey.Fetch], probability: 0.3, maxCount: 10 } },
    { name: 'fetch requests cut mid-frame', rule: { fault: ChaosFault.cutRequest, apiKeys: [ApiKey.Fetch], probability: 0.3, maxCount: 10 } },
    { name: 'fetch answers cut mid-frame', rule: { fault: ChaosFault.cutResponse, apiKeys: [ApiKey.Fetch], probability: 0.3, maxCount: 10 } },
    { name: 'fetch answers delayed past the request timeout', rule: { fault: ChaosFault.delayResponse, apiKeys: [ApiKey.Fetch], probability: 0.3, maxCount: 3, delayMs: 2500 } },
  ];

  for (const { name, rule } of fetchCases) {
    it(`${name}: every record exactly once, in offset order per partition`, async () => {
      const topic = `consumer-faults-${name.replace(/\W+/g, '-')}`;
      await fill(topic);
      const faultsBefore = proxy.stats().totalFaults;
      const consumer = new Consumer({ bootstrap: proxy.address, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, requestTimeoutMs: 1000, retryBackoffMs: 20, maxPartitionFetchBytes: 1024, fetchMaxBytes: 2048 });
      try {
        consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
        proxy.setRules([rule]);
        const seen = await consumeAll(consumer, records);
        proxy.setRules([]);
        assert.ok(proxy.stats().totalFaults > faultsBefore, 'faults were injected');
        assert.equal(seen.length, records, 'no record lost, none delivered twice');
        for (let p = 0; p < partitions; p++) {
          assert.deepEqual(seen.filter((r) => r.partition === p).map((r) => r.offset), Array.from({ length: records / partitions }, (_, i) => BigInt(i)), `partition ${p} in order`);
        }
      } finally {
        proxy.setRules([]);
        await consumer.close();
      }
    });
  }

  it('group requests lost or cut: every record arrives, in order per partition, and the commits end at the ends', async () => {
    // FindCoordinator answers are not rewritten by the proxy: a broker that advertises the proxy's address keeps
    // the coordinator connection going through it too.
    const proxyPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const groupBroker = await startBroker({ numPartitions: partitions, advertisedHost: '127.0.0.1', advertisedPort: proxyPort });
    const groupProxy = await ChaosProxy.start({ target: { host: groupBroker.host, port: groupBroker.port }, listenPort: proxyPort, seed: 7 });
    try {
      await groupCase(groupProxy);
    } finally {
      await groupProxy.close();
      await groupBroker.close();
    }
  });

  async function groupCase(proxy: ChaosProxy): Promise<void> {
    const topic = 'consumer-faults-group';
    const producer = new Producer({ bootstrap: proxy.address, batchSize: 2048, lingerMs: 1 });
    try {
      await producer.send(Array.from({ length: records }, (_, i) => ({ topic, partition: i % partitions, value: `v${i}` })));
    } finally {
      await producer.close();
    }
    const faultsBefore = proxy.stats().totalFaults;
    const groupApis = [ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.OffsetCommit, ApiKey.OffsetFetch];
    proxy.setRules([
      { fault: ChaosFault.dropResponse, apiKeys: groupApis, probability: 0.4, maxCount: 8 },
      { fault: ChaosFault.cutResponse, apiKeys: groupApis, probability: 0.2, maxCount: 4 },
    ]);
    const consumer = new Consumer({ bootstrap: proxy.address, groupId: 'faulty-group', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, retryBackoffMs: 20, autoCommitIntervalMs: 10, maxPartitionFetchBytes: 1024, fetchMaxBytes: 2048 });
    try {
      consumer.subscribe(topic);
      const seen = await consumeAll(consumer, records);
      proxy.setRules([]);
      assert.ok(proxy.stats().totalFaults > faultsBefore, 'faults were injected');
      for (let p = 0; p < partitions; p++) {
        const offsets = seen.filter((r) => r.partition === p).map((r) => r.offset);
        assert.equal(new Set(offsets).size, records / partitions, `partition ${p}: every record`);
        // Redelivery restarts at a committed offset, then runs in order again.
        for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] === offsets[i - 1] + 1n || offsets[i] <= offsets[i - 1], `partition ${p}: no gap at ${offsets[i - 1]} -> ${offsets[i]}`);
      }
      await consumer.commit();
      const committed = await consumer.committed(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
      assert.deepEqual(committed.map((c) => c.offset), Array(partitions).fill(BigInt(records / partitions)));
    } finally {
      proxy.setRules([]);
      await consumer.close();
    }
  }
});
