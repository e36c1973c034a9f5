// Writing transaction markers on the partition side (Kafka's `KafkaApis.handleWriteTxnMarkersRequest` down to
// `ReplicaManager.appendRecords` with origin COORDINATOR): one COMMIT or ABORT control batch per partition, stamped
// with this broker's clock. Appending it completes the producer's transaction in the partition's producer state
// (epoch and coordinator-epoch checked: INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED), indexes an aborted
// transaction (`.txnindex`) and moves the last stable offset. Control batches reach a log only through here: the
// Produce path refuses them from clients (INVALID_RECORD).
//
// Every partition's marker is appended synchronously before the first await (the coordinator can rely on the
// order), then the answer waits until each is durable under the fsync policy (Kafka appends markers with acks=-1).
// Used by the WriteTxnMarkers handler (the coordinator's markers go through it, txn/marker-channel.ts) and directly
// by the coordinator for transactions it resumes while the broker opens.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ControlRecordType, encodeEndTransactionMarkerBatch } from '../../protocol/records/control-record.ts';
import { errorCodeOf } from '../broker-error.ts';
import type { BrokerLogger } from '../logger.ts';
import { AppendOrigin } from '../producer-state/append-origin.ts';
import type { LogManager } from './log-manager.ts';

export interface TxnMarkerPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TxnMarker {
  readonly producerId: bigint;
  /** The transaction's epoch (TV1), or the bumped epoch of a fence or a timeout abort. */
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  /** True for COMMIT, false for ABORT (WriteTxnMarkers' `TransactionResult`). */
  readonly commit: boolean;
  readonly partitions: readonly TxnMarkerPartition[];
}

export interface TxnMarkerResult extends TxnMarkerPartition {
  readonly errorCode: number;
}

export interface TxnMarkerWriter {
  readonly logs: Pick<LogManager, 'getLog'>;
  readonly clock: () => number;
  readonly logger: Pick<BrokerLogger, 'error'>;
}

/**
 * Appends `marker` to each of its partitions and resolves, once every append is durable, with one error code per
 * partition in request order: NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_PRODUCER_EPOCH,
 * TRANSACTION_COORDINATOR_FENCED or KAFKA_STORAGE_ERROR. Never rejects.
 */
export function writeTxnMarkers(broker: TxnMarkerWriter, marker: TxnMarker): Promise<TxnMarkerResult[]> {
  const timestamp = BigInt(broker.clock());
  const results = marker.partitions.map((target) => {
    const log = broker.logs.getLog(target.topic, target.partition);
    if (log === undefined) return { result: { ...target, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, durable: null };
    const batch = encodeEndTransactionMarkerBatch({
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      coordinatorEpoch: marker.coordinatorEpoch,
      result: marker.commit ? ControlRecordType.commit : ControlRecordType.abort,
      timestamp,
    });
    try {
      const appended = log.append(batch, { origin: AppendOrigin.coordinator });
      return { result: { ...target, errorCode: ErrorCode.NONE }, durable: log.waitDurable(appended.lastOffset) };
    } catch (error) {
      return { result: { ...target, errorCode: errorCodeOf(error, broker.logger) }, durable: null };
    }
  });
  return Promise.all(
    results.map(async ({ result, durable }) => {
      if (durable === null) return result;
      try {
        await durable;
        return result;
      } catch (error) {
        return { ...result, errorCode: errorCodeOf(error, broker.logger) };
      }
    }),
  );
}
