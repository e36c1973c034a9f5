// Mutation tests of the transactional checker against the reference Apache Kafka: each mutant breaks one promise
// of transactions for real, on a real broker, and the checker must report it.
//
//   a consumer that reads uncommitted (while claiming read_committed)   -> ABORTED_READ, READ_BEFORE_COMMIT
//   a pipeline whose producers are not fenced (one transactional id per
//   instance, offsets sent without the group generation)                 -> OUTPUT_DUPLICATED
//
//   a broker that ignores read_committed (seqlog's broker mutated through
//   its control hook, `BrokerMutations.readCommittedAsUncommitted`)        -> ABORTED_READ in verifyTransactions
//
// The zombie scenarios of txn-zombie-fencing.test.ts run here against Apache Kafka too (one reference Kafka per
// file): a client that does not fence itself is refused, and a processor with a stale group generation is fenced.
//
// The other broker-side mutants (skipping transaction markers, losing pending transactional offsets on restart) are
// in txn-broker-mutations.test.ts; a client that does not fence itself, a broker that does not fence producers and
// fencing by generation are in txn-zombie-fencing.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer, Producer } from '../../src/client/index.ts';
import { checkTransactions, createTopic, readLog, TransactionalHistory, TxnAnomalyKind, verifyTransactions } from '../../src/testkit/index.ts';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { assertZombieFenced, staleGeneration, zombieAfterTakeover } from './txn-zombie-scenarios.ts';

describe('transactional checker mutation tests against Apache Kafka', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0' } });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('a consumer that reads uncommitted: ABORTED_READ on the final read, READ_BEFORE_COMMIT on a poll; the real read_committed consumer shows neither', async () => {
    const topic = 'mutant-dirty-read';
    await createTopic(kafka.bootstrap, topic, 1);
    const history = new TransactionalHistory();
    const producer = new Producer({ bootstrap: kafka.bootstrap, transactionalId: 'mutant-dirty-read-id', lingerMs: 0 });
    const poll = async (isolationLevel: 'read_committed' | 'read_uncommitted', expect: number): Promise<void> => {
      const consumer = new Consumer({ bootstrap: kafka.bootstrap, isolationLevel, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
      consumer.assign([{ topic, partition: 0 }]);
      try {
        // What the reader returns within a short wait (read_committed returns nothing while the transaction is open).
        const seen: { topic: string; partition: number; offset: bigint; value: string | null }[] = [];
        const deadline = Date.now() + 1500;
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 1500);
        while (seen.length < expect && Date.now() < deadline) {
          const batch = await consumer.nextBatch(controller.signal);
          if (batch === null) break;
          seen.push(...batch.records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, value: r.valueString() })));
        }
        clearTimeout(timer);
        // Recorded as read_committed whatever the mutant did: that is the lie the checker must catch.
        if (seen.length > 0) history.read(isolationLevel === 'read_committed' ? 'reader' : 'mutant-reader', 'read_committed', seen);
      } finally {
        await consumer.close();
      }
    };
    try {
      await producer.initTransactions();
      let txn = history.begin('w');
      await producer.beginTransaction();
      history.invokeSend(txn, 'w', { topic, partition: 0, value: 'committed-1' });
      await producer.send({ topic, partition: 0, value: 'committed-1' });
      history.invokeCommit(txn);
      await producer.commitTransaction();
      history.commitOk(txn);

      txn = history.begin('w');
      await producer.beginTransaction();
      history.invokeSend(txn, 'w', { topic, partition: 0, value: 'aborted-1' });
      await producer.send({ topic, partition: 0, value: 'aborted-1' });
      history.invokeAbort(txn);
      await producer.abortTransaction();
      history.abortOk(txn);

      // A transaction left open while both readers poll.
      txn = history.begin('w');
      await producer.beginTransaction();
      history.invokeSend(txn, 'w', { topic, partition: 0, value: 'committed-2' });
      await producer.send({ topic, partition: 0, value: 'committed-2' });
      await poll('read_committed', 1);
      await poll('read_uncommitted', 3);
      history.invokeCommit(txn);
      await producer.commitTransaction();
      history.commitOk(txn);
    } finally {
      await producer.close();
    }

    const honest = await readLog({ bootstrap: kafka.bootstrap, topic, isolationLevel: 'read_committed' });
    const dirty = await readLog({ bootstrap: kafka.bootstrap, topic, isolationLevel: 'read_uncommitted' });
    const readers = history.events.filter((e) => e.f === 'read');
    const honestEvents = history.events.filter((e) => !(e.f === 'read' && e.process === 'mutant-reader'));
    const good = checkTransactions(honestEvents, { finalReads: [{ topic, scan: honest }] });
    assert.ok(readers.some((e) => e.f === 'read' && e.process === 'reader'), 'the honest reader polled');
    assert.deepEqual(good.anomalyCounts, {}, JSON.stringify(good.anomalies));
    assert.equal(good.counts.transactions.committed, 2);

    const caught = checkTransactions(history.events, { finalReads: [{ topic, scan: dirty }] });
    assert.ok((caught.anomalyCounts[TxnAnomalyKind.abortedRead] ?? 0) >= 1, JSON.stringify(caught.anomalyCounts));
    assert.ok((caught.anomalyCounts[TxnAnomalyKind.readBeforeCommit] ?? 0) >= 1, JSON.stringify(caught.anomalyCounts));
    const aborted = caught.anomalies.find((a) => a.kind === TxnAnomalyKind.abortedRead);
    assert.equal(aborted?.records[0].value, 'aborted-1');
    assert.deepEqual(aborted?.transactions, ['w#2']);
    assert.ok(caught.anomalies.some((a) => a.kind === TxnAnomalyKind.readBeforeCommit && a.transactions[0] === 'w#3'));
  });

  it('producers that are not fenced (a transactional id per instance, no group generation): OUTPUT_DUPLICATED', async () => {
    const input = 'mutant-unfenced-in';
    const output = 'mutant-unfenced-out';
    const groupId = 'mutant-unfenced-group';
    await createTopic(kafka.bootstrap, input, 1);
    await createTopic(kafka.bootstrap, output, 1);
    const loader = new Producer({ bootstrap: kafka.bootstrap });
    await loader.send(Array.from({ length: 20 }, (_, i) => ({ topic: input, partition: 0, value: `in-${i}` })));
    await loader.close();
    const history = new TransactionalHistory();
    const inputs = (await readLog({ bootstrap: kafka.bootstrap, topic: input })).get(0) ?? [];
    history.inputs(inputs.map((r) => ({ topic: input, partition: 0, offset: r.offset, value: r.value })));

    // Two instances of a mutant processor, each believing it owns the partition: a zombie and its successor.
    // Different transactional ids (no InitProducerId fencing) and offsets sent with the bare group id (generation
    // -1: the coordinator cannot fence by generation), so both commit.
    for (const instance of ['zombie', 'successor']) {
      const consumer = new Consumer({ bootstrap: kafka.bootstrap, autoOffsetReset: 'earliest' });
      consumer.assign([{ topic: input, partition: 0 }]);
      const producer = new Producer({ bootstrap: kafka.bootstrap, transactionalId: `mutant-unfenced-${instance}` });
      try {
        let done = 0;
        while (done < inputs.length) {
          const batch = await consumer.nextBatch();
          if (batch === null) break;
          const txn = history.begin(instance);
          await producer.transaction(async (tx) => {
            for (const record of batch.records) {
              const value = `out:${record.valueString()}@${txn}`;
              history.invokeSend(txn, instance, { topic: output, partition: 0, value, inputs: [{ topic: input, partition: 0, offset: record.offset.toString() }] });
              await tx.send({ topic: output, partition: 0, value });
            }
            await tx.sendOffsets(groupId, [{ topic: input, partition: 0, offset: batch.nextOffset }]);
            history.sendOffsets(txn, groupId, [{ topic: input, partition: 0, offset: batch.nextOffset }]);
            history.invokeCommit(txn);
          });
          history.commitOk(txn);
          done += batch.records.length;
        }
      } finally {
        await producer.close();
        await consumer.close();
      }
    }
    const scan = await readLog({ bootstrap: kafka.bootstrap, topic: output, isolationLevel: 'read_committed' });
    const result = checkTransactions(history.events, { finalReads: [{ topic: output, scan }], committedOffsets: [{ topic: input, partition: 0, offset: 20n }] });
    assert.equal(result.anomalyCounts[TxnAnomalyKind.outputDuplicated], 20, JSON.stringify(result.anomalyCounts));
    assert.equal(result.counts.inputsDuplicated, 20);
    const example = result.anomalies.find((a) => a.kind === TxnAnomalyKind.outputDuplicated);
    assert.ok(example !== undefined && example.transactions.some((t) => t.startsWith('zombie#')) && example.transactions.some((t) => t.startsWith('successor#')), JSON.stringify(example));
  });

  it('a client that does not fence itself: Apache Kafka refuses its late write, offsets and commit; every input has one output', async () => {
    assertZombieFenced(await zombieAfterTakeover(kafka.bootstrap, 'kafka-zombie'));
  });

  it('a processor whose group generation went stale in a rebalance is fenced (KIP-447)', async () => {
    await staleGeneration(kafka.bootstrap, 'kafka-generation-rebalanced', 0);
  });

  it('a processor that left the group on a poll timeout is fenced by its old generation (KIP-447)', async () => {
    await staleGeneration(kafka.bootstrap, 'kafka-generation-left', 3000);
  });
});

describe('transactional checker mutation tests against the embedded seqlog broker', { timeout: 300_000 }, () => {
  it('a broker that ignores read_committed (serves every Fetch up to the high watermark, no aborted list): ABORTED_READ in the exactly-once run', async () => {
    const result = await verifyTransactions({ seed: 5, inputs: 600, modes: ['exactly-once'], brokerCrashes: 0, brokerMutations: { readCommittedAsUncommitted: true } });
    const [run] = result.runs;
    assert.ok(run.transactions.aborted > 0, 'the processor crashes left aborted transactions');
    assert.ok((run.check.anomalyCounts[TxnAnomalyKind.abortedRead] ?? 0) > 0, JSON.stringify(run.check.anomalyCounts));
    assert.ok(run.abortedVisible > 0);
    assert.equal(run.check.valid, false);
    assert.equal(result.ok, false, 'verify fails the exactly-once run');
  });

  it('the same run on the unmutated broker is clean', async () => {
    const result = await verifyTransactions({ seed: 5, inputs: 600, modes: ['exactly-once'], brokerCrashes: 0 });
    assert.deepEqual(result.runs[0].check.anomalyCounts, {}, JSON.stringify(result.runs[0].check.anomalies.slice(0, 3)));
  });
});
