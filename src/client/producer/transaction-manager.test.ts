// The idempotence state machine, scenario by scenario, named after the Java tests they mirror
// (`SenderTest`, `TransactionManagerTest`, `RecordAccumulatorTest` in apache/kafka clients).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TransactionManager, TransactionState, topicPartitionKey } from './transaction-manager.ts';
import { ProducerBatch, type RecordSink } from './producer-batch.ts';
import { ProduceAction, producePolicyFor } from '../policy/produce-policy.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { readBatchHeader } from '../../protocol/records/batch-header.ts';

const tp = topicPartitionKey('t', 0);
const sink: RecordSink = { complete: () => undefined, fail: () => undefined };

function batchOf(records: number): ProducerBatch {
  const batch = new ProducerBatch('t', 0, 0, 0, 256);
  for (let i = 0; i < records; i++) batch.append(BigInt(i), null, Buffer.from(`v${i}`), undefined, sink, i);
  return batch;
}

function ready(): TransactionManager {
  const state = new TransactionManager();
  state.transitionTo(TransactionState.initializing);
  state.setProducerIdAndEpoch(1000n, 0);
  return state;
}

function drain(state: TransactionManager, batch: ProducerBatch): ProducerBatch {
  assert.equal(state.canDrain(tp, batch), true);
  state.assignSequence(tp, batch);
  batch.encoded();
  return batch;
}

/** A partition that has acknowledged its first batch (sequence 0, one record), so batches may pipeline. */
function acknowledged(): TransactionManager {
  const state = ready();
  state.handleCompletedBatch(tp, drain(state, batchOf(1)), 0n);
  return state;
}

describe('idempotent producer state machine', () => {
  it('testSequenceAssignedAtDrainNotAtAppend: sequences count records and are given when drained', () => {
    const state = ready();
    const a = batchOf(3);
    const b = batchOf(2);
    assert.equal(a.baseSequence, -1, 'no sequence before drain');
    drain(state, a);
    state.handleCompletedBatch(tp, a, 0n);
    drain(state, b);
    assert.equal(a.baseSequence, 0);
    assert.equal(b.baseSequence, 3);
    const header = readBatchHeader(b.encoded());
    assert.equal(header.producerId, 1000n);
    assert.equal(header.baseSequence, 3);
    assert.equal(state.entry(tp).nextSequence, 5);
  });

  it('testMaxInFlightPerPartition: a sixth new batch waits until one of five completes', () => {
    const state = acknowledged();
    const batches = Array.from({ length: 5 }, () => drain(state, batchOf(1)));
    const sixth = batchOf(1);
    assert.equal(state.canDrain(tp, sixth), false);
    state.handleCompletedBatch(tp, batches[0], 0n);
    assert.equal(state.canDrain(tp, sixth), true);
  });

  it('a partition sends one batch at a time until its first acknowledgement (a leader without producer state accepts any first sequence)', () => {
    const state = ready();
    const first = drain(state, batchOf(2));
    const second = batchOf(1);
    assert.equal(state.canDrain(tp, second), false, 'no second batch may overtake an unacknowledged first one');
    // The first fails retriably (NOT_LEADER_OR_FOLLOWER on a partition whose leader is not ready): still alone.
    assert.equal(state.canRetry(tp, first, ProduceAction.retry, true, -1n), true);
    assert.equal(state.canDrain(tp, second), false);
    assert.equal(state.canDrain(tp, first), true, 'the retried first batch goes again');
    state.handleCompletedBatch(tp, first, 0n);
    drain(state, second);
    assert.equal(second.baseSequence, 2);
    assert.equal(state.canDrain(tp, batchOf(1)), true, 'after the first acknowledgement batches pipeline again');
  });

  it('testCorrectHandlingOfOutOfOrderResponses: OOOSN on a batch that is not next is retried without a bump', () => {
    const state = acknowledged();
    const first = drain(state, batchOf(1));
    const second = drain(state, batchOf(1));
    // first failed with a retriable error and is queued again; second got OUT_OF_ORDER_SEQUENCE_NUMBER.
    assert.equal(state.canRetry(tp, first, ProduceAction.retry, true, -1n), true);
    assert.equal(state.canRetry(tp, second, ProduceAction.outOfOrderSequence, false, 0n), true);
    assert.equal(state.needsEpochBump, false);
    // Only the lowest in-flight sequence may go while the chain heals (shouldStopDrainBatchesForPartition).
    assert.equal(state.canDrain(tp, second), false);
    assert.equal(state.canDrain(tp, first), true);
    state.handleCompletedBatch(tp, first, 0n);
    assert.equal(state.canDrain(tp, second), true);
  });

  it('testEpochBumpOnOutOfOrderSequenceForNextBatch: OOOSN for the next expected batch bumps the epoch and rewrites sequences from 0', () => {
    const state = ready();
    const acked = drain(state, batchOf(2));
    state.handleCompletedBatch(tp, acked, 0n);
    const gap = drain(state, batchOf(3));
    const after = drain(state, batchOf(1));
    assert.equal(gap.baseSequence, 2);
    assert.equal(state.canRetry(tp, gap, ProduceAction.outOfOrderSequence, false, 0n), true);
    assert.equal(state.needsEpochBump, true);
    assert.equal(state.bumpIdempotentEpochAndResetIdIfNeeded(), false);
    assert.deepEqual(state.producerIdAndEpoch, { producerId: 1000n, epoch: 1 });
    assert.equal(gap.baseSequence, 0);
    assert.equal(gap.producerEpoch, 1);
    assert.equal(after.baseSequence, 3);
    assert.equal(readBatchHeader(after.encoded()).producerEpoch, 1, 'the header is rewritten too');
    assert.equal(gap.sequenceHasBeenReset, true);
    assert.equal(state.entry(tp).nextSequence, 4);
    assert.equal(state.epochBumps, 1);
  });

  it('testRetryWhenProducerIdChanges-style: other partitions move to the new epoch only after their in-flight batches finish', () => {
    const state = ready();
    const other = topicPartitionKey('t', 1);
    const old = new ProducerBatch('t', 1, 0, 0, 64);
    old.append(0n, null, Buffer.from('x'), undefined, sink, 0);
    state.assignSequence(other, old);
    state.requestEpochBumpForPartition(tp);
    state.bumpIdempotentEpochAndResetIdIfNeeded();
    const fresh = new ProducerBatch('t', 1, 0, 0, 64);
    fresh.append(0n, null, Buffer.from('y'), undefined, sink, 0);
    assert.equal(state.canDrain(other, fresh), false, 'no new-epoch batch overtakes an old-epoch one');
    state.handleCompletedBatch(other, old, 0n);
    assert.equal(state.canDrain(other, fresh), true);
    state.assignSequence(other, fresh);
    assert.equal(fresh.producerEpoch, 1);
    assert.equal(fresh.baseSequence, 0);
  });

  it('testUnknownProducerIdBumpsEpoch (KIP-360); logStartOffset -1 just retries', () => {
    const state = ready();
    const batch = drain(state, batchOf(1));
    assert.equal(state.canRetry(tp, batch, ProduceAction.unknownProducerId, false, -1n), true);
    assert.equal(state.needsEpochBump, false);
    assert.equal(state.canRetry(tp, batch, ProduceAction.unknownProducerId, false, 0n), true);
    assert.equal(state.needsEpochBump, true);
  });

  it('testExpiryOfUnsentBatchesShouldNotCauseUnresolvedSequences / testUnresolvedSequencesAreNotFatal', () => {
    const state = ready();
    const expired = drain(state, batchOf(2));
    state.markSequenceUnresolved(tp, expired);
    state.handleFailedBatch(tp, expired, false);
    // Nothing later was acknowledged, so the sequence stays unresolved: bump and restart at 0.
    assert.equal(state.needsEpochBump, true);
    const next = batchOf(1);
    state.bumpIdempotentEpochAndResetIdIfNeeded();
    assert.equal(state.hasUnresolvedSequence(tp), false);
    drain(state, next);
    assert.equal(next.baseSequence, 0);
    assert.equal(next.producerEpoch, 1);
  });

  it('testResolveSequenceWhenLaterBatchSucceeds: a later acknowledged batch proves the expired one was written', () => {
    const state = acknowledged();
    const expired = drain(state, batchOf(1));
    const later = drain(state, batchOf(1));
    state.markSequenceUnresolved(tp, expired);
    state.handleFailedBatch(tp, expired, false);
    assert.equal(state.canDrain(tp, batchOf(1)), false, 'no new sequences while unresolved');
    state.handleCompletedBatch(tp, later, 1n);
    assert.equal(state.hasUnresolvedSequence(tp), false);
    assert.equal(state.needsEpochBump, false);
  });

  it('testIdempotentProducerResetsAtMaxEpoch: a bump past 32767 takes a fresh producer id', () => {
    const state = new TransactionManager();
    state.transitionTo(TransactionState.initializing);
    state.setProducerIdAndEpoch(7n, 32767);
    const batch = drain(state, batchOf(1));
    state.requestEpochBumpForPartition(tp);
    assert.equal(state.bumpIdempotentEpochAndResetIdIfNeeded(), true, 'InitProducerId needed');
    assert.equal(state.state, TransactionState.uninitialized);
    state.transitionTo(TransactionState.initializing);
    state.setProducerIdAndEpoch(8n, 0);
    assert.equal(batch.producerId, 8n);
    assert.equal(batch.baseSequence, 0);
  });

  it('testFailedBatchBumpsEpoch: a definite failure closes the sequence gap with a bump', () => {
    const state = ready();
    const failed = drain(state, batchOf(1));
    state.handleFailedBatch(tp, failed, true);
    assert.equal(state.needsEpochBump, true);
  });

  it('rejects invalid transitions', () => {
    const state = new TransactionManager();
    assert.throws(() => state.transitionTo(TransactionState.ready), /invalid transaction manager transition/);
  });
});

describe('produce policy table', () => {
  it("maps each code to the action of Kafka's TransactionManager handlers", () => {
    assert.equal(producePolicyFor(ErrorCode.NONE).action, ProduceAction.complete);
    assert.equal(producePolicyFor(ErrorCode.DUPLICATE_SEQUENCE_NUMBER).action, ProduceAction.duplicate);
    assert.equal(producePolicyFor(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER).action, ProduceAction.outOfOrderSequence);
    assert.equal(producePolicyFor(ErrorCode.UNKNOWN_PRODUCER_ID).action, ProduceAction.unknownProducerId);
    assert.equal(producePolicyFor(ErrorCode.MESSAGE_TOO_LARGE).action, ProduceAction.splitOrFail);
    for (const code of [ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.UNSUPPORTED_VERSION]) {
      assert.equal(producePolicyFor(code).action, ProduceAction.fatal, String(code));
    }
    for (const code of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NETWORK_EXCEPTION]) {
      const row = producePolicyFor(code);
      assert.equal(row.action, ProduceAction.retry);
      assert.equal(row.refreshMetadata, true);
    }
    assert.equal(producePolicyFor(ErrorCode.NOT_ENOUGH_REPLICAS).action, ProduceAction.retry);
    assert.equal(producePolicyFor(ErrorCode.INVALID_RECORD).action, ProduceAction.fail);
    assert.equal(producePolicyFor(ErrorCode.POLICY_VIOLATION).action, ProduceAction.fail, 'non-retriable default');
    assert.equal(producePolicyFor(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS).action, ProduceAction.retry, 'retriable default');
  });
});
