// AddPartitionsToTxn (key 24), versions 0-5. v0-3 (clients): one transaction; v4+ (Kafka: broker to broker,
// KIP-890) a batch of transactions, each possibly `VerifyOnly`. Partitions are checked first: an unknown one gets
// UNKNOWN_TOPIC_OR_PARTITION and every other OPERATION_NOT_ATTEMPTED, and nothing is added. Otherwise the
// coordinator's answer applies to every partition (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED —
// INVALID_PRODUCER_EPOCH before v2 —, CONCURRENT_TRANSACTIONS). VerifyOnly writes nothing and answers NONE or
// TRANSACTION_ABORTABLE per partition. No authorizer: the CLUSTER_ACTION check of v4+ always passes.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { AddPartitionsToTxnRequestAddPartitionsToTxnTopic, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult } from '../../protocol/messages/generated/24-add-partitions-to-txn.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler, RequestContext } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import { errorCodeOf } from '../broker-error.ts';
import { errorCodeForVersion } from '../txn/error-versions.ts';
import { GROUP_OFFSETS_TOPIC } from '../txn/transaction-coordinator.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizeCluster } from '../security/authorizer/authorize.ts';

const BATCHED_MIN_VERSION = 4;

interface OneTransaction {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
}

export const addPartitionsToTxnHandler: ApiHandler<typeof ApiKey.AddPartitionsToTxn> = {
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(broker, request, context) {
    const version = context.apiVersion;
    const rules = apiAuthorization.AddPartitionsToTxn;
    if (version < BATCHED_MIN_VERSION) {
      const topicResults = await addOne(broker, context, {
        transactionalId: request.v3AndBelowTransactionalId,
        producerId: request.v3AndBelowProducerId,
        producerEpoch: request.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: request.v3AndBelowTopics,
      }, version);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: topicResults };
    }
    // v4+ is the brokers' batched form (KIP-890): CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(broker, context, rules.cluster)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (transaction) => ({ transactionalId: transaction.transactionalId, topicResults: await addOne(broker, context, transaction, version) })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
};

async function addOne(broker: BrokerContext, context: RequestContext, transaction: OneTransaction, version: number): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]> {
  const results = (codeOf: (topic: string, partition: number) => number) =>
    transaction.topics.map((topic) => ({
      name: topic.name,
      resultsByPartition: topic.partitions.map((partitionIndex) => ({
        partitionIndex,
        partitionErrorCode: errorCodeForVersion(codeOf(topic.name, partitionIndex), ApiKey.AddPartitionsToTxn, version),
      })),
    }));
  const exists = (topic: string, partition: number): boolean => {
    if (topic === GROUP_OFFSETS_TOPIC) return broker.transactions.isOffsetsPartition(partition);
    const metadata = broker.logs.topic(topic);
    return metadata !== undefined && partition >= 0 && partition < metadata.partitions;
  };
  const rules = apiAuthorization.AddPartitionsToTxn;
  if (!authorize(broker, context, rules.transactionalId, transaction.transactionalId)) return results(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const unwritable = transaction.topics.filter((topic) => !authorize(broker, context, rules.topic, topic.name)).map((topic) => topic.name);
  if (unwritable.length > 0) {
    // Kafka: unauthorized topics fail, unknown ones are UNKNOWN_TOPIC_OR_PARTITION, the rest are not attempted.
    return results((topic, partition) =>
      unwritable.includes(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : exists(topic, partition) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  }
  const missing = transaction.topics.some((topic) => topic.partitions.some((partition) => !exists(topic.name, partition)));
  if (missing) {
    return results((topic, partition) => (exists(topic, partition) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }
  const partitions = transaction.topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition })));
  try {
    if (transaction.verifyOnly) {
      const { errorCode, partitionErrors } = broker.transactions.verifyPartitions(transaction.transactionalId, transaction.producerId, transaction.producerEpoch, partitions);
      let i = 0;
      return results(() => (errorCode !== ErrorCode.NONE ? errorCode : partitionErrors[i++]));
    }
    const errorCode = await broker.transactions.addPartitions(transaction.transactionalId, transaction.producerId, transaction.producerEpoch, partitions);
    return results(() => errorCode);
  } catch (error) {
    const errorCode = errorCodeOf(error, broker.logger);
    return results(() => errorCode);
  }
}
