// `verifyExactlyOnce` in CI size against an embedded seqlog broker and the real Producer: 10,000 records through
// the chaos proxy with a seeded schedule of lost acks, cut connections, delays and two broker crashes. Without
// idempotence the retried lost acks are stored twice; with it, every record is stored exactly once, in order.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { verifyExactlyOnce } from '../../src/testkit/index.ts';

it('10,000 records, >= 100 faults: duplicates without idempotence, none with it', { timeout: 180_000 }, async () => {
  const result = await verifyExactlyOnce({ records: 10_000, seed: 7, partitions: 3 });
  const [off, on] = result.runs;
  assert.equal(off.idempotent, false);
  assert.equal(on.idempotent, true);
  for (const run of result.runs) {
    assert.equal(run.sent, 10_000);
    assert.ok(run.faultsInjected >= 100, `faults injected: ${run.faultsInjected}`);
    assert.equal(run.faultsByKind.crash, 2);
    assert.equal(run.lost, 0, JSON.stringify(run.check.anomalies.slice(0, 3)));
  }
  assert.ok(off.duplicates > 0, 'without idempotence the lost acks must turn into duplicates');
  assert.equal(on.duplicates, 0);
  assert.equal(on.outOfOrder, 0);
  assert.equal(on.stored, on.sent);
  assert.equal(on.check.valid, true, JSON.stringify(on.check.anomalies.slice(0, 3)));
  assert.equal(result.ok, true);
});
