// The transaction coordinator over the wire: raw requests (generated codecs) against a real broker on port 0.
// Each test asserts one of Kafka's coordinator rules that a real client depends on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';

const TOPIC = 'txn-topic';

async function connect(broker: RunningBroker): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'txn-test' });
  await connection.negotiateApiVersions();
  return connection;
}

async function initProducerId(c: BrokerConnection, transactionalId: string, options: { timeoutMs?: number; producerId?: bigint; producerEpoch?: number; version?: number } = {}) {
  return c.send(ApiKey.InitProducerId, options.version ?? 5, {
    transactionalId,
    transactionTimeoutMs: options.timeoutMs ?? 60000,
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerEpoch ?? -1,
  });
}

async function addPartitions(c: BrokerConnection, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: number[], version = 3) {
  const response = await c.send(ApiKey.AddPartitionsToTxn, version, {
    transactions: [],
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: TOPIC, partitions }],
  });
  return response.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => errorName(p.partitionErrorCode)));
}

async function endTxn(c: BrokerConnection, transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean, version = 4) {
  return c.send(ApiKey.EndTxn, version, { transactionalId, producerId, producerEpoch, committed });
}

async function describeTxn(c: BrokerConnection, transactionalId: string) {
  const response = await c.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] });
  return response.transactionStates[0];
}

async function waitForState(c: BrokerConnection, transactionalId: string, state: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await describeTxn(c, transactionalId)).transactionState === state) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`${transactionalId} never reached ${state}`);
}

async function produceTransactional(c: BrokerConnection, transactionalId: string, producerId: bigint, producerEpoch: number, baseSequence: number, partition = 0) {
  const records = encodeRecordBatch({
    records: [{ key: null, value: Buffer.from(`v${baseSequence}`), timestamp: BigInt(Date.now()) }],
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: true,
  });
  const response = await c.send(ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 30000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] });
  return errorName(response.responses[0].partitionResponses[0].errorCode);
}

describe('transaction coordinator', () => {
  let dataDir: string;
  let broker: RunningBroker;
  let c: BrokerConnection;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'seqlog-txn-'));
    broker = await startBroker({ dataDir });
    c = await connect(broker);
    await c.send(ApiKey.CreateTopics, 5, {
      topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30000,
      validateOnly: false,
    });
  });

  after(async () => {
    c?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('ApiVersions finalizes transaction.version 2 (KIP-890 part 2), as a new Kafka 4.x cluster does', async () => {
    const response = await c.send(ApiKey.ApiVersions, 4, { clientSoftwareName: 'txn-test', clientSoftwareVersion: '0' });
    // group.version (KIP-848) and metadata.version 4.4-IV2 are finalized beside it; kraft.version at 0 is not listed.
    assert.deepEqual(response.finalizedFeatures.map((f) => [f.name, f.minVersionLevel, f.maxVersionLevel]), [['metadata.version', 33, 33], ['transaction.version', 2, 2], ['group.version', 1, 1]]);
    assert.deepEqual(response.supportedFeatures.map((f) => [f.name, f.minVersion, f.maxVersion]), [['group.version', 0, 1], ['kraft.version', 0, 0], ['metadata.version', 7, 33], ['transaction.version', 0, 2]]);
    // Below version 4 a supported range may not start at 0: as Kafka, only metadata.version remains.
    const v3 = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'txn-test', clientSoftwareVersion: '0' });
    assert.deepEqual(v3.supportedFeatures.map((f) => f.name), ['metadata.version']);
    assert.ok(response.finalizedFeaturesEpoch >= 0n);
  });

  test('TV2: EndTxn v5 bumps the epoch, and the next transaction adds its partition by producing (Produce v12)', async () => {
    const { producerId, producerEpoch } = await initProducerId(c, 'tv2-1');
    const records = (epoch: number, seq: number) =>
      encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }], producerId, producerEpoch: epoch, baseSequence: seq, isTransactional: true });
    const produce = async (epoch: number, seq: number) =>
      errorName(
        (await c.send(ApiKey.Produce, 12, { transactionalId: 'tv2-1', acks: -1, timeoutMs: 30000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: records(epoch, seq) }] }] })).responses[0]
          .partitionResponses[0].errorCode,
      );
    assert.equal(await produce(producerEpoch, 0), 'NONE', 'implicitly added');
    assert.equal((await describeTxn(c, 'tv2-1')).transactionState, 'Ongoing');
    const ended = await endTxn(c, 'tv2-1', producerId, producerEpoch, true, 5);
    assert.equal(errorName(ended.errorCode), 'NONE');
    assert.equal(ended.producerEpoch, producerEpoch + 1);
    assert.equal(await produce(producerEpoch + 1, 0), 'NONE', 'the next transaction at the new epoch, sequence 0');
    assert.equal(await produce(producerEpoch, 1), 'INVALID_PRODUCER_EPOCH', 'a zombie of the old epoch');
  });

  test('InitProducerId: epoch 0, then a bump per call; timeout bounds', async () => {
    const first = await initProducerId(c, 'init-1');
    assert.equal(errorName(first.errorCode), 'NONE');
    assert.equal(first.producerEpoch, 0);
    const second = await initProducerId(c, 'init-1');
    assert.equal(second.producerId, first.producerId);
    assert.equal(second.producerEpoch, 1);
    assert.equal(errorName((await initProducerId(c, 'init-1', { timeoutMs: 0 })).errorCode), 'INVALID_TRANSACTION_TIMEOUT');
    assert.equal(errorName((await initProducerId(c, 'init-1', { timeoutMs: 900001 })).errorCode), 'INVALID_TRANSACTION_TIMEOUT');
    // KIP-360: the current id/epoch bumps; a stale epoch is fenced (INVALID_PRODUCER_EPOCH before v4).
    const bumped = await initProducerId(c, 'init-1', { producerId: first.producerId, producerEpoch: 1 });
    assert.equal(bumped.producerEpoch, 2);
    assert.equal(errorName((await initProducerId(c, 'init-1', { producerId: first.producerId, producerEpoch: 0 })).errorCode), 'PRODUCER_FENCED');
    assert.equal(errorName((await initProducerId(c, 'init-1', { producerId: first.producerId, producerEpoch: 0, version: 3 })).errorCode), 'INVALID_PRODUCER_EPOCH');
  });

  test('a committed transaction: Ongoing, PrepareCommit, CompleteCommit; a retried commit is NONE, an abort INVALID_TXN_STATE', async () => {
    const { producerId, producerEpoch } = await initProducerId(c, 'commit-1');
    assert.deepEqual(await addPartitions(c, 'commit-1', producerId, producerEpoch, [0, 1]), ['NONE', 'NONE']);
    const ongoing = await describeTxn(c, 'commit-1');
    assert.equal(ongoing.transactionState, 'Ongoing');
    assert.deepEqual(ongoing.topics.map((t) => [t.topic, [...t.partitions].sort()]), [[TOPIC, [0, 1]]]);
    assert.equal(await produceTransactional(c, 'commit-1', producerId, producerEpoch, 0, 0), 'NONE');
    assert.equal(errorName((await endTxn(c, 'commit-1', producerId, producerEpoch, true)).errorCode), 'NONE');
    await waitForState(c, 'commit-1', 'CompleteCommit');
    assert.equal(errorName((await endTxn(c, 'commit-1', producerId, producerEpoch, true)).errorCode), 'NONE');
    assert.equal(errorName((await endTxn(c, 'commit-1', producerId, producerEpoch, false)).errorCode), 'INVALID_TXN_STATE');
    // TV1: the epoch stays, the next transaction starts with the next AddPartitionsToTxn.
    assert.deepEqual(await addPartitions(c, 'commit-1', producerId, producerEpoch, [0]), ['NONE']);
  });

  test('coordinator errors: unknown id, wrong producer id, fenced epoch, unknown partition, EndTxn with no transaction', async () => {
    const { producerId, producerEpoch } = await initProducerId(c, 'errors-1');
    assert.deepEqual(await addPartitions(c, 'no-such-id', producerId, producerEpoch, [0]), ['INVALID_PRODUCER_ID_MAPPING']);
    assert.deepEqual(await addPartitions(c, 'errors-1', producerId + 1000n, producerEpoch, [0]), ['INVALID_PRODUCER_ID_MAPPING']);
    assert.deepEqual(await addPartitions(c, 'errors-1', producerId, producerEpoch + 1, [0]), ['PRODUCER_FENCED']);
    assert.deepEqual(await addPartitions(c, 'errors-1', producerId, producerEpoch + 1, [0], 1), ['INVALID_PRODUCER_EPOCH']);
    assert.deepEqual(await addPartitions(c, 'errors-1', producerId, producerEpoch, [0, 7]), ['OPERATION_NOT_ATTEMPTED', 'UNKNOWN_TOPIC_OR_PARTITION']);
    assert.equal(errorName((await endTxn(c, 'errors-1', producerId, producerEpoch, true)).errorCode), 'INVALID_TXN_STATE');
    assert.equal((await describeTxn(c, 'errors-1')).transactionState, 'Empty');
  });

  test('a second InitProducerId fences an open transaction: aborted, and the new instance ends at epoch + 2', async () => {
    const old = await initProducerId(c, 'fence-1');
    assert.deepEqual(await addPartitions(c, 'fence-1', old.producerId, old.producerEpoch, [0]), ['NONE']);
    assert.equal(await produceTransactional(c, 'fence-1', old.producerId, old.producerEpoch, 0), 'NONE');
    let fresh = await initProducerId(c, 'fence-1');
    assert.equal(errorName(fresh.errorCode), 'CONCURRENT_TRANSACTIONS');
    await waitForState(c, 'fence-1', 'CompleteAbort');
    fresh = await initProducerId(c, 'fence-1');
    assert.equal(errorName(fresh.errorCode), 'NONE');
    assert.equal(fresh.producerEpoch, old.producerEpoch + 2);
    assert.equal(errorName((await endTxn(c, 'fence-1', old.producerId, old.producerEpoch, true)).errorCode), 'PRODUCER_FENCED');
    assert.equal(await produceTransactional(c, 'fence-1', old.producerId, old.producerEpoch, 1), 'INVALID_PRODUCER_EPOCH');
  });

  test('ListTransactions filters by state, producer id and duration', async () => {
    const a = await initProducerId(c, 'list-a');
    const b = await initProducerId(c, 'list-b');
    await addPartitions(c, 'list-b', b.producerId, b.producerEpoch, [1]);
    const byState = await c.send(ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    assert.deepEqual(byState.unknownStateFilters, ['Bogus']);
    const ids = byState.transactionStates.map((t) => t.transactionalId);
    assert.ok(ids.includes('list-b') && !ids.includes('list-a'));
    const byProducer = await c.send(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [a.producerId], durationFilter: -1n });
    assert.deepEqual(byProducer.transactionStates.map((t) => [t.transactionalId, t.transactionState]), [['list-a', 'Empty']]);
    const longRunning = await c.send(ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: 3_600_000n });
    assert.deepEqual(longRunning.transactionStates, []);
  });

  test('a transaction survives a restart: Ongoing is still open, and can be committed', async () => {
    const { producerId, producerEpoch } = await initProducerId(c, 'restart-1');
    await addPartitions(c, 'restart-1', producerId, producerEpoch, [0]);
    c.close();
    await broker.close();
    broker = await startBroker({ dataDir });
    c = await connect(broker);
    const described = await describeTxn(c, 'restart-1');
    assert.equal(described.transactionState, 'Ongoing');
    assert.equal(described.producerId, producerId);
    assert.equal(errorName((await endTxn(c, 'restart-1', producerId, producerEpoch, true)).errorCode), 'NONE');
    await waitForState(c, 'restart-1', 'CompleteCommit');
    assert.equal(ErrorCode.NONE, (await describeTxn(c, 'restart-1')).errorCode);
  });
});
