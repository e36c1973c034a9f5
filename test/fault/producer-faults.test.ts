// seqlog's producer through the chaos proxy, one fault kind per test (each a retry path of the producer):
// answers lost after the broker stored the batch, requests cut mid-frame, answers cut mid-frame, answers delayed
// past the request timeout. In every case each acknowledged record is stored exactly once and every partition
// holds its records in send order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Producer } from '../../src/client/index.ts';
import { ChaosFault, ChaosProxy, type ChaosRule } from '../../src/testkit/chaos-proxy.ts';
import { readLog } from '../../src/testkit/log-reader.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';

const records = 4000;
const partitions = 4;

describe('producer under network faults', { timeout: 300_000 }, () => {
  let broker: RunningBroker;
  let proxy: ChaosProxy;

  before(async () => {
    broker = await startBroker({ numPartitions: partitions });
    proxy = await ChaosProxy.start({ target: { host: broker.host, port: broker.port }, rewriteMetadata: true, seed: 11 });
  });

  after(async () => {
    await proxy?.close();
    await broker?.close();
  });

  const cases: { name: string; rule: ChaosRule; requestTimeoutMs?: number }[] = [
    { name: 'lost acks', rule: { fault: ChaosFault.dropResponse, apiKeys: [ApiKey.Produce], probability: 0.3, maxCount: 10 } },
    { name: 'requests cut mid-frame', rule: { fault: ChaosFault.cutRequest, apiKeys: [ApiKey.Produce], probability: 0.3, maxCount: 10 } },
    { name: 'answers cut mid-frame', rule: { fault: ChaosFault.cutResponse, apiKeys: [ApiKey.Produce], probability: 0.3, maxCount: 10 } },
    {
      name: 'answers delayed past the request timeout',
      rule: { fault: ChaosFault.delayResponse, apiKeys: [ApiKey.Produce], probability: 0.05, maxCount: 4, delayMs: 2500 },
      requestTimeoutMs: 1000,
    },
  ];

  for (const { name, rule, requestTimeoutMs } of cases) {
    it(`${name}: every acknowledged record exactly once, in send order per partition`, async () => {
      const topic = `faults-${name.replace(/\W+/g, '-')}`;
      const producer = new Producer({ bootstrap: proxy.address, lingerMs: 2, batchSize: 512, retryBackoffMs: 20, ...(requestTimeoutMs ? { requestTimeoutMs, deliveryTimeoutMs: 60000 } : {}) });
      const faultsBefore = proxy.stats().totalFaults;
      try {
        // Metadata and the producer id first, then faults: only produce requests are hit.
        await producer.send({ topic, key: 'warm-up', value: 'warm-up' });
        proxy.setRules([rule]);
        const sends = Array.from({ length: records }, (_, i) => producer.send({ topic, key: `k${i % 64}`, value: `v${i}` }));
        const results = await Promise.allSettled(sends);
        proxy.setRules([]);
        const failed = results.filter((r) => r.status === 'rejected');
        assert.equal(failed.length, 0, `failed sends: ${failed.slice(0, 2).map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
        assert.ok(proxy.stats().totalFaults > faultsBefore, 'faults were injected');
        assert.ok(producer.metrics().recordRetries > 0, 'the producer retried');
      } finally {
        proxy.setRules([]);
        await producer.close();
      }
      const scan = await readLog({ bootstrap: broker.bootstrap, topic });
      const stored = [...scan.values()].flat().map((record) => record.value ?? '').filter((value) => value !== 'warm-up');
      assert.equal(stored.length, records, 'no record lost, none duplicated');
      assert.equal(new Set(stored).size, records);
      assert.equal(scan.size, partitions);
      for (const [partition, partitionRecords] of scan) {
        const order = partitionRecords.map((record) => Number((record.value ?? 'v-1').slice(1))).filter((i) => !Number.isNaN(i));
        assert.deepEqual(order, [...order].sort((a, b) => a - b), `partition ${partition} holds its records in send order`);
      }
    });
  }
});
