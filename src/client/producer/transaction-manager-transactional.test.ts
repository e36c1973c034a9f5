// The transactional half of the TransactionManager, scenario by scenario, named after the cases of Kafka's
// `TransactionManagerTest` they mirror. Coordinator answers come from a scripted stand-in for the connection
// (`versionFor` + `send`), so each test drives one request through its handler and the policy table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { BrokerConnection } from '../connection/broker-connection.ts';
import { KafkaClientError } from '../errors/kafka-client-error.ts';
import { TRANSACTION_POLICY, TxnAction, txnPolicyFor } from '../policy/transaction-policy.ts';
import { AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, EndTxnRequest, InitProducerIdRequest, TxnOffsetCommitRequest, type TxnRequest } from '../transactions/txn-requests.ts';
import { ProducerBatch, type RecordSink } from './producer-batch.ts';
import { TransactionManager, TransactionState, isTransitionValid, topicPartitionKey } from './transaction-manager.ts';

const sink: RecordSink = { complete: () => undefined, fail: () => undefined };
const tp0 = topicPartitionKey('t', 0);

/** A coordinator that answers each API key with the next scripted response, recording the requests. */
function coordinator(script: Partial<Record<number, unknown[]>>, versions: Partial<Record<number, number>> = {}, transactionVersion = 1): BrokerConnection & { sent: { apiKey: number; version: number; body: unknown }[] } {
  const sent: { apiKey: number; version: number; body: unknown }[] = [];
  const fake = {
    sent,
    finalizedFeatures: new Map([['transaction.version', transactionVersion]]),
    versionFor(apiKey: number, ourMin: number, ourMax: number): number | null {
      const theirs = versions[apiKey] ?? 5;
      const version = Math.min(ourMax, theirs);
      return version >= ourMin ? version : null;
    },
    async send(apiKey: number, version: number, body: unknown): Promise<unknown> {
      sent.push({ apiKey, version, body });
      const next = script[apiKey]?.shift();
      if (next === undefined) throw new Error(`no scripted answer for API key ${apiKey}`);
      return next;
    },
  };
  return fake as unknown as BrokerConnection & { sent: typeof sent };
}

const initAnswer = (errorCode: number, producerId = 1000n, producerEpoch = 0) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
const addPartitionsAnswer = (errorCode: number, partitions: readonly { topic: string; partition: number }[] = [{ topic: 't', partition: 0 }]) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  resultsByTransaction: [],
  resultsByTopicV3AndBelow: [...new Set(partitions.map((p) => p.topic))].map((name) => ({
    name,
    resultsByPartition: partitions.filter((p) => p.topic === name).map((p) => ({ partitionIndex: p.partition, partitionErrorCode: errorCode })),
  })),
});
const endTxnAnswer = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
const addOffsetsAnswer = (errorCode: number) => ({ throttleTimeMs: 0, errorCode });
const txnOffsetCommitAnswer = (errorCode: number) => ({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode }] }] });

function next(manager: TransactionManager, hasIncompleteBatches = false): TxnRequest {
  const request = manager.nextRequest(hasIncompleteBatches);
  assert.ok(request !== null, 'a coordinator request is queued');
  return request;
}

async function initialized(): Promise<TransactionManager> {
  const manager = new TransactionManager({ transactionalId: 'tx' });
  const result = manager.initializeTransactions();
  assert.equal(manager.state, TransactionState.initializing);
  const request = next(manager);
  assert.ok(request instanceof InitProducerIdRequest);
  assert.deepEqual(await request.send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(0)] })), { action: 'done' });
  await result.promise;
  return manager;
}

async function inTransactionWithPartition(): Promise<TransactionManager> {
  const manager = await initialized();
  manager.beginTransaction();
  manager.maybeAddPartition('t', 0);
  const add = next(manager);
  assert.ok(add instanceof AddPartitionsToTxnRequest);
  await add.send(coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(0)] }));
  return manager;
}

function batch(): ProducerBatch {
  const b = new ProducerBatch('t', 0, 0, 0, 64);
  b.append(0n, null, Buffer.from('v'), undefined, sink, 0);
  return b;
}

async function rejection(promise: Promise<void>): Promise<KafkaClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KafkaClientError);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('transactional TransactionManager (TransactionManagerTest)', () => {
  it('State.isTransitionValid: the transition table of Kafka 4', () => {
    assert.equal(isTransitionValid('UNINITIALIZED', 'INITIALIZING'), true);
    assert.equal(isTransitionValid('READY', 'IN_TRANSACTION'), true);
    assert.equal(isTransitionValid('IN_TRANSACTION', 'COMMITTING_TRANSACTION'), true);
    assert.equal(isTransitionValid('ABORTABLE_ERROR', 'ABORTING_TRANSACTION'), true);
    assert.equal(isTransitionValid('ABORTING_TRANSACTION', 'INITIALIZING'), true, 'the epoch bump after an abort');
    assert.equal(isTransitionValid('INITIALIZING', 'ABORTABLE_ERROR'), true);
    assert.equal(isTransitionValid('READY', 'COMMITTING_TRANSACTION'), false);
    assert.equal(isTransitionValid('ABORTABLE_ERROR', 'COMMITTING_TRANSACTION'), false);
    assert.equal(isTransitionValid('FATAL_ERROR', 'READY'), false);
    for (const state of Object.values(TransactionState)) assert.equal(isTransitionValid(state, 'FATAL_ERROR'), true);
  });

  it('testSuccessfulInitTransactions: InitProducerId with transactional id and transaction.timeout.ms, then READY', async () => {
    const manager = new TransactionManager({ transactionalId: 'tx', transactionTimeoutMs: 12345 });
    manager.initializeTransactions();
    const connection = coordinator({ [ApiKey.InitProducerId]: [initAnswer(0, 7n, 3)] });
    await next(manager).send(connection);
    assert.deepEqual(connection.sent[0].body, { transactionalId: 'tx', transactionTimeoutMs: 12345, producerId: -1n, producerEpoch: -1 });
    assert.equal(manager.state, TransactionState.ready);
    assert.deepEqual(manager.producerIdAndEpoch, { producerId: 7n, epoch: 3 });
  });

  it('testLookupCoordinatorOnNotCoordinatorError / testRetryInitProducerIdOnConcurrentTransactions', async () => {
    const manager = new TransactionManager({ transactionalId: 'tx' });
    manager.initializeTransactions();
    const request = next(manager);
    const connection = coordinator({ [ApiKey.InitProducerId]: [initAnswer(ErrorCode.NOT_COORDINATOR), initAnswer(ErrorCode.CONCURRENT_TRANSACTIONS), initAnswer(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)] });
    assert.deepEqual(await request.send(connection), { action: 'lookup-coordinator' });
    assert.equal((await request.send(connection)).action, 'retry');
    assert.equal((await request.send(connection)).action, 'retry');
    assert.equal(manager.state, TransactionState.initializing);
  });

  it('testProducerFencedExceptionInInitProducerId: fatal, and every later call throws it', async () => {
    const manager = new TransactionManager({ transactionalId: 'tx' });
    const result = manager.initializeTransactions();
    await next(manager).send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(ErrorCode.PRODUCER_FENCED)] }));
    const error = await rejection(result.promise);
    assert.equal(error.errorName, 'PRODUCER_FENCED');
    assert.equal(error.kind, 'fatal');
    assert.match(error.message, /close this producer/);
    assert.equal(manager.state, TransactionState.fatalError);
    assert.throws(() => manager.beginTransaction(), (thrown: unknown) => thrown === error);
    assert.throws(() => manager.maybeAddPartition('t', 0), (thrown: unknown) => thrown === error);
  });

  it('testTransactionalIdAuthorizationFailureInInitProducerId: initTransactions() fails and may be called again', async () => {
    const manager = new TransactionManager({ transactionalId: 'tx' });
    const first = manager.initializeTransactions();
    await next(manager).send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)] }));
    const error = await rejection(first.promise);
    assert.equal(error.kind, 'abortable');
    assert.match(error.message, /initTransactions\(\) again/);
    assert.equal(manager.state, TransactionState.uninitialized);
    const second = manager.initializeTransactions();
    await next(manager).send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(0)] }));
    await second.promise;
    assert.equal(manager.state, TransactionState.ready);
  });

  it('testFailIfNotReadyForSendNoOngoingTransaction: a send outside a transaction is refused', async () => {
    const manager = await initialized();
    assert.throws(() => manager.maybeAddPartition('t', 0), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_TXN_STATE' && /beginTransaction/.test(error.message));
  });

  it('testMaybeAddPartitionToTransaction / testNoDrainWhenPartitionsPending: a partition drains only once AddPartitionsToTxn succeeded', async () => {
    const manager = await initialized();
    manager.beginTransaction();
    manager.maybeAddPartition('t', 0);
    manager.maybeAddPartition('t', 0);
    manager.maybeAddPartition('u', 1);
    assert.equal(manager.canDrain(tp0, batch()), false, 'not added yet');
    const add = next(manager);
    assert.ok(add instanceof AddPartitionsToTxnRequest);
    assert.deepEqual(add.partitions, [
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 1 },
    ]);
    assert.equal(manager.canDrain(tp0, batch()), false, 'pending');
    const connection = coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(0, add.partitions)] });
    assert.deepEqual(await add.send(connection), { action: 'done' });
    assert.equal(connection.sent[0].version, 3);
    assert.equal(manager.canDrain(tp0, batch()), true);
    manager.maybeAddPartition('t', 0);
    assert.equal(manager.nextRequest(false), null, 'an added partition is not added again');
  });

  it('testAddPartitionToTransactionOverridesRetryBackoffForConcurrentTransactions: the first add retries after 20 ms', async () => {
    const manager = await initialized();
    manager.beginTransaction();
    manager.maybeAddPartition('t', 0);
    const add = next(manager);
    assert.deepEqual(await add.send(coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(ErrorCode.CONCURRENT_TRANSACTIONS)] })), { action: 'retry', backoffMs: 20 });
    assert.equal(manager.state, TransactionState.inTransaction);
  });

  it('testProducerFencedInAddPartitionToTxn / testInvalidProducerEpochConvertToProducerFencedInAddPartitionToTxn', async () => {
    for (const code of [ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]) {
      const manager = await initialized();
      manager.beginTransaction();
      manager.maybeAddPartition('t', 0);
      await next(manager).send(coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(code)] }));
      assert.equal(manager.state, TransactionState.fatalError);
      assert.equal(manager.fatalError?.kind, 'fatal');
    }
  });

  it('testRecoveryFromAbortableErrorTransactionNotStarted: TOPIC_AUTHORIZATION_FAILED is abortable; the abort needs no EndTxn', async () => {
    const manager = await initialized();
    manager.beginTransaction();
    manager.maybeAddPartition('t', 0);
    await next(manager).send(coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(ErrorCode.TOPIC_AUTHORIZATION_FAILED)] }));
    assert.equal(manager.state, TransactionState.abortableError);
    assert.equal(manager.lastError?.kind, 'abortable');
    assert.throws(() => manager.maybeAddPartition('t', 1), (error: unknown) => error === manager.lastError);
    assert.throws(() => manager.beginCommit(), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'TOPIC_AUTHORIZATION_FAILED');
    const abort = manager.beginAbort();
    assert.equal(manager.state, TransactionState.abortingTransaction);
    assert.equal(manager.nextRequest(false), null, 'nothing was added: EndTxn completes locally');
    await abort.promise;
    assert.equal(manager.state, TransactionState.ready);
    manager.beginTransaction();
  });

  it('testEndTxnNotSentIfIncompleteBatches / testCommitTransaction', async () => {
    const manager = await inTransactionWithPartition();
    const commit = manager.beginCommit();
    assert.equal(manager.state, TransactionState.committingTransaction);
    assert.equal(manager.nextRequest(true), null, 'EndTxn waits for incomplete batches');
    const endTxn = next(manager, false);
    assert.ok(endTxn instanceof EndTxnRequest && endTxn.commit);
    const connection = coordinator({ [ApiKey.EndTxn]: [endTxnAnswer(ErrorCode.CONCURRENT_TRANSACTIONS), endTxnAnswer(0)] });
    assert.equal((await endTxn.send(connection)).action, 'retry', 'testRetryCommitTransaction');
    await endTxn.send(connection);
    await commit.promise;
    assert.equal(manager.state, TransactionState.ready);
    assert.equal(manager.canDrain(tp0, batch()), false, 'the next transaction adds its partitions again');
    assert.deepEqual(manager.producerIdAndEpoch, { producerId: 1000n, epoch: 0 }, 'TV1 keeps the epoch');
  });

  it('a second commitTransaction() while the first is pending gets the same result (handleCachedTransactionRequestResult)', async () => {
    const manager = await inTransactionWithPartition();
    const first = manager.beginCommit();
    assert.equal(manager.beginCommit(), first);
    assert.throws(() => manager.beginAbort(), /still pending/);
  });

  it('testRecoveryFromAbortableErrorTransactionStarted + KIP-360: a failed batch aborts, then InitProducerId bumps the epoch', async () => {
    const manager = await inTransactionWithPartition();
    const failed = batch();
    manager.assignSequence(tp0, failed);
    assert.equal(failed.isTransactional, true);
    const error = new KafkaClientError({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, kind: 'abortable', message: 'gap' });
    manager.handleFailedBatch(tp0, failed, false, error);
    assert.equal(manager.state, TransactionState.abortableError);
    assert.equal(manager.needsEpochBump, true);
    const abort = manager.beginAbort();
    const endTxn = next(manager);
    assert.ok(endTxn instanceof EndTxnRequest && !endTxn.commit);
    await endTxn.send(coordinator({ [ApiKey.EndTxn]: [endTxnAnswer(0)] }));
    assert.equal(manager.state, TransactionState.initializing);
    const bump = next(manager);
    assert.ok(bump instanceof InitProducerIdRequest);
    const connection = coordinator({ [ApiKey.InitProducerId]: [initAnswer(0, 1000n, 1)] });
    await bump.send(connection);
    assert.deepEqual(connection.sent[0].body, { transactionalId: 'tx', transactionTimeoutMs: 60000, producerId: 1000n, producerEpoch: 0 });
    await abort.promise;
    assert.equal(manager.state, TransactionState.ready);
    assert.deepEqual(manager.producerIdAndEpoch, { producerId: 1000n, epoch: 1 });
    assert.equal(manager.entry(tp0).nextSequence, 0, 'sequences restart with the new epoch');
    assert.equal(manager.epochBumps, 1);
  });

  it('testBumpTransactionalEpochOnRecoverableAddPartitionRequestError: INVALID_PRODUCER_ID_MAPPING skips EndTxn and bumps', async () => {
    const manager = await initialized();
    manager.beginTransaction();
    manager.maybeAddPartition('t', 0);
    await next(manager).send(coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(ErrorCode.INVALID_PRODUCER_ID_MAPPING)] }));
    assert.equal(manager.state, TransactionState.abortableError);
    const abort = manager.beginAbort();
    const bump = next(manager);
    assert.ok(bump instanceof InitProducerIdRequest, 'no EndTxn');
    await bump.send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(0, 1000n, 1)] }));
    await abort.promise;
    assert.equal(manager.state, TransactionState.ready);
  });

  it('a coordinator without InitProducerId v3 cannot bump: an error that needs a bump is fatal (abortableErrorIfPossible)', async () => {
    const manager = new TransactionManager({ transactionalId: 'tx' });
    manager.initializeTransactions();
    await next(manager).send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(0)] }, { [ApiKey.InitProducerId]: 2 }));
    assert.equal(manager.coordinatorSupportsBumpingEpoch, false);
    manager.beginTransaction();
    manager.maybeAddPartition('t', 0);
    await next(manager).send(coordinator({ [ApiKey.AddPartitionsToTxn]: [addPartitionsAnswer(ErrorCode.INVALID_PRODUCER_ID_MAPPING)] }));
    assert.equal(manager.state, TransactionState.fatalError);
  });

  it('testAbortableErrorWhileAbortInProgress: a failure during the abort does not interrupt it', async () => {
    const manager = await inTransactionWithPartition();
    const inflight = batch();
    manager.assignSequence(tp0, inflight);
    manager.beginAbort();
    manager.handleFailedBatch(tp0, inflight, false, new KafkaClientError({ code: ErrorCode.NOT_ENOUGH_REPLICAS, kind: 'retriable', message: 'x' }));
    assert.equal(manager.state, TransactionState.abortingTransaction);
  });

  it('testSendOffsetsWithGroupMetadata (KIP-447): AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator with the generation', async () => {
    const manager = await initialized();
    manager.beginTransaction();
    const result = manager.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 42n }], { groupId: 'g', generationId: 5, memberId: 'm-1', groupInstanceId: 'i-1' });
    const addOffsets = next(manager);
    assert.ok(addOffsets instanceof AddOffsetsToTxnRequest);
    assert.deepEqual(addOffsets.coordinator, { keyType: 1, key: 'tx' });
    await addOffsets.send(coordinator({ [ApiKey.AddOffsetsToTxn]: [addOffsetsAnswer(0)] }));
    assert.equal(result.settled, false, 'settles with the TxnOffsetCommit');
    const commit = next(manager);
    assert.ok(commit instanceof TxnOffsetCommitRequest);
    assert.deepEqual(commit.coordinator, { keyType: 0, key: 'g' });
    const connection = coordinator({ [ApiKey.TxnOffsetCommit]: [txnOffsetCommitAnswer(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), txnOffsetCommitAnswer(0)] });
    assert.equal((await commit.send(connection)).action, 'retry');
    await commit.send(connection);
    await result.promise;
    const body = connection.sent[1].body as { generationId: number; memberId: string; groupInstanceId: string | null; producerId: bigint; topics: { partitions: { committedOffset: bigint }[] }[] };
    assert.equal(body.generationId, 5);
    assert.equal(body.memberId, 'm-1');
    assert.equal(body.groupInstanceId, 'i-1');
    assert.equal(body.producerId, 1000n);
    assert.equal(body.topics[0].partitions[0].committedOffset, 42n);
    // The offsets put the transaction in progress: its commit sends EndTxn.
    manager.beginCommit();
    assert.ok(next(manager) instanceof EndTxnRequest);
  });

  it('testUnknownMemberIdInTxnOffsetCommit / testIllegalGenerationInTxnOffsetCommit: a zombie consumer generation is abortable (CommitFailedException)', async () => {
    for (const code of [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID]) {
      const manager = await initialized();
      manager.beginTransaction();
      const result = manager.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1n }], { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
      await next(manager).send(coordinator({ [ApiKey.AddOffsetsToTxn]: [addOffsetsAnswer(0)] }));
      await next(manager).send(coordinator({ [ApiKey.TxnOffsetCommit]: [txnOffsetCommitAnswer(code)] }));
      const error = await rejection(result.promise);
      assert.equal(error.kind, 'abortable');
      assert.equal(manager.state, TransactionState.abortableError);
    }
  });

  it('testFatalErrorFailsQueuedRequests: after a fatal error nothing queued is sent', async () => {
    const manager = await inTransactionWithPartition();
    const offsets = manager.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1n }], { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null });
    manager.transitionToFatal(new KafkaClientError({ code: ErrorCode.PRODUCER_FENCED, kind: 'fatal', message: 'fenced' }));
    assert.equal(manager.nextRequest(false), null);
    assert.equal((await rejection(offsets.promise)).errorName, 'PRODUCER_FENCED');
  });

  it('KIP-890 part 2 (transaction.version=2): no AddPartitionsToTxn/AddOffsetsToTxn; EndTxn v5 bumps the epoch and sequences restart at 0', async () => {
    const manager = new TransactionManager({ transactionalId: 'tx' });
    manager.initializeTransactions();
    await next(manager).send(coordinator({ [ApiKey.InitProducerId]: [initAnswer(0, 1000n, 0)] }, {}, 2));
    assert.equal(manager.transactionVersion2, false, 'takes effect at the next transaction');
    manager.beginTransaction();
    assert.equal(manager.transactionVersion2, true);
    manager.maybeAddPartition('t', 0);
    assert.equal(manager.canDrain(tp0, batch()), true, 'the Produce v12 adds the partition');
    const sent = batch();
    manager.assignSequence(tp0, sent);
    manager.handleCompletedBatch(tp0, sent, 0n);
    const offsets = manager.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 3n }], { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null });
    const commitOffsets = next(manager);
    assert.ok(commitOffsets instanceof TxnOffsetCommitRequest, 'no AddOffsetsToTxn');
    const group = coordinator({ [ApiKey.TxnOffsetCommit]: [txnOffsetCommitAnswer(0)] }, {}, 2);
    await commitOffsets.send(group);
    assert.equal(group.sent[0].version, 5);
    await offsets.promise;
    const commit = manager.beginCommit();
    const endTxn = next(manager);
    assert.ok(endTxn instanceof EndTxnRequest);
    const connection = coordinator({ [ApiKey.EndTxn]: [{ throttleTimeMs: 0, errorCode: 0, producerId: 1000n, producerEpoch: 1 }] }, {}, 2);
    await endTxn.send(connection);
    await commit.promise;
    assert.equal(connection.sent[0].version, 5);
    assert.deepEqual(manager.producerIdAndEpoch, { producerId: 1000n, epoch: 1 });
    assert.equal(manager.entry(tp0).nextSequence, 0);
    assert.equal(manager.state, TransactionState.ready);
  });

  it('an idempotent producer queues its InitProducerId without a transactional id (to any broker)', async () => {
    const manager = new TransactionManager();
    assert.throws(() => manager.beginTransaction(), /transactionalId/);
    assert.equal(manager.bumpIdempotentEpochAndResetIdIfNeeded(), true);
    manager.initializeIdempotentProducerId();
    const request = next(manager);
    assert.equal(request.coordinator, null);
    const connection = coordinator({ [ApiKey.InitProducerId]: [initAnswer(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), initAnswer(0, 9n, 0)] });
    assert.equal((await request.send(connection)).action, 'retry');
    await request.send(connection);
    assert.deepEqual(connection.sent[0].body, { transactionalId: null, transactionTimeoutMs: 2147483647, producerId: -1n, producerEpoch: -1 });
    assert.equal(manager.state, TransactionState.ready);
    assert.equal(manager.canDrain(tp0, batch()), true);
  });
});

describe('transaction policy table', () => {
  it("classifies each request error as Kafka 4's TransactionManager handlers do", () => {
    for (const kind of ['InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn'] as const) {
      assert.equal(txnPolicyFor(kind, ErrorCode.PRODUCER_FENCED).action, TxnAction.fenced, kind);
      assert.equal(txnPolicyFor(kind, ErrorCode.INVALID_PRODUCER_EPOCH).action, TxnAction.fenced, kind);
      assert.equal(txnPolicyFor(kind, ErrorCode.TRANSACTION_ABORTABLE).action, TxnAction.abortable, kind);
      assert.equal(txnPolicyFor(kind, ErrorCode.NOT_COORDINATOR).action, TxnAction.lookupCoordinator, kind);
      assert.equal(txnPolicyFor(kind, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS).action, TxnAction.retry, kind);
    }
    assert.equal(txnPolicyFor('InitProducerId', ErrorCode.INVALID_TRANSACTION_TIMEOUT).action, TxnAction.fatal);
    assert.equal(txnPolicyFor('EndTxn', ErrorCode.INVALID_TXN_STATE).action, TxnAction.fatal);
    assert.equal(txnPolicyFor('EndTxn', ErrorCode.INVALID_PRODUCER_ID_MAPPING).action, TxnAction.abortableWithEpochBump);
    assert.equal(txnPolicyFor('TxnOffsetCommit', ErrorCode.ILLEGAL_GENERATION).action, TxnAction.abortable);
    assert.equal(txnPolicyFor('TxnOffsetCommit', ErrorCode.REQUEST_TIMED_OUT).action, TxnAction.lookupCoordinator);
    assert.equal(txnPolicyFor('AddPartitionsToTxn', ErrorCode.OPERATION_NOT_ATTEMPTED).action, TxnAction.abortable);
    assert.equal(txnPolicyFor('EndTxn', ErrorCode.POLICY_VIOLATION).action, TxnAction.fatal, 'unexpected non-retriable: fatal');
    assert.equal(txnPolicyFor('EndTxn', ErrorCode.NOT_ENOUGH_REPLICAS).action, TxnAction.retry, 'unexpected retriable: retry');
    for (const rows of Object.values(TRANSACTION_POLICY)) for (const row of rows.values()) assert.match(row.source, /^TransactionManager\.\w+Handler/);
  });
});
