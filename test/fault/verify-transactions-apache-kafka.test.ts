// `verifyTransactions` (behind `seqlog verify --transactions`) against the reference Apache Kafka: the
// consume-transform-produce pipeline through the chaos proxy with processor crashes, at-least-once and exactly-once.
// The at-least-once run must show duplicated inputs (the crash between writing outputs and committing offsets is
// there to make them), the exactly-once run none, nothing missing and no aborted record visible; each run takes at
// least 100 faults. A missing reference Kafka fails the test.
//
// The same against seqlog's embedded broker, with broker crashes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verifyTransactions, type TransactionalVerifyResult } from '../../src/testkit/index.ts';
import { transactionsTable } from '../../src/cli/verify-transactions.ts';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';

function assertContrast(result: TransactionalVerifyResult, label: string): void {
  const [alo, eos] = result.runs;
  const summary = result.runs.map((run) => `${run.mode}: outputs ${run.outputs} (${run.written} in the log), duplicated ${run.duplicates}, missing ${run.missing}, aborted visible ${run.abortedVisible}, faults ${run.faults} ${JSON.stringify(run.faultsByKind)}, ${Math.round(run.durationMs)} ms`).join('; ');
  // The side-by-side table `seqlog verify --transactions` prints, for the CI log.
  process.stderr.write(`${label}: ${summary}\n${transactionsTable(result.runs, { style: { head: [], border: [] } })}\n`);
  assert.equal(alo.mode, 'at-least-once');
  assert.equal(eos.mode, 'exactly-once');
  for (const run of result.runs) {
    assert.ok(run.faults >= 100, `${label} ${run.mode}: ${run.faults} faults`);
    assert.equal(run.missing, 0, JSON.stringify(run.check.anomalies.slice(0, 3)));
    assert.equal(run.abortedVisible, 0);
  }
  assert.ok(alo.duplicates > 0, `at-least-once must show duplicates (${summary})`);
  assert.equal(eos.duplicates, 0, summary);
  assert.equal(eos.outputs, eos.inputs);
  assert.ok(eos.transactions.aborted > 0, 'the crashes aborted transactions');
  assert.ok(eos.written > eos.outputs, `aborted outputs are in the log (${eos.written} written), hidden from read_committed`);
  assert.deepEqual(eos.check.anomalyCounts, {}, JSON.stringify(eos.check.anomalies.slice(0, 3)));
  assert.equal(result.ok, true);
}

describe('verifyTransactions against Apache Kafka, proxy faults and processor crashes', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka | undefined;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0' } });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('at-least-once shows duplicated inputs; exactly-once has every input once, >= 100 faults each', async () => {
    assertContrast(await verifyTransactions({ bootstrap: kafka!.bootstrap, seed: 3 }), 'Apache Kafka');
  });
});

describe('verifyTransactions against the embedded seqlog broker, with broker crashes', { timeout: 300_000 }, () => {
  it('at-least-once shows duplicated inputs; exactly-once has every input once', async () => {
    const result = await verifyTransactions({ seed: 3, brokerCrashes: 2 });
    assertContrast(result, 'seqlog');
    assert.equal(result.runs[1].faultsByKind['broker-crash'], 2);
  });
});
