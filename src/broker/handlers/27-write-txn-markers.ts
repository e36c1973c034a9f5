// WriteTxnMarkers (key 27), versions 0-1. Kafka's transaction coordinator sends it to partition leaders; clients
// send it only for the admin abort of a hanging transaction (KIP-664, `Admin.abortTransaction`, with the producer
// id, epoch and coordinator epoch read from DescribeProducers). Each marker is appended to each of its partitions
// as a control batch with origin COORDINATOR (see log/txn-markers.ts), all before the first await, in request
// order; the answer waits until they are durable. Per partition: NONE, UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_PRODUCER_EPOCH (epoch below the partition's), TRANSACTION_COORDINATOR_FENCED (older coordinator epoch),
// KAFKA_STORAGE_ERROR.
// Simplification versus Kafka: no authorizer, so no CLUSTER_AUTHORIZATION_FAILED; markers for the group offsets
// (kept by the group coordinator, not in a partition log) are answered UNKNOWN_TOPIC_OR_PARTITION.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { WriteTxnMarkersResponseWritableTxnMarkerResult } from '../../protocol/messages/generated/27-write-txn-markers.ts';
import type { ApiHandler } from './api-handler.ts';
import { writeTxnMarkers } from '../log/txn-markers.ts';

export const writeTxnMarkersHandler: ApiHandler<typeof ApiKey.WriteTxnMarkers> = {
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, request) {
    const written = request.markers.map((marker) =>
      writeTxnMarkers(broker, {
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        coordinatorEpoch: marker.coordinatorEpoch,
        commit: marker.transactionResult,
        partitions: marker.topics.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition }))),
      }),
    );
    const results = await Promise.all(written);
    const markers = request.markers.map((marker, index): WriteTxnMarkersResponseWritableTxnMarkerResult => {
      const errors = results[index];
      let next = 0;
      return {
        producerId: marker.producerId,
        topics: marker.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: errors[next++].errorCode })),
        })),
      };
    });
    return { markers };
  },
};
