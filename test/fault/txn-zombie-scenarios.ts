// Zombie scenarios for the transactional checker's tests, run against any single-node broker (seqlog's embedded
// broker, mutated or not, and the reference Apache Kafka): a client that does not fence itself after a successor
// took over its transactional id, and an ExactlyOnceProcessor whose group generation went stale (KIP-447).
import assert from 'node:assert/strict';
import { Consumer, ExactlyOnceProcessor, Producer } from '../../src/client/index.ts';
import { checkTransactions, createTopic, readLog, TransactionalHistory, UnfencedTransactionalProducer, type ScannedRecord, type TxnCheckResult, type UnfencedAnswer } from '../../src/testkit/index.ts';

export const INPUTS = 20;

/** Input and output topics (one partition each) with INPUTS records in batches of five; records the inputs. */
async function prepare(bootstrap: string, history: TransactionalHistory, name: string): Promise<{ input: string; output: string; inputs: ScannedRecord[] }> {
  const input = `${name}-in`;
  const output = `${name}-out`;
  await createTopic(bootstrap, input, 1);
  await createTopic(bootstrap, output, 1);
  const loader = new Producer({ bootstrap, lingerMs: 0 });
  for (let from = 0; from < INPUTS; from += 5) await loader.send(Array.from({ length: 5 }, (_, k) => ({ topic: input, partition: 0, value: `in-${from + k}` })));
  await loader.close();
  const inputs = (await readLog({ bootstrap, topic: input })).get(0) ?? [];
  history.inputs(inputs.map((r) => ({ topic: input, partition: 0, offset: r.offset, value: r.value })));
  return { input, output, inputs };
}

/** Runs an ExactlyOnceProcessor, recording its transactions, until the group's offset reaches the input's end. */
function recordedProcessor(options: { bootstrap: string; groupId: string; transactionalId: string; input: string; output: string; name: string; history: TransactionalHistory; consumer?: object; stall?: (record: number) => Promise<void>; onCommit?: () => void; onAbort?: (error: unknown) => void }): ExactlyOnceProcessor {
  const { history, name } = options;
  let txn: string | null = null;
  let records = 0;
  const processor: ExactlyOnceProcessor = new ExactlyOnceProcessor({
    bootstrap: options.bootstrap,
    groupId: options.groupId,
    transactionalId: options.transactionalId,
    inputTopics: options.input,
    consumer: { maxPartitionFetchBytes: 256, requestTimeoutMs: 3000, retryBackoffMs: 20, ...options.consumer },
    producer: { requestTimeoutMs: 3000, retryBackoffMs: 20 },
    async transform(record) {
      txn ??= history.begin(name);
      await options.stall?.(records++);
      const value = `out:${record.valueString() ?? ''}@${txn}`;
      history.invokeSend(txn, name, { topic: options.output, partition: 0, value, inputs: [{ topic: record.topic, partition: 0, offset: record.offset.toString() }] });
      return { topic: options.output, partition: 0, value };
    },
    beforeCommit(batch) {
      if (txn === null) return;
      history.sendOffsets(txn, options.groupId, [{ topic: batch.topic, partition: 0, offset: batch.nextOffset }]);
      history.invokeCommit(txn);
    },
    onCommit(batch) {
      if (txn !== null) history.commitOk(txn);
      txn = null;
      options.onCommit?.();
      if (batch.nextOffset >= BigInt(INPUTS)) processor.stop();
    },
    onAbort({ error }) {
      options.onAbort?.(error);
      if (txn !== null) {
        if (processor.producer.transactionState === 'READY') history.abortOk(txn);
        else history.abortFailed(txn, error);
      }
      txn = null;
    },
  });
  return processor;
}

async function finalCheck(bootstrap: string, history: TransactionalHistory, groupId: string, input: string, output: string): Promise<{ check: TxnCheckResult; written: number }> {
  const checker = new Consumer({ bootstrap, groupId });
  const committed = await checker.committed([{ topic: input, partition: 0 }]);
  await checker.close();
  const scan = await readLog({ bootstrap, topic: output, isolationLevel: 'read_committed' });
  const everything = await readLog({ bootstrap, topic: output });
  const check = checkTransactions(history.events, { finalReads: [{ topic: output, scan }], committedOffsets: committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset })) });
  return { check, written: everything.get(0)?.length ?? 0 };
}

export interface ZombieAnswers {
  readonly firstWrite: UnfencedAnswer;
  readonly offsets: UnfencedAnswer;
  readonly lateWrite: UnfencedAnswer;
  readonly commit: UnfencedAnswer;
}

/**
 * The zombie takes every input into one transaction (outputs and offsets) and stalls before committing; the
 * successor (same transactional id and group) processes everything; then the zombie wakes, writes once more and
 * commits, with the producer id and epoch it got before the successor existed.
 */
export async function zombieAfterTakeover(bootstrap: string, name: string): Promise<{ check: TxnCheckResult; answers: ZombieAnswers }> {
  const history = new TransactionalHistory();
  const groupId = `${name}-group`;
  const transactionalId = `${name}-processor`;
  {
    const { input, output, inputs } = await prepare(bootstrap, history, name);
    const zombie = await UnfencedTransactionalProducer.init({ bootstrap: bootstrap, transactionalId });
    let answers: ZombieAnswers;
    try {
      const ztxn = history.begin('zombie');
      const values = inputs.map((r) => `out:${r.value}@${ztxn}`);
      const ops = inputs.map((r, i) => history.invokeSend(ztxn, 'zombie', { topic: output, partition: 0, value: values[i], inputs: [{ topic: input, partition: 0, offset: r.offset.toString() }] }));
      const firstWrite = await zombie.send(output, 0, values);
      ops.forEach((op, i) => (firstWrite.errorCode === 0 ? history.sendOk(op, 0, firstWrite.baseOffset + BigInt(i)) : history.sendFailed(op, firstWrite.errorName, true)));

      // The successor takes over the transactional id (on a fencing broker this aborts the zombie's transaction).
      const successor = recordedProcessor({ bootstrap: bootstrap, groupId, transactionalId, input, output, name: 'successor', history });
      try {
        await successor.run();
      } finally {
        await successor.close();
      }

      // The zombie wakes up and carries on with its old epoch.
      const lateValue = `out:${inputs[0].value}@${ztxn}:late`;
      const lateOp = history.invokeSend(ztxn, 'zombie', { topic: output, partition: 0, value: lateValue, inputs: [{ topic: input, partition: 0, offset: inputs[0].offset.toString() }] });
      const lateWrite = await zombie.send(output, 0, [lateValue]);
      if (lateWrite.errorCode === 0) history.sendOk(lateOp, 0, lateWrite.baseOffset);
      else history.sendFailed(lateOp, lateWrite.errorName, true);
      // Its offsets only now: pending offsets of an open transaction would hold the successor's OffsetFetch
      // (UNSTABLE_OFFSET_COMMIT, KIP-447) on a broker that does not abort the zombie's transaction.
      const offsets = await zombie.sendOffsets(groupId, [{ topic: input, partition: 0, offset: BigInt(INPUTS) }]);
      if (offsets.errorCode === 0) history.sendOffsets(ztxn, groupId, [{ topic: input, partition: 0, offset: BigInt(INPUTS) }]);
      history.invokeCommit(ztxn);
      const commit = await zombie.commit();
      if (commit.errorCode === 0) history.commitOk(ztxn);
      // Fenced: the coordinator aborted the transaction when the successor initialized.
      else history.commitFailed(ztxn, commit.errorName, true);
      answers = { firstWrite, offsets, lateWrite, commit };
    } finally {
      zombie.close();
    }
    const { check } = await finalCheck(bootstrap, history, groupId, input, output);
    return { check, answers };
  }
}

/**
 * Two ExactlyOnceProcessor instances with different transactional ids share a group: only the group generation
 * can fence the first (KIP-447). It stalls on the second record of its first transaction (its first output is
 * sent) until the second instance has committed, which that can only do once the group has moved on without the
 * staller. `successorDelayMs`: how long after the stall the second instance starts (past the staller's
 * max.poll.interval.ms, the staller leaves the group on its own before anyone joins).
 */
export async function staleGeneration(bootstrap: string, name: string, successorDelayMs: number): Promise<void> {
  const history = new TransactionalHistory();
  const groupId = `${name}-group`;
  {
    const { input, output } = await prepare(bootstrap, history, name);
    let release: () => void = () => undefined;
    const successorCommitted = new Promise<void>((resolve) => (release = resolve));
    let stalledOnce = false;
    let stalled: () => void = () => undefined;
    const isStalled = new Promise<void>((resolve) => (stalled = resolve));
    const staleAborts: unknown[] = [];
    const stale = recordedProcessor({
      bootstrap: bootstrap,
      groupId,
      transactionalId: `${name}-a`,
      input,
      output,
      name: 'stale',
      history,
      consumer: { maxPollIntervalMs: 1500, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 200 },
      onAbort: (error) => staleAborts.push(error),
      stall: async (record) => {
        if (stalledOnce || record !== 1) return;
        stalledOnce = true;
        stalled();
        await successorCommitted;
      },
    });
    const staleRun = stale.run().catch((error: unknown) => error);
    await isStalled;
    await new Promise((resolve) => setTimeout(resolve, successorDelayMs));
    const successor = recordedProcessor({ bootstrap: bootstrap, groupId, transactionalId: `${name}-b`, input, output, name: 'successor', history, consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 200 }, onCommit: () => release() });
    try {
      await successor.run();
    } finally {
      await successor.close();
      stale.stop();
      await staleRun;
      await stale.close();
    }
    const { check, written } = await finalCheck(bootstrap, history, groupId, input, output);
    assert.deepEqual(check.anomalyCounts, {}, JSON.stringify(check.anomalies.slice(0, 3)));
    assert.equal(check.counts.inputsExactlyOnce, INPUTS);
    assert.equal(check.counts.inputsDuplicated, 0);
    assert.ok(check.counts.transactions.aborted >= 1, `the stale instance's transaction aborted (${JSON.stringify(check.counts.transactions)})`);
    assert.ok(written > INPUTS, `the stale instance's output reached the log (${written} records) and stays hidden`);
    assert.equal(stale.metrics().committedTransactions, 0, 'the stale instance committed nothing');
    const reasons = staleAborts.map((error) => (error as { errorName?: string }).errorName ?? String(error));
    assert.ok(reasons.some((reason) => reason === 'ILLEGAL_GENERATION' || reason === 'UNKNOWN_MEMBER_ID'), `fenced by generation: ${reasons.join(', ')}`);
  }
}

/** What a fencing broker does with the zombie: refuses its late write, offsets and commit; every input once. */
export function assertZombieFenced({ check, answers }: { check: TxnCheckResult; answers: ZombieAnswers }): void {
  assert.equal(answers.firstWrite.errorName, 'NONE');
  assert.match(answers.lateWrite.errorName, /^(INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|INVALID_TXN_STATE)$/);
  assert.match(answers.offsets.errorName, /^(PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)$/);
  assert.match(answers.commit.errorName, /^(PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)$/);
  assert.deepEqual(check.anomalyCounts, {}, JSON.stringify(check.anomalies.slice(0, 3)));
  assert.equal(check.counts.inputsExactlyOnce, INPUTS);
  assert.ok(check.counts.transactions.aborted >= 1, 'the zombie transaction counts as aborted');
}
