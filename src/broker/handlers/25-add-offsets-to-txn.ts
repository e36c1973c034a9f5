// AddOffsetsToTxn (key 25), versions 0-4: adds the group's `__consumer_offsets` partition
// (abs(groupId.hashCode) % `offsets.topic.num.partitions`) to the transaction, as AddPartitionsToTxn would; TxnOffsetCommit then goes to
// the group coordinator. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2 (KIP-588).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { errorCodeForVersion } from '../txn/error-versions.ts';
import { GROUP_OFFSETS_TOPIC } from '../txn/transaction-coordinator.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

export const addOffsetsToTxnHandler: ApiHandler<typeof ApiKey.AddOffsetsToTxn> = {
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(broker, request, context) {
    let errorCode: number;
    const rules = apiAuthorization.AddOffsetsToTxn;
    if (!authorize(broker, context, rules.transactionalId, request.transactionalId)) return { throttleTimeMs: 0, errorCode: rules.transactionalId.error };
    if (!authorize(broker, context, rules.group, request.groupId)) return { throttleTimeMs: 0, errorCode: rules.group.error };
    try {
      errorCode = await broker.transactions.addPartitions(request.transactionalId, request.producerId, request.producerEpoch, [
        { topic: GROUP_OFFSETS_TOPIC, partition: broker.transactions.offsetsPartitionFor(request.groupId) },
      ]);
    } catch (error) {
      errorCode = errorCodeOf(error, broker.logger);
    }
    return { throttleTimeMs: 0, errorCode: errorCodeForVersion(errorCode, ApiKey.AddOffsetsToTxn, context.apiVersion) };
  },
};
