// The transactional checker on hand-built histories: a clean consume-transform-produce history passes, and each
// analysis reports its anomaly naming the records and transactions involved.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LogScan, ScannedRecord } from './log-reader.ts';
import { TransactionalHistory } from './txn-history.ts';
import { checkTransactions, TxnAnomalyKind, type TxnCheckResult } from './txn-checker.ts';

const OUT = 'out';
const IN = 'in';

function scanOf(values: readonly (readonly [partition: number, value: string])[]): LogScan {
  const scan: LogScan = new Map();
  for (const [partition, value] of values) {
    const list = scan.get(partition) ?? [];
    list.push({ offset: BigInt(list.length), key: null, value, headers: [], timestamp: 0n, producerId: 1n, producerEpoch: 0, sequence: list.length, compression: 0 } satisfies ScannedRecord);
    scan.set(partition, list);
  }
  return scan;
}

/** Two inputs on partition 0; transaction a#1 turns both into outputs and commits, a#2 is aborted. */
function baseHistory(): { history: TransactionalHistory; committed: string; aborted: string } {
  const history = new TransactionalHistory();
  history.inputs([
    { topic: IN, partition: 0, offset: 0n, value: 'i0' },
    { topic: IN, partition: 0, offset: 1n, value: 'i1' },
  ]);
  const committed = history.begin('a');
  history.invokeSend(committed, 'a', { topic: OUT, partition: 0, value: 'o0@1', inputs: [{ topic: IN, partition: 0, offset: '0' }] });
  history.invokeSend(committed, 'a', { topic: OUT, partition: 1, value: 'o1@1', inputs: [{ topic: IN, partition: 0, offset: '1' }] });
  history.sendOffsets(committed, 'g', [{ topic: IN, partition: 0, offset: 2n }]);
  history.invokeCommit(committed);
  history.commitOk(committed);
  const aborted = history.begin('a');
  history.invokeSend(aborted, 'a', { topic: OUT, partition: 0, value: 'x@2', inputs: [] });
  history.invokeAbort(aborted);
  history.abortOk(aborted);
  return { history, committed, aborted };
}

function check(history: TransactionalHistory, visible: readonly (readonly [number, string])[], committedOffset = 2n): TxnCheckResult {
  return checkTransactions(history.events, { finalReads: [{ topic: OUT, scan: scanOf(visible) }], committedOffsets: [{ topic: IN, partition: 0, offset: committedOffset }] });
}

function kinds(result: TxnCheckResult): string[] {
  return Object.keys(result.anomalyCounts).sort();
}

describe('checkTransactions', () => {
  it('a clean run: every input once, nothing aborted visible', () => {
    const { history } = baseHistory();
    const result = check(history, [[0, 'o0@1'], [1, 'o1@1']]);
    assert.deepEqual(result.anomalies, []);
    assert.equal(result.valid, true);
    assert.deepEqual(result.counts.transactions, { committed: 1, aborted: 1, indeterminate: 0 });
    assert.equal(result.counts.inputsExactlyOnce, 2);
  });

  it('ABORTED_READ: a record of an aborted transaction is visible, naming the transaction', () => {
    const { history, aborted } = baseHistory();
    const result = check(history, [[0, 'o0@1'], [0, 'x@2'], [1, 'o1@1']]);
    assert.deepEqual(kinds(result), [TxnAnomalyKind.abortedRead]);
    assert.deepEqual(result.anomalies[0].transactions, [aborted]);
    assert.equal(result.anomalies[0].records[0].value, 'x@2');
    assert.equal(result.counts.abortedVisible, 1);
    assert.equal(result.valid, false);
  });

  it('PARTIAL_TRANSACTION and LOST_WRITE: one of two records of a committed transaction is visible', () => {
    const { history, committed } = baseHistory();
    const result = check(history, [[0, 'o0@1']], 2n);
    assert.deepEqual(kinds(result), [TxnAnomalyKind.lostWrite, TxnAnomalyKind.offsetOutputDisagree, TxnAnomalyKind.outputMissing, TxnAnomalyKind.partialTransaction].sort());
    const partial = result.anomalies.find((a) => a.kind === TxnAnomalyKind.partialTransaction);
    assert.deepEqual(partial?.transactions, [committed]);
    assert.ok(result.anomalies.some((a) => a.kind === TxnAnomalyKind.lostWrite && a.records[0].value === 'o1@1'));
  });

  it('READ_BEFORE_COMMIT: a read_committed poll returned a record before its commit was invoked', () => {
    const history = new TransactionalHistory();
    const txn = history.begin('w');
    history.invokeSend(txn, 'w', { topic: OUT, partition: 0, value: 'early' });
    history.read('reader', 'read_committed', [{ topic: OUT, partition: 0, offset: 0n, value: 'early' }]);
    // A read_uncommitted poll may see it: not an anomaly.
    history.read('dirty-reader', 'read_uncommitted', [{ topic: OUT, partition: 0, offset: 0n, value: 'early' }]);
    history.invokeCommit(txn);
    history.commitOk(txn);
    const result = checkTransactions(history.events, { finalReads: [{ topic: OUT, scan: scanOf([[0, 'early']]) }] });
    assert.deepEqual(kinds(result), [TxnAnomalyKind.readBeforeCommit]);
    assert.deepEqual(result.anomalies[0].transactions, [txn]);
  });

  it('DUPLICATE, ORDER and UNKNOWN_RECORD on the final read', () => {
    const history = new TransactionalHistory();
    const txn = history.begin('w');
    history.invokeSend(txn, 'w', { topic: OUT, partition: 0, value: 'first' });
    history.invokeSend(txn, 'w', { topic: OUT, partition: 0, value: 'second' });
    history.invokeCommit(txn);
    history.commitOk(txn);
    const result = checkTransactions(history.events, { finalReads: [{ topic: OUT, scan: scanOf([[0, 'second'], [0, 'first'], [0, 'first'], [0, 'stranger']]) }] });
    assert.deepEqual(kinds(result), [TxnAnomalyKind.duplicate, TxnAnomalyKind.order, TxnAnomalyKind.unknownRecord].sort());
    assert.equal(result.anomalies.find((a) => a.kind === TxnAnomalyKind.duplicate)?.records.length, 2);
  });

  it('ORDER: a poll returned offsets of a partition going backwards', () => {
    const history = new TransactionalHistory();
    history.read('reader', 'read_uncommitted', [
      { topic: OUT, partition: 0, offset: 5n, value: 'a' },
      { topic: OUT, partition: 0, offset: 4n, value: 'b' },
    ]);
    const result = checkTransactions(history.events, { finalReads: [] });
    assert.deepEqual(kinds(result), [TxnAnomalyKind.order]);
  });

  it('OUTPUT_DUPLICATED names both transactions; expected (valid) in an at-least-once run', () => {
    const { history, committed } = baseHistory();
    const again = history.begin('b');
    history.invokeSend(again, 'b', { topic: OUT, partition: 0, value: 'o0@3', inputs: [{ topic: IN, partition: 0, offset: '0' }] });
    history.invokeCommit(again);
    history.commitOk(again);
    const visible = [[0, 'o0@1'], [1, 'o1@1'], [0, 'o0@3']] as const;
    const result = check(history, visible);
    assert.deepEqual(kinds(result), [TxnAnomalyKind.outputDuplicated]);
    assert.deepEqual([...result.anomalies[0].transactions].sort(), [committed, again].sort());
    assert.equal(result.counts.inputsDuplicated, 1);
    const atLeastOnce = checkTransactions(history.events, { finalReads: [{ topic: OUT, scan: scanOf(visible) }], committedOffsets: [{ topic: IN, partition: 0, offset: 2n }], duplicatesExpected: true });
    assert.equal(atLeastOnce.valid, true);
  });

  it('OFFSET_OUTPUT_DISAGREE: an output is visible for an input the group has not consumed', () => {
    const { history } = baseHistory();
    const result = check(history, [[0, 'o0@1'], [1, 'o1@1']], 1n);
    assert.deepEqual(kinds(result), [TxnAnomalyKind.offsetOutputDisagree]);
    assert.equal(result.anomalies[0].records[0].offset, '1');
  });

  it('the history round-trips through JSON Lines', () => {
    const { history } = baseHistory();
    assert.deepEqual(TransactionalHistory.parseJsonLines(history.toJsonLines()), history.events);
  });
});
