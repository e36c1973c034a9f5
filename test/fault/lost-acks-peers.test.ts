// Real idempotent producers under lost acks (issue: broker idempotence proven with real clients): librdkafka (through
// confluent-kafka; kcat itself exits when its only broker connection drops, so it cannot ride out a lost ack), the
// Java client and franz-go write through a proxy that drops a share of Produce responses AFTER the broker
// handled the request, then cuts the connection, so every client retries batches the broker already stored.
// With idempotence on, seqlog stores every record exactly once, in order; the same run with idempotence off stores
// duplicates — which is what makes the first assertion able to fail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { ChaosFault, ChaosProxy } from '../../src/testkit/chaos-proxy.ts';
import { readLog } from '../../src/testkit/log-reader.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { assertPeerSucceeded, runPeer, type PeerName, type PeerRunOptions } from '../peers/run-peer.ts';

// Enough records for several produce requests per run, so that lost acks hit batches with others in flight.
const count = 3000;
const peers: readonly PeerName[] = ['python-pypi', 'java', 'franz-go'];

describe('real producers under lost acks against seqlog', { timeout: 600_000 }, () => {
  let broker: RunningBroker;
  let proxy: ChaosProxy;

  before(async () => {
    broker = await startBroker();
    // The proxy rewrites Metadata so clients keep talking through it; only Produce answers are lost.
    proxy = await ChaosProxy.start({ target: { host: broker.host, port: broker.port }, rewriteMetadata: true, seed: 7 });
  });

  after(async () => {
    await proxy?.close();
    await broker?.close();
  });

  async function storedValues(topic: string): Promise<string[]> {
    const scan = await readLog({ bootstrap: broker.bootstrap, topic });
    return [...scan.values()].flat().map((record) => record.value ?? '');
  }

  for (const name of peers) {
    test(`${name}: idempotence on stores every record once, in order; off stores duplicates`, { timeout: 240_000 }, async () => {
      const lost: Record<string, number> = {};
      for (const idempotence of [true, false]) {
        const topic = `lost-acks-${name}-${idempotence ? 'on' : 'off'}`;
        proxy.setRules([]);
        const before = proxy.stats().faults[ChaosFault.dropResponse];
        // Topic and producer id are set up before faults start, so that only Produce answers are lost.
        proxy.setRules([{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.Produce], probability: 1, maxCount: 3 }]);
        const options: PeerRunOptions = { bootstrap: proxy.address, topic, count, mode: 'produce', idempotence, timeoutMs: 120_000 };
        assertPeerSucceeded(await runPeer(name, options), options);
        lost[idempotence ? 'on' : 'off'] = proxy.stats().faults[ChaosFault.dropResponse] - before;
        proxy.setRules([]);

        const values = await storedValues(topic);
        const kind = idempotence ? 'idem' : 'plain';
        const expected = Array.from({ length: count }, (_, i) => `${name}-${kind}-${i}`);
        if (idempotence) {
          assert.deepEqual(values, expected, `${name} with idempotence: every record exactly once, in order`);
        } else {
          assert.ok(values.length > count, `${name} without idempotence stored ${values.length} records for ${count} sent: lost acks must show up as duplicates`);
          assert.deepEqual([...new Set(values)].sort(), [...expected].sort(), 'nothing lost without idempotence either');
        }
      }
      assert.ok(lost.on > 0 && lost.off > 0, `acks were lost in both runs (${JSON.stringify(lost)})`);
    });
  }
});
