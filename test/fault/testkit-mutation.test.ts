// Mutation tests: the checker must bite. With the broker's deduplication switched off, or the client's sequence
// handling broken, the same seeded fault schedule that passes cleanly must produce reported anomalies.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyKind, rawProducerFactory, verifyExactlyOnce } from '../../src/testkit/index.ts';

const small = { records: 1500, partitions: 2, crashes: 0, modes: [true], window: 200 } as const;

it('control: the same schedule with intact broker and client is exactly once', async () => {
  const result = await verifyExactlyOnce({ ...small, seed: 11, producerFactory: rawProducerFactory({ requestTimeoutMs: 2000 }), faultRates: { lostAck: 0.2 } });
  const run = result.runs[0];
  assert.ok(run.faultsByKind['drop-response'] > 5, `lost acks injected: ${run.faultsByKind['drop-response']}`);
  assert.equal(run.check.valid, true, JSON.stringify(run.check.anomalies.slice(0, 3)));
  assert.equal(result.ok, true);
});

it('broker deduplication off: lost acks become duplicates (real Producer)', async () => {
  const result = await verifyExactlyOnce({ ...small, seed: 11, brokerMutations: { disableDeduplication: true }, faultRates: { lostAck: 0.25 } });
  const run = result.runs[0];
  assert.ok(run.check.anomalyCounts[AnomalyKind.duplicate] > 0, `duplicates expected, faults ${JSON.stringify(run.faultsByKind)}`);
  assert.ok(run.check.fatal.includes(AnomalyKind.duplicate));
  assert.equal(result.ok, false);
});

it('client renews its producer id on reconnect and resends from sequence 0: duplicates', async () => {
  const result = await verifyExactlyOnce({ ...small, seed: 12, producerFactory: rawProducerFactory({ requestTimeoutMs: 2000, faults: { renewProducerIdOnReconnect: true } }), faultRates: { lostAck: 0.2 } });
  const run = result.runs[0];
  assert.ok(run.check.anomalyCounts[AnomalyKind.duplicate] > 0, JSON.stringify(run.check.anomalyCounts));
  assert.equal(result.ok, false);
});

it('client reuses a sequence number for a new batch: the broker acks it as a duplicate, the value is lost', async () => {
  const result = await verifyExactlyOnce({
    ...small,
    seed: 13,
    producerFactory: rawProducerFactory({ batchSize: 1, maxInFlight: 1, faults: { skipSequenceIncrementEvery: 50 } }),
    faultRates: { lostAck: 0, cutRequest: 0, cutResponse: 0, delay: 0 },
  });
  const run = result.runs[0];
  assert.ok(run.check.anomalyCounts[AnomalyKind.lostAcked] > 0, JSON.stringify(run.check.anomalyCounts));
  assert.ok(run.check.fatal.includes(AnomalyKind.lostAcked));
  assert.equal(result.ok, false);
});
