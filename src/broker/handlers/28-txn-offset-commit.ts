// TxnOffsetCommit (key 28), versions 0-5. Sent to the group coordinator after AddOffsetsToTxn. Per partition:
// UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist. The group's `__consumer_offsets` partition must be
// in the producer's transaction (KIP-890 part 1, as Kafka verifies a transactional offset commit): otherwise
// TRANSACTION_ABORTABLE (INVALID_TXN_STATE before v4), a fenced epoch is INVALID_PRODUCER_EPOCH, a coordinator
// busy completing a transaction COORDINATOR_NOT_AVAILABLE (retriable). Then the group checks generation, member
// and static instance when given (KIP-447: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID; never
// REBALANCE_IN_PROGRESS; a KIP-848 member's wrong epoch is ILLEGAL_GENERATION too, never STALE_MEMBER_EPOCH,
// which this API's clients do not know), and the offsets are stored as pending until the transaction commits (then visible to
// OffsetFetch) or aborts (dropped); OffsetFetch RequireStable answers UNSTABLE_OFFSET_COMMIT meanwhile. v5 is
// transaction version 2 (KIP-890 part 2): the request adds the offsets partition itself, with no AddOffsetsToTxn.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeForVersion } from '../txn/error-versions.ts';
import { GROUP_OFFSETS_TOPIC } from '../txn/transaction-coordinator.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';
import { commitAuthorizedPartitions, commitResponseTopics } from './offset-commit-routing.ts';

/** TxnOffsetCommit v5+ adds the group's offsets partition to the transaction itself (KIP-890 part 2). */
const IMPLICIT_ADD_MIN_VERSION = 5;

/** How the produce path's verification errors reach a transactional offset commit (`AddPartitionsToTxnManager`). */
function verificationError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      return errorCode;
  }
}

export const txnOffsetCommitHandler: ApiHandler<typeof ApiKey.TxnOffsetCommit> = {
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 5,
  async handle(broker, request, context) {
    // Kafka: WRITE on the transactional id, then READ on the group, fail every partition; READ per topic fails its own.
    const rules = apiAuthorization.TxnOffsetCommit;
    const requestDenial = !authorize(broker, context, rules.transactionalId, request.transactionalId)
      ? rules.transactionalId.error
      : !authorize(broker, context, rules.group, request.groupId)
        ? rules.group.error
        : ErrorCode.NONE;
    const errors = request.topics.map((topic) => {
      const code = requestDenial !== ErrorCode.NONE ? requestDenial : !authorize(broker, context, rules.topic, topic.name) ? rules.topic.error : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return topic.partitions.map((): number => code);
    });
    await commitAuthorizedPartitions(broker, request.topics, errors, async (topics) => {
      if (context.apiVersion >= IMPLICIT_ADD_MIN_VERSION) {
        await broker.transactions.addPartitionImplicitly(
          request.transactionalId,
          request.producerId,
          request.producerEpoch,
          GROUP_OFFSETS_TOPIC,
          broker.transactions.offsetsPartitionFor(request.groupId),
        );
      }
      // After an implicit add (v5) this confirms it; its error, if any, is the one the client gets.
      const verified = broker.transactions.verifyPartitionInTransaction(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
        GROUP_OFFSETS_TOPIC,
        broker.transactions.offsetsPartitionFor(request.groupId),
      );
      if (verified !== ErrorCode.NONE) {
        return topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: verificationError(verified) })) }));
      }
      return broker.groups.commitTransactionalOffsets({
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        topics,
      }, broker.logs);
    });
    return {
      throttleTimeMs: 0,
      topics: commitResponseTopics(broker, request.topics, errors, (code) => errorCodeForVersion(code, ApiKey.TxnOffsetCommit, context.apiVersion)),
    };
  },
};

