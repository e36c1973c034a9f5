// The history checker on hand-written histories: a clean history passes, and each anomaly kind is detected
// (the checker's self-tests).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyKind, History, checkHistory, type LogScan } from '../../src/testkit/index.ts';

const topic = 't';

function scanOf(partition0: readonly (string | null)[]): LogScan {
  return new Map([[0, partition0.map((value, i) => ({ offset: BigInt(i), key: null, value, headers: [], timestamp: 0n, producerId: 1n, producerEpoch: 0, sequence: i, compression: 0 }))]]);
}

/** Three acked sends a, b, c on partition 0 at offsets 0, 1, 2, sent one after another. */
function cleanHistory(): History {
  const history = new History();
  ['a', 'b', 'c'].forEach((value, i) => {
    const op = history.invokeSend('p0', topic, value, 0);
    history.ok(op, 0, BigInt(i));
  });
  return history;
}

function check(history: History, scans: LogScan[], idempotent = true) {
  return checkHistory(history.events, scans.map((scan, i) => ({ name: `scan${i}`, topic, scan })), { idempotent });
}

it('passes a clean history and counts it', () => {
  const result = check(cleanHistory(), [scanOf(['a', 'b', 'c'])]);
  assert.equal(result.valid, true);
  assert.deepEqual(result.fatal, []);
  assert.equal(result.counts.sent, 3);
  assert.equal(result.counts.acknowledged, 3);
  assert.equal(result.counts.stored, 3);
  assert.equal(result.counts.duplicates, 0);
});

it('round-trips through JSON Lines', () => {
  const history = cleanHistory();
  const events = History.parseJsonLines(history.toJsonLines());
  assert.deepEqual(events, history.events);
  assert.equal(checkHistory(events, [{ name: 's', topic, scan: scanOf(['a', 'b', 'c']) }], { idempotent: true }).valid, true);
});

it('DUPLICATE: fatal with idempotence, reported but tolerated without', () => {
  const scan = scanOf(['a', 'b', 'a', 'c']);
  const on = check(cleanHistory(), [scan]);
  assert.equal(on.valid, false);
  assert.ok(on.fatal.includes(AnomalyKind.duplicate));
  assert.equal(on.counts.duplicates, 1);
  // 'c' acked at 2 but stored at 3: the acked offset holds another value.
  assert.equal(on.anomalyCounts[AnomalyKind.ackMismatch], 1);
  const historyOff = new History();
  ['a', 'b'].forEach((value) => historyOff.invokeSend('p0', topic, value, 0));
  const off = check(historyOff, [scanOf(['a', 'b', 'a'])], false);
  assert.equal(off.anomalyCounts[AnomalyKind.duplicate], 1);
  assert.equal(off.valid, true);
});

it('LOST_ACKED: an acked value missing from the final scan', () => {
  const result = check(cleanHistory(), [scanOf(['a', 'c'])]);
  assert.equal(result.anomalyCounts[AnomalyKind.lostAcked], 1);
  assert.equal(result.counts.lost, 1);
  assert.equal(result.anomalies.find((a) => a.kind === AnomalyKind.lostAcked)?.value, 'b');
  assert.equal(result.valid, false);
});

it('INCONSISTENT_OFFSET: two observers disagree on an offset', () => {
  // Before a crash offset 1 held 'b'; after it, 'x' — which nobody sent.
  const history = cleanHistory();
  const result = check(history, [scanOf(['a', 'b', 'c']), scanOf(['a', 'x', 'c', 'b'])]);
  assert.ok(result.anomalyCounts[AnomalyKind.inconsistentOffset] >= 1);
  assert.equal(result.anomalyCounts[AnomalyKind.unknownValue], 1);
  assert.equal(result.valid, false);
});

it('ACK_MISMATCH: the acked offset holds another writer value', () => {
  const history = new History();
  const a = history.invokeSend('p0', topic, 'a', 0);
  const b = history.invokeSend('p1', topic, 'b', 0);
  history.ok(a, 0, 0n);
  history.ok(b, 0, 0n); // both claim offset 0
  const result = check(history, [scanOf(['a', 'b'])]);
  assert.ok(result.anomalyCounts[AnomalyKind.ackMismatch] >= 1);
  assert.ok(result.anomalyCounts[AnomalyKind.inconsistentOffset] >= 1);
});

it('REORDERED: one writer stored out of send order (fatal only with idempotence)', () => {
  const history = new History();
  const a = history.invokeSend('p0', topic, 'a', 0);
  const b = history.invokeSend('p0', topic, 'b', 0);
  history.info(a, { code: null, name: 'TimeoutError' });
  history.info(b, { code: null, name: 'TimeoutError' });
  const on = check(history, [scanOf(['b', 'a'])]);
  assert.equal(on.anomalyCounts[AnomalyKind.reordered], 1);
  assert.equal(on.counts.outOfOrder, 1);
  assert.ok(on.fatal.includes(AnomalyKind.reordered));
  assert.equal(check(history, [scanOf(['b', 'a'])], false).valid, true);
});

it('REALTIME_ORDER: a send invoked after another was acked is stored before it', () => {
  const history = new History();
  const a = history.invokeSend('p0', topic, 'a', 0);
  history.ok(a, 0, 1n);
  const b = history.invokeSend('p1', topic, 'b', 0);
  history.ok(b, 0, 0n);
  const result = check(history, [scanOf(['b', 'a'])]);
  assert.equal(result.anomalyCounts[AnomalyKind.realtimeOrder], 1);
  assert.equal(result.valid, false);
});

it('FAILED_VISIBLE: a definitely failed send is in the log; indefinite ones may be', () => {
  const history = new History();
  const a = history.invokeSend('p0', topic, 'a', 0);
  history.fail(a, { code: 87, name: 'INVALID_RECORD' });
  const b = history.invokeSend('p0', topic, 'b', 0);
  history.info(b, { code: null, name: 'TimeoutError' });
  const result = check(history, [scanOf(['a', 'b'])]);
  assert.equal(result.anomalyCounts[AnomalyKind.failedVisible], 1);
  assert.equal(result.anomalies.find((x) => x.kind === AnomalyKind.failedVisible)?.value, 'a');
  assert.equal(result.counts.failed, 1);
  assert.equal(result.counts.indeterminate, 1);
});

it('a valid run with no fault injected is not proof, and says so', () => {
  const events = cleanHistory().events;
  const observers = [{ name: 'final', topic, scan: scanOf(['a', 'b', 'c']) }];
  const none = checkHistory(events, observers, { idempotent: true, faultsInjected: 0 });
  assert.equal(none.valid, true);
  assert.equal(none.proved, false);
  assert.equal(none.faultsInjected, 0);
  assert.match(none.warnings.join('\n'), /no fault was injected/);
  const unknown = checkHistory(events, observers, { idempotent: true });
  assert.equal(unknown.proved, false);
  assert.match(unknown.warnings.join('\n'), /faultsInjected was not given/);
  const hit = checkHistory(events, observers, { idempotent: true, faultsInjected: 3 });
  assert.equal(hit.proved, true);
  assert.deepEqual(hit.warnings, []);
});

it('History.ok takes the client producer session as it is ({ producerId, epoch }) and records the wire names', () => {
  const history = new History();
  const a = history.invokeSend('p0', topic, 'a', 0);
  history.ok(a, 0, 0n, { producerId: 7n, epoch: 2 });
  const b = history.invokeSend('p0', topic, 'b', 0);
  history.ok(b, 0, 1n, { producerId: 7n, producerEpoch: 3 });
  const acks = history.events.filter((event) => event.type === 'ok');
  assert.deepEqual(acks.map((event) => 'producerId' in event && [event.producerId, event.producerEpoch]), [['7', 2], ['7', 3]]);
});
