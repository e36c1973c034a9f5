// seqlog's transactional producer against each broker of TRANSACTION_TARGETS (Apache Kafka 4.4 with
// transaction.version 2 and 1, and seqlog's broker), read back with a raw read_committed Fetch: committed transactions are visible,
// aborted ones are not, a zombie (older instance of a transactional id) is fenced with PRODUCER_FENCED and none of
// its later writes become visible, and offsets sent to a transaction are committed with it (OffsetFetch with
// RequireStable).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaClientError, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { BrokerConnection } from '../../src/client/index.ts';
import { TRANSACTION_TARGETS, type RunningBroker } from './transactions/brokers.ts';
import { openConnection, readCommitted } from './transactions/read-committed.ts';

async function committedOffset(connection: BrokerConnection, groupId: string, topic: string, partition: number): Promise<{ offset: bigint; errorCode: number }> {
  const response = await connection.send(ApiKey.OffsetFetch, 7, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], groups: [], requireStable: true });
  const entry = response.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition);
  return { offset: entry?.committedOffset ?? -1n, errorCode: entry?.errorCode ?? response.errorCode };
}

/** OffsetFetch with RequireStable answers UNSTABLE_OFFSET_COMMIT (88) until the transaction's marker is written. */
async function stableCommittedOffset(connection: BrokerConnection, groupId: string, topic: string, partition: number): Promise<{ offset: bigint; errorCode: number }> {
  let result = await committedOffset(connection, groupId, topic, partition);
  for (let i = 0; i < 100 && result.errorCode === 88; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    result = await committedOffset(connection, groupId, topic, partition);
  }
  return result;
}

for (const target of TRANSACTION_TARGETS) {
  describe(`transactions against ${target.name}`, { timeout: 300_000 }, () => {
    let broker: RunningBroker;
    let reader: BrokerConnection;

    before(async () => {
      broker = await target.start();
      reader = await openConnection(broker.bootstrap);
      // The scenarios expect the client to pick the protocol the broker finalizes.
      assert.equal(reader.finalizedFeatures.get('transaction.version') ?? 0, target.transactionVersion);
    });

    after(async () => {
      reader?.close();
      await broker?.stop();
    });

    it('testCommitTransaction / testAbortTransaction: committed records are read_committed-visible, aborted ones are not', async () => {
      const topic = 'txn-commit-abort';
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-commit-abort-id', lingerMs: 1 });
      try {
        await producer.initTransactions();
        assert.equal(producer.transactionState, 'READY');
        const firstId = producer.producerIdAndEpoch;
        assert.ok(firstId !== null && firstId.producerId >= 0n);

        await producer.beginTransaction();
        await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, key: `a${i}`, value: `commit-1-${i}` })));
        await producer.commitTransaction();

        await producer.beginTransaction();
        await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, key: `b${i}`, value: `abort-1-${i}` })));
        await producer.abortTransaction();

        // The helper: commits on return ...
        const returned = await producer.transaction(async (tx) => {
          await tx.send(Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, value: `commit-2-${i}` })));
          return 'ok';
        });
        assert.equal(returned, 'ok');
        // ... and aborts on a throw, rethrowing it; records sent without awaiting are aborted too.
        await assert.rejects(
          producer.transaction(async (tx) => {
            await tx.send({ topic, partition: 0, value: 'abort-2-0' });
            void tx.send({ topic, partition: 0, value: 'abort-2-1' }).catch(() => undefined);
            throw new Error('processing failed');
          }),
          /processing failed/,
        );
        assert.equal(producer.transactionState, 'READY');
        // The client speaks the transaction version the cluster finalizes: TV2 bumps the epoch at each of the four
        // EndTxn (KIP-890 part 2), TV1 keeps it.
        assert.equal(producer.transactionVersion, target.transactionVersion);
        assert.deepEqual(producer.producerIdAndEpoch, { producerId: firstId.producerId, epoch: firstId.epoch + (target.transactionVersion >= 2 ? 4 : 0) });
      } finally {
        await producer.close();
      }
      const read = await readCommitted(reader, topic, 0, { waitForStable: true });
      assert.deepEqual(
        read.records.map((r) => r.value),
        [...Array.from({ length: 10 }, (_, i) => `commit-1-${i}`), ...Array.from({ length: 5 }, (_, i) => `commit-2-${i}`)],
      );
      assert.ok(read.records.every((r) => r.transactional));
      // Each committed transaction's records carry one epoch: under TV2 the two commits used different ones.
      const epochs = new Set(read.records.map((r) => r.producerEpoch));
      assert.equal(epochs.size, target.transactionVersion >= 2 ? 2 : 1);
      assert.deepEqual(
        read.markers.map((m) => m.type),
        ['commit', 'abort', 'commit', 'abort'],
      );
    });

    it('a transaction spans partitions of several topics atomically', async () => {
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-multi-id' });
      try {
        await producer.transaction(async (tx) => {
          await Promise.all([tx.send({ topic: 'txn-multi-a', partition: 0, value: 'a-committed' }), tx.send({ topic: 'txn-multi-b', partition: 0, value: 'b-committed' })]);
        });
        await producer.beginTransaction();
        await Promise.all([producer.send({ topic: 'txn-multi-a', partition: 0, value: 'a-aborted' }), producer.send({ topic: 'txn-multi-b', partition: 0, value: 'b-aborted' })]);
        await producer.abortTransaction();
      } finally {
        await producer.close();
      }
      for (const topic of ['txn-multi-a', 'txn-multi-b']) {
        const read = await readCommitted(reader, topic, 0, { waitForStable: true });
        assert.deepEqual(read.records.map((r) => r.value), [`${topic.slice(-1)}-committed`]);
      }
    });

    it('testFencingProducer: a second instance with the same transactional id fences the first (PRODUCER_FENCED, fatal); none of the zombie writes become visible', async () => {
      const topic = 'txn-zombie';
      const transactionalId = 'txn-zombie-id';
      const zombie = new Producer({ bootstrap: broker.bootstrap, transactionalId, lingerMs: 0 });
      const successor = new Producer({ bootstrap: broker.bootstrap, transactionalId, lingerMs: 0 });
      try {
        await zombie.beginTransaction();
        await zombie.send({ topic, partition: 0, value: 'zombie-before-fence' });
        const zombieEpoch = zombie.producerIdAndEpoch;

        // The new instance registers: the coordinator bumps the epoch and aborts the zombie's open transaction.
        await successor.initTransactions();
        const successorEpoch = successor.producerIdAndEpoch;
        assert.ok(zombieEpoch !== null && successorEpoch !== null);
        assert.equal(successorEpoch.producerId, zombieEpoch.producerId);
        assert.ok(successorEpoch.epoch > zombieEpoch.epoch, 'the successor has a higher epoch');

        // The zombie keeps going: a new partition (AddPartitionsToTxn) and the old one, then tries to commit.
        const late = [zombie.send({ topic, partition: 0, value: 'zombie-after-fence' }), zombie.send({ topic: 'txn-zombie-other', partition: 0, value: 'zombie-other' })].map((send) =>
          send.then(
            () => null,
            (error: unknown) => error,
          ),
        );
        await assert.rejects(zombie.commitTransaction());
        const lateErrors = await Promise.all(late);
        assert.ok(lateErrors.every((error) => error instanceof KafkaClientError), 'no zombie write was acknowledged');
        // An abortable failure of the commit leads to abortTransaction(), which the coordinator fences.
        if (zombie.transactionState !== 'FATAL_ERROR') await assert.rejects(zombie.abortTransaction());
        assert.equal(zombie.transactionState, 'FATAL_ERROR');
        await assert.rejects(zombie.send({ topic, partition: 0, value: 'zombie-refused' }), (error: unknown) => {
          assert.ok(error instanceof KafkaClientError);
          assert.equal(error.kind, 'fatal');
          assert.equal(error.errorName, 'PRODUCER_FENCED');
          return true;
        });

        await successor.transaction(async (tx) => {
          await tx.send({ topic, partition: 0, value: 'successor' });
        });
      } finally {
        await zombie.close();
        await successor.close();
      }
      const read = await readCommitted(reader, topic, 0, { waitForStable: true });
      assert.deepEqual(read.records.map((r) => r.value), ['successor']);
      const other = await readCommitted(reader, 'txn-zombie-other', 0, { waitForStable: true }).catch(() => ({ records: [] }));
      assert.deepEqual(other.records, []);
    });

    it('sendOffsetsToTransaction: offsets commit with the transaction (KIP-447 group metadata) and vanish with an abort', async () => {
      const groupId = 'txn-offsets-group';
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-offsets-id' });
      const consumerLike = { groupMetadata: () => ({ groupId, generationId: -1, memberId: '', groupInstanceId: null }) };
      // Offsets can only be committed for a topic that exists (else UNKNOWN_TOPIC_OR_PARTITION, retried).
      const input = new Producer({ bootstrap: broker.bootstrap });
      await input.send({ topic: 'txn-offsets-in', partition: 0, value: 'in' });
      await input.close();
      try {
        await producer.transaction(async (tx) => {
          await tx.send({ topic: 'txn-offsets-out', partition: 0, value: 'out-1' });
          await tx.sendOffsets(consumerLike, [{ topic: 'txn-offsets-in', partition: 0, offset: 42n }]);
        });
        assert.deepEqual(await stableCommittedOffset(reader, groupId, 'txn-offsets-in', 0), { offset: 42n, errorCode: 0 });

        await producer.beginTransaction();
        await producer.send({ topic: 'txn-offsets-out', partition: 0, value: 'out-aborted' });
        await producer.sendOffsetsToTransaction([{ topic: 'txn-offsets-in', partition: 0, offset: 99 }], { groupId });
        await producer.abortTransaction();
      } finally {
        await producer.close();
      }
      // RequireStable answers UNSTABLE_OFFSET_COMMIT while the abort marker is on its way; then the old offset.
      assert.deepEqual(await stableCommittedOffset(reader, groupId, 'txn-offsets-in', 0), { offset: 42n, errorCode: 0 });
      const read = await readCommitted(reader, 'txn-offsets-out', 0, { waitForStable: true });
      assert.deepEqual(read.records.map((r) => r.value), ['out-1']);
    });

    it('testRecoveryFromAbortableErrorTransactionStarted: a rejected batch (INVALID_RECORD) is abortable; after the abort (and its epoch bump) the next transaction commits', async () => {
      // A compacted topic refuses a record without a key: a definite, non-retriable failure of a sequenced batch.
      const topic = 'txn-abortable';
      const created = await reader.send(ApiKey.CreateTopics, reader.versionFor(ApiKey.CreateTopics, 2, 7) ?? 2, {
        topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      assert.equal(created.topics[0].errorCode, 0);
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-abortable-id' });
      try {
        await producer.initTransactions();
        const before = producer.producerIdAndEpoch;
        await assert.rejects(
          producer.transaction(async (tx) => {
            await tx.send({ topic, partition: 0, key: 'k', value: 'kept-out' });
            await tx.send({ topic, partition: 0, value: 'no-key' });
          }),
          (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_RECORD' && error.kind === 'abortable',
        );
        assert.equal(producer.transactionState, 'READY', 'transaction() aborted it');
        const after = producer.producerIdAndEpoch;
        assert.ok(before !== null && after !== null && after.producerId === before.producerId && after.epoch === before.epoch + 1, 'the epoch was bumped (KIP-360 / KIP-890)');
        await producer.transaction(async (tx) => {
          await tx.send({ topic, partition: 0, key: 'k', value: 'committed' });
        });
      } finally {
        await producer.close();
      }
      const read = await readCommitted(reader, topic, 0, { waitForStable: true });
      assert.deepEqual(read.records.map((r) => r.value), ['committed']);
      assert.equal(read.records[0].sequence, 0, 'the new epoch starts at sequence 0');
    });

    it('close() aborts an open transaction (Sender: "Aborting incomplete transaction due to shutdown")', async () => {
      const topic = 'txn-close';
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-close-id' });
      await producer.beginTransaction();
      await producer.send({ topic, partition: 0, value: 'never-committed' });
      await producer.close();
      // The abort marker makes the partition stable again; nothing is visible.
      const read = await readCommitted(reader, topic, 0, { waitForStable: true });
      assert.deepEqual(read.records, []);
      assert.deepEqual(read.markers.map((m) => m.type), ['abort']);
    });

    it('transaction.timeout.ms: the coordinator aborts a transaction left open too long; its commit fails and nothing is visible', async (t) => {
      const topic = 'txn-timeout';
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-timed-out-id', transactionTimeoutMs: 1000 });
      let failure: KafkaClientError | null = null;
      try {
        await producer.beginTransaction();
        await producer.send({ topic, partition: 0, value: 'timed-out' });
        // Past the timeout and the broker's check interval: the coordinator bumps the epoch and aborts.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        await producer.commitTransaction().catch((error: unknown) => {
          failure = error as KafkaClientError;
        });
      } finally {
        await producer.close();
      }
      assert.ok(failure !== null, 'the commit of a timed-out transaction fails');
      const error = failure as KafkaClientError;
      assert.ok(error instanceof KafkaClientError);
      t.diagnostic(`commit after the timeout: ${error.errorName} (${error.kind})`);
      assert.ok(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTION_ABORTABLE', 'INVALID_TXN_STATE'].includes(error.errorName), error.message);
      const read = await readCommitted(reader, topic, 0, { waitForStable: true });
      assert.deepEqual(read.records, []);
      assert.deepEqual(read.markers.map((m) => m.type), ['abort']);
    });

    it('a transaction.timeout.ms above the broker maximum is fatal: INVALID_TRANSACTION_TIMEOUT', async () => {
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-timeout-id', transactionTimeoutMs: 3_600_000 });
      try {
        await assert.rejects(producer.initTransactions(), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_TRANSACTION_TIMEOUT' && error.kind === 'fatal');
        assert.equal(producer.transactionState, 'FATAL_ERROR');
      } finally {
        await producer.close();
      }
    });

    it('KIP-447: offsets sent with the generation of a member the group does not have are refused (abortable); nothing of the transaction is visible', async () => {
      const groupId = 'txn-zombie-consumer-group';
      const input = new Producer({ bootstrap: broker.bootstrap });
      await input.send({ topic: 'txn-zombie-consumer-in', partition: 0, value: 'in' });
      await input.close();
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-zombie-consumer-id' });
      try {
        await assert.rejects(
          producer.transaction(async (tx) => {
            await tx.send({ topic: 'txn-zombie-consumer-out', partition: 0, value: 'from-a-zombie-consumer' });
            await tx.sendOffsets({ groupId, generationId: 7, memberId: 'member-that-left', groupInstanceId: null }, [{ topic: 'txn-zombie-consumer-in', partition: 0, offset: 1 }]);
          }),
          (error: unknown) => error instanceof KafkaClientError && error.kind === 'abortable' && ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'].includes(error.errorName),
        );
        assert.equal(producer.transactionState, 'READY');
      } finally {
        await producer.close();
      }
      const read = await readCommitted(reader, 'txn-zombie-consumer-out', 0, { waitForStable: true });
      assert.deepEqual(read.records, []);
      const committed = await stableCommittedOffset(reader, groupId, 'txn-zombie-consumer-in', 0);
      assert.equal(committed.offset, -1n, 'no offset was committed');
    });

    it('refuses transactional calls in the wrong state with typed errors', async () => {
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'txn-states-id' });
      try {
        await producer.initTransactions();
        await assert.rejects(producer.send({ topic: 'txn-states', partition: 0, value: 'outside' }), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_TXN_STATE');
        await assert.rejects(producer.commitTransaction(), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_TXN_STATE');
        await producer.beginTransaction();
        await assert.rejects(producer.beginTransaction(), /beginTransaction in state IN_TRANSACTION/);
        await producer.abortTransaction();
      } finally {
        await producer.close();
      }
      const plain = new Producer({ bootstrap: broker.bootstrap });
      try {
        await assert.rejects(plain.beginTransaction(), /transactionalId/);
      } finally {
        await plain.close();
      }
    });
  });
}
