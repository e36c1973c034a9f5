// WriteTxnMarkers (key 27), versions 0-1. Kafka's transaction coordinator sends it to partition leaders; so does
// this broker's coordinator, in-process (txn/marker-channel.ts), for the data partitions of a transaction. Clients
// send it only for the admin abort of a hanging transaction (KIP-664, `Admin.abortTransaction`, with the producer
// id, epoch and coordinator epoch read from DescribeProducers). Each marker is appended to each of its partitions
// as a control batch with origin COORDINATOR (see log/txn-markers.ts), all before the first await, in request
// order; the answer waits until they are durable. Per partition: NONE, UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_PRODUCER_EPOCH (epoch below the partition's), TRANSACTION_COORDINATOR_FENCED (older coordinator epoch),
// KAFKA_STORAGE_ERROR.
// A marker for a `__consumer_offsets` partition goes to the group coordinator, as in Kafka: the producer's pending
// transactional offsets are committed or dropped (they are kept by the group coordinator, not in a partition log).
// Simplification versus Kafka: no authorizer, so no CLUSTER_AUTHORIZATION_FAILED.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { WriteTxnMarkersResponseWritableTxnMarkerResult } from '../../protocol/messages/generated/27-write-txn-markers.ts';
import type { ApiHandler } from './api-handler.ts';
import { writeTxnMarkers } from '../log/txn-markers.ts';
import type { TxnMarkerResult } from '../log/txn-markers.ts';
import type { BrokerContext } from '../broker-context.ts';
import { errorCodeOf } from '../broker-error.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { GROUP_OFFSETS_TOPIC } from '../txn/transaction-coordinator.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

/** Kafka's `GroupCoordinator.completeTransaction` for the offsets partitions of one marker. */
async function completeGroupOffsets(broker: BrokerContext, producerId: bigint, commit: boolean, partitions: readonly number[]): Promise<TxnMarkerResult[]> {
  const known = partitions.filter((partition) => partition >= 0 && partition < broker.config.offsetsTopicNumPartitions);
  let errorCode: number = ErrorCode.NONE;
  if (known.length > 0) {
    try {
      await broker.groups.completeTransaction(producerId, commit);
    } catch (error) {
      errorCode = errorCodeOf(error, broker.logger);
    }
  }
  return partitions.map((partition) => ({
    topic: GROUP_OFFSETS_TOPIC,
    partition,
    errorCode: known.includes(partition) ? errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  }));
}

export const writeTxnMarkersHandler: ApiHandler<typeof ApiKey.WriteTxnMarkers> = {
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, request, context) {
    if (!authorizeCluster(broker, context, apiAuthorization.WriteTxnMarkers.cluster)) {
      // Inter-broker only: without CLUSTER_ACTION every partition is refused.
      return {
        markers: request.markers.map((marker) => ({
          producerId: marker.producerId,
          topics: marker.topics.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })),
        })),
      };
    }
    const written = request.markers.map((marker) => {
      const logPartitions = marker.topics
        .filter((topic) => topic.name !== GROUP_OFFSETS_TOPIC)
        .flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition })));
      const offsetPartitions = marker.topics.filter((topic) => topic.name === GROUP_OFFSETS_TOPIC).flatMap((topic) => topic.partitionIndexes);
      const toLogs = writeTxnMarkers(broker, {
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        coordinatorEpoch: marker.coordinatorEpoch,
        commit: marker.transactionResult,
        partitions: logPartitions,
      });
      const toGroups = offsetPartitions.length === 0 ? Promise.resolve([]) : completeGroupOffsets(broker, marker.producerId, marker.transactionResult, offsetPartitions);
      return Promise.all([toLogs, toGroups]).then(([logs, groups]) => [...logs, ...groups]);
    });
    const results = await Promise.all(written);
    const markers = request.markers.map((marker, index): WriteTxnMarkersResponseWritableTxnMarkerResult => {
      // Each partition's answer, in the request's order (a topic named twice keeps its own partitions).
      const remaining = [...results[index]];
      const take = (topic: string, partition: number): number => {
        const at = remaining.findIndex((result) => result.topic === topic && result.partition === partition);
        return at < 0 ? ErrorCode.UNKNOWN_SERVER_ERROR : remaining.splice(at, 1)[0].errorCode;
      };
      return {
        producerId: marker.producerId,
        topics: marker.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: take(topic.name, partitionIndex) })),
        })),
      };
    });
    return { markers };
  },
};
