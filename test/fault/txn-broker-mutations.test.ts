// Mutation tests of the transactional checker against seqlog's embedded broker, broken on purpose through the
// testkit (`BrokerMutations`: the control hook, or the data dir between a crash and the restart). Each mutant
// breaks one promise of transactions for real and the checker must report it; each has an unmutated twin that
// must come out clean, so the anomaly is the mutant's and not the scenario's.
//
//   a broker that skips transaction markers (acknowledges WriteTxnMarkers, writes nothing)
//       -> the last stable offset never moves: LOST_WRITE, OUTPUT_MISSING, OFFSET_OUTPUT_DISAGREE
//   a broker that loses pending transactional offsets on restart
//       -> the transaction commits its outputs but not its offsets; the next instance redoes the batch:
//          OUTPUT_DUPLICATED
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer, ExactlyOnceProcessor, Producer } from '../../src/client/index.ts';
import { checkTransactions, createTopic, EmbeddedBroker, readLog, TransactionalHistory, TxnAnomalyKind, verifyTransactions, type BrokerMutations, type TxnCheckResult } from '../../src/testkit/index.ts';

describe('a broker that skips transaction markers', { timeout: 120_000 }, () => {
  it('verify --transactions: committed outputs never become visible (LOST_WRITE, OUTPUT_MISSING, OFFSET_OUTPUT_DISAGREE), the run fails', async () => {
    const result = await verifyTransactions({ seed: 5, inputs: 300, modes: ['exactly-once'], brokerCrashes: 0, brokerMutations: { skipTransactionMarkers: true } });
    const [run] = result.runs;
    assert.ok(run.transactions.committed > 0, 'the pipeline committed transactions');
    assert.equal(run.outputs, 0, 'no COMMIT marker was written: read_committed stops at the first transaction');
    assert.ok(run.written >= run.inputs, `the outputs are in the log (${run.written})`);
    assert.equal(run.missing, run.inputs);
    assert.equal(run.check.anomalyCounts[TxnAnomalyKind.outputMissing], run.inputs, JSON.stringify(run.check.anomalyCounts));
    assert.ok((run.check.anomalyCounts[TxnAnomalyKind.lostWrite] ?? 0) >= run.inputs, JSON.stringify(run.check.anomalyCounts));
    assert.equal(run.check.anomalyCounts[TxnAnomalyKind.offsetOutputDisagree], run.inputs, 'the group offsets say every input was consumed');
    const lost = run.check.anomalies.find((a) => a.kind === TxnAnomalyKind.lostWrite);
    assert.match(lost?.transactions[0] ?? '', /^eos-\d+#\d+$/);
    assert.equal(result.ok, false);
  });

  it('the same run without the mutation is clean', async () => {
    const result = await verifyTransactions({ seed: 5, inputs: 300, modes: ['exactly-once'], brokerCrashes: 0 });
    const [run] = result.runs;
    assert.deepEqual(run.check.anomalyCounts, {}, JSON.stringify(run.check.anomalies.slice(0, 3)));
    assert.equal(run.outputs, run.inputs);
    assert.equal(result.ok, true);
  });
});

/**
 * A consume-transform-produce run in two instances. The first processes one batch, and between sending its
 * offsets into the transaction (TxnOffsetCommit: pending until the commit) and committing, the broker crashes and
 * restarts; the commit goes through after the restart, then that instance stops (a deploy, a rebalance). A second
 * instance (ExactlyOnceProcessor, same transactional id and group) processes the rest from the group's offsets.
 */
async function restartWithPendingOffsets(mutations: BrokerMutations | undefined): Promise<{ check: TxnCheckResult; firstBatch: number }> {
  const broker = await EmbeddedBroker.start({ fsync: 'always', ...(mutations === undefined ? {} : { mutations }) });
  const input = 'pending-offsets-in';
  const output = 'pending-offsets-out';
  const groupId = 'pending-offsets-group';
  const transactionalId = 'pending-offsets-processor';
  const history = new TransactionalHistory();
  const consumerOptions = { bootstrap: broker.bootstrap, groupId, maxPartitionFetchBytes: 256, autoOffsetReset: 'earliest', isolationLevel: 'read_committed', enableAutoCommit: false, requestTimeoutMs: 3000, retryBackoffMs: 20 } as const;
  try {
    await createTopic(broker.bootstrap, input, 1);
    await createTopic(broker.bootstrap, output, 1);
    // Eight stored batches of five: a fetch returns at least one whole batch, so batches bound what a poll gets.
    const loader = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0 });
    for (let from = 0; from < 40; from += 5) await loader.send(Array.from({ length: 5 }, (_, k) => ({ topic: input, partition: 0, value: `in-${from + k}` })));
    await loader.close();
    const inputs = (await readLog({ bootstrap: broker.bootstrap, topic: input })).get(0) ?? [];
    history.inputs(inputs.map((r) => ({ topic: input, partition: 0, offset: r.offset, value: r.value })));
    const outputOf = (record: { valueString(): string | null }, txn: string): string => `out:${record.valueString() ?? ''}@${txn}`;

    // The first instance: one batch, with the broker restart inside its transaction.
    let firstBatch = 0;
    {
      const consumer = new Consumer(consumerOptions);
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId, requestTimeoutMs: 3000, retryBackoffMs: 20 });
      try {
        consumer.subscribe([input]);
        await producer.initTransactions();
        const batch = await consumer.nextBatch();
        assert.ok(batch !== null && batch.records.length < inputs.length, 'the first batch is part of the input');
        firstBatch = batch.records.length;
        const txn = history.begin('first');
        await producer.beginTransaction();
        for (const record of batch.records) {
          const value = outputOf(record, txn);
          const op = history.invokeSend(txn, 'first', { topic: output, partition: 0, value, inputs: [{ topic: input, partition: 0, offset: record.offset.toString() }] });
          const meta = await producer.send({ topic: output, partition: 0, value });
          history.sendOk(op, meta.partition, meta.offset);
        }
        const offsets = [{ topic: input, partition: 0, offset: batch.nextOffset }];
        await producer.sendOffsetsToTransaction(offsets, consumer);
        history.sendOffsets(txn, groupId, offsets);
        history.nemesis('broker-crash');
        await broker.crash();
        await broker.restart();
        history.nemesis('broker-restart');
        history.invokeCommit(txn);
        await producer.commitTransaction();
        history.commitOk(txn);
      } finally {
        await producer.close();
        await consumer.close();
      }
    }

    // The second instance, until the group's offset reaches the end of the input.
    let txn: string | null = null;
    const processor = new ExactlyOnceProcessor({
      bootstrap: broker.bootstrap,
      groupId,
      transactionalId,
      inputTopics: input,
      consumer: { maxPartitionFetchBytes: 256, requestTimeoutMs: 3000, retryBackoffMs: 20 },
      transform(record) {
        txn ??= history.begin('second');
        const value = outputOf(record, txn);
        history.invokeSend(txn, 'second', { topic: output, partition: 0, value, inputs: [{ topic: input, partition: 0, offset: record.offset.toString() }] });
        return { topic: output, partition: 0, value };
      },
      beforeCommit(batch) {
        if (txn === null) return;
        history.sendOffsets(txn, groupId, [{ topic: input, partition: 0, offset: batch.nextOffset }]);
        history.invokeCommit(txn);
      },
      onCommit(batch) {
        if (txn !== null) history.commitOk(txn);
        txn = null;
        if (batch.nextOffset >= BigInt(inputs.length)) void processor.stop();
      },
      onAbort() {
        if (txn !== null) history.abortOk(txn);
        txn = null;
      },
    });
    try {
      await processor.run();
    } finally {
      await processor.close();
    }

    const checker = new Consumer({ bootstrap: broker.bootstrap, groupId });
    const committed = await checker.committed([{ topic: input, partition: 0 }]);
    await checker.close();
    const scan = await readLog({ bootstrap: broker.bootstrap, topic: output, isolationLevel: 'read_committed' });
    const check = checkTransactions(history.events, { finalReads: [{ topic: output, scan }], committedOffsets: committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset })) });
    return { check, firstBatch };
  } finally {
    await broker.close();
  }
}

describe('a broker that loses pending transactional offsets on restart', { timeout: 120_000 }, () => {
  it("the batch committed across the restart is processed again: OUTPUT_DUPLICATED for each of its inputs, naming both instances' transactions", async () => {
    const { check, firstBatch } = await restartWithPendingOffsets({ losePendingTransactionalOffsetsOnRestart: true });
    assert.equal(check.anomalyCounts[TxnAnomalyKind.outputDuplicated], firstBatch, JSON.stringify(check.anomalyCounts));
    assert.equal(check.counts.inputsDuplicated, firstBatch);
    assert.equal(check.counts.inputsMissing, 0);
    const example = check.anomalies.find((a) => a.kind === TxnAnomalyKind.outputDuplicated);
    assert.ok(example?.transactions.some((t) => t.startsWith('first#')) && example.transactions.some((t) => t.startsWith('second#')), JSON.stringify(example));
    assert.equal(check.valid, false);
  });

  it('the same run without the mutation is clean: the offsets sent before the restart commit with the transaction', async () => {
    const { check } = await restartWithPendingOffsets(undefined);
    assert.deepEqual(check.anomalyCounts, {}, JSON.stringify(check.anomalies.slice(0, 3)));
    assert.equal(check.counts.inputsExactlyOnce, check.counts.inputs);
    assert.equal(check.valid, true);
  });
});
