// seqlog's transactional producer through the chaos proxy, against each broker of TRANSACTION_TARGETS: answers
// lost after the broker acted on Produce, AddPartitionsToTxn, EndTxn, AddOffsetsToTxn and TxnOffsetCommit (the
// connection is then reset). The
// application runs the Java-documented loop — a transaction that fails with an abortable error is aborted and run
// again — and a read_committed reader then sees every transaction's records exactly once, in order, and nothing
// of an aborted attempt.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaClientError, Producer } from '../../src/client/index.ts';
import { ChaosFault, ChaosProxy, type ChaosRule } from '../../src/testkit/chaos-proxy.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { TRANSACTION_TARGETS, type RunningBroker } from '../interop/transactions/brokers.ts';
import { openConnection, readCommitted } from '../interop/transactions/read-committed.ts';

const transactions = 20;
const recordsPerTransaction = 10;

function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

for (const target of TRANSACTION_TARGETS) {
  describe(`transactions under lost acks, ${target.name}`, { timeout: 600_000 }, () => {
    let broker: RunningBroker;
    let proxy: ChaosProxy;

    before(async () => {
      broker = await target.start();
      proxy = await ChaosProxy.start({ target: parseAddress(broker.bootstrap), rewriteMetadata: true, seed: 23 });
    });

    after(async () => {
      await proxy?.close();
      await broker?.stop();
    });

    // With transaction version 2 the client sends no AddPartitionsToTxn/AddOffsetsToTxn (KIP-890 part 2): those
    // cases exist only for the TV1 cluster.
    const tv1Only = target.transactionVersion < 2;
    const cases: { name: string; rules: ChaosRule[] }[] = [
      { name: 'Produce', rules: [{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.Produce], probability: 0.3, maxCount: 8 }] },
      ...(tv1Only ? [{ name: 'AddPartitionsToTxn', rules: [{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.AddPartitionsToTxn], probability: 0.4, maxCount: 6 }] }] : []),
      { name: 'EndTxn', rules: [{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.EndTxn], probability: 0.4, maxCount: 6 }] },
      { name: 'TxnOffsetCommit and AddOffsetsToTxn', rules: [{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.TxnOffsetCommit, ApiKey.AddOffsetsToTxn], probability: 0.4, maxCount: 6 }] },
      {
        name: 'Produce, AddPartitionsToTxn and EndTxn together',
        rules: [{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.Produce, ApiKey.AddPartitionsToTxn, ApiKey.EndTxn, ApiKey.FindCoordinator], probability: 0.2, maxCount: 12 }],
      },
    ];

    for (const { name, rules } of cases) {
      it(`lost ${name} acks: every committed transaction exactly once under read_committed, nothing of an aborted attempt`, async () => {
        const topic = `txn-faults-${name.replace(/\W+/g, '-')}`;
        const producer = new Producer({ bootstrap: proxy.address, transactionalId: `${topic}-id`, lingerMs: 1, retryBackoffMs: 20, requestTimeoutMs: 5000 });
        const faultsBefore = proxy.stats().totalFaults;
        let aborted = 0;
        const groupId = `${topic}-group`;
        // The consumed-offsets topic must exist for TxnOffsetCommit.
        const input = new Producer({ bootstrap: broker.bootstrap });
        await input.send({ topic: `${topic}-in`, partition: 0, value: 'in' });
        await input.close();
        try {
          await producer.initTransactions();
          // Two partitions of two topics per transaction, so each one needs AddPartitionsToTxn.
          proxy.setRules(rules);
          for (let t = 0; t < transactions; t++) {
            for (let attempt = 0; ; attempt++) {
              try {
                await producer.transaction(async (tx) => {
                  await tx.send(Array.from({ length: recordsPerTransaction }, (_, i) => ({ topic, partition: 0, value: `t${t}-${i}` })));
                  await tx.send({ topic: `${topic}-b`, partition: 0, value: `t${t}` });
                  await tx.sendOffsets(groupId, [{ topic: `${topic}-in`, partition: 0, offset: t + 1 }]);
                });
                break;
              } catch (error) {
                // Abortable: transaction() has aborted it; run it again. Anything else ends the test.
                if (!(error instanceof KafkaClientError) || error.kind === 'fatal' || attempt >= 5) throw error;
                aborted++;
              }
            }
          }
          proxy.setRules([]);
          assert.ok(proxy.stats().totalFaults > faultsBefore, 'faults were injected');
        } finally {
          proxy.setRules([]);
          await producer.close();
        }
        const reader = await openConnection(broker.bootstrap);
        try {
          const read = await readCommitted(reader, topic, 0, { waitForStable: true });
          const expected = Array.from({ length: transactions }, (_, t) => Array.from({ length: recordsPerTransaction }, (_, i) => `t${t}-${i}`)).flat();
          assert.deepEqual(read.records.map((r) => r.value), expected, `aborted attempts: ${aborted}`);
          const other = await readCommitted(reader, `${topic}-b`, 0, { waitForStable: true });
          assert.deepEqual(other.records.map((r) => r.value), Array.from({ length: transactions }, (_, t) => `t${t}`));
          let committed = await reader.send(ApiKey.OffsetFetch, 7, { groupId, topics: [{ name: `${topic}-in`, partitionIndexes: [0] }], groups: [], requireStable: true });
          for (let i = 0; i < 100 && committed.topics[0]?.partitions[0]?.errorCode === 88; i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            committed = await reader.send(ApiKey.OffsetFetch, 7, { groupId, topics: [{ name: `${topic}-in`, partitionIndexes: [0] }], groups: [], requireStable: true });
          }
          assert.equal(committed.topics[0]?.partitions[0]?.committedOffset, BigInt(transactions), 'the last transaction committed its offset');
        } finally {
          reader.close();
        }
      });
    }
  });
}
