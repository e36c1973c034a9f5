// Produce (key 0), versions 3-12 served (0-2 advertised, answered UNSUPPORTED_VERSION per partition, as Kafka 4.0
// does). Per partition: validate the one magic-2 batch on its raw bytes (size, CRC, offsets, codec, every record and
// its timestamp, as `LogValidator`), apply Kafka's in-place rewrites, then append it synchronously — the handler is
// `pipelined`, so the next request of the connection starts only after this append, which keeps a connection's
// batches in order — then, outside that synchronous part, wait until the append is durable under the fsync policy
// before answering acks=1/all. acks=0 gets no response.
// A failure of one partition never fails the others (Kafka's per-partition `ProduceResponse`).
// Transactional batches are verified against the transaction coordinator first (KIP-890 part 1, on by default as
// in Kafka 4.x): see log/transaction-verification.ts. From v12 (transaction version 2, KIP-890 part 2) the first
// transactional batch of a producer on a partition asks the coordinator to add the partition instead; that append
// waits for the coordinator, and later appends to the partition queue behind it (`PartitionLog.enqueueAppend`),
// so a connection's batches still reach each partition in order.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type {
  ProduceRequestPartitionProduceData,
  ProduceResponsePartitionProduceResponse,
  ProduceResponseTopicProduceResponse,
} from '../../protocol/messages/generated/00-produce.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BatchField, CURRENT_MAGIC, CompressionType, RECORD_BATCH_OVERHEAD, compressionOf, isTransactional } from '../../protocol/records/batch-header.ts';
import { BatchRejectReason, validateBatchForAppend } from '../../protocol/records/validate-batch-for-append.ts';
import { prepareBatchForAppend } from '../../protocol/records/prepare-batch-for-append.ts';
import { CLOSE_CONNECTION, type ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import { errorCodeOf, errorMessageOf } from '../broker-error.ts';
import { IMPLICIT_ADD_MIN_PRODUCE_VERSION, hasOngoingTransaction, produceErrorForCoordinatorError, verifyTransactionalAppend } from '../log/transaction-verification.ts';
import type { PartitionLog } from '../log/partition-log.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';
import type { TopicMetric } from '../metrics/broker-metric-registry.ts';

/** ZSTD needs Produce v7+ (KIP-110). */
const ZSTD_MIN_PRODUCE_VERSION = 7;

function partitionResponse(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

/**
 * Rejections that Kafka raises inside the log append (`LogValidator`, `UnifiedLog.analyzeAndValidateRecords`), whose
 * partition response carries the partition's current logStartOffset (`ReplicaManager.appendToLocalLog`:
 * `unknownLogAppendInfoWithLogStartOffset`). The others (CRC, size, framing) answer -1, like an unknown partition.
 */
const REJECTED_IN_LOG_APPEND: ReadonlySet<string> = new Set([
  BatchRejectReason.nonZeroBaseOffset,
  BatchRejectReason.invalidOffsetRange,
  BatchRejectReason.invalidCount,
  BatchRejectReason.countMismatch,
  BatchRejectReason.controlFromClient,
  BatchRejectReason.missingSequence,
  BatchRejectReason.invalidRecords,
  BatchRejectReason.invalidTimestamp,
  BatchRejectReason.innerOffsetsOutOfOrder,
  BatchRejectReason.undecompressable,
]);

/**
 * Kafka checks `ProduceRequest.hasTransactionalRecords` (the first batch of each partition) before anything
 * else and, with no transactionalId, fails the whole request with TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 */
function hasTransactionalRecords(request: { topicData: { partitionData: ProduceRequestPartitionProduceData[] }[] }): boolean {
  return request.topicData.some((topic) =>
    topic.partitionData.some(
      ({ records }) =>
        records !== null &&
        records.length >= RECORD_BATCH_OVERHEAD &&
        records.readInt8(BatchField.magic) === CURRENT_MAGIC &&
        isTransactional(records.readInt16BE(BatchField.attributes)),
    ),
  );
}

/** How many distinct (producer id, epoch) pairs the request's transactional batches carry. */
function transactionalProducerCount(request: { topicData: { partitionData: ProduceRequestPartitionProduceData[] }[] }): number {
  const producers = new Set<string>();
  for (const topic of request.topicData) {
    for (const { records } of topic.partitionData) {
      if (records === null || records.length < RECORD_BATCH_OVERHEAD || records.readInt8(BatchField.magic) !== CURRENT_MAGIC) continue;
      if (!isTransactional(records.readInt16BE(BatchField.attributes))) continue;
      const producerId = records.readBigInt64BE(BatchField.producerId);
      if (producerId < 0n) continue;
      producers.add(`${producerId}:${records.readInt16BE(BatchField.producerEpoch)}`);
    }
  }
  return producers.size;
}

/** Every partition of the request answered with the same error (whole-request failures). */
function failAll(request: { topicData: { name: string; partitionData: ProduceRequestPartitionProduceData[] }[] }, errorCode: number) {
  return {
    responses: request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((partition) => partitionResponse(partition.index, errorCode)),
    })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  };
}

export const produceHandler: ApiHandler<typeof ApiKey.Produce> = {
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 12,
  pipelined: true,
  handle(broker, request, context) {
    const version = context.apiVersion;
    // A whole-request failure is an answer for acks 1/all and a closed connection for acks=0.
    const rejectAll = (errorCode: number) => (request.acks === 0 ? CLOSE_CONNECTION : failAll(request, errorCode));
    if (version < 3) return rejectAll(ErrorCode.UNSUPPORTED_VERSION);
    if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) return failAll(request, ErrorCode.INVALID_REQUIRED_ACKS);
    if (request.transactionalId === null && hasTransactionalRecords(request)) return rejectAll(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // `ReplicaManager.handleProduceAppend`: one transactional request is one producer (id and epoch).
    if (request.transactionalId !== null && transactionalProducerCount(request) > 1) return rejectAll(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const rules = apiAuthorization.Produce;
    if (request.transactionalId !== null && !authorize(broker, context, rules.transactionalId, request.transactionalId) && hasTransactionalRecords(request)) {
      return rejectAll(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }

    const responses: ProduceResponseTopicProduceResponse[] = [];
    const durable: Promise<void>[] = [];
    for (const topic of request.topicData) {
      const partitionResponses: ProduceResponsePartitionProduceResponse[] = [];
      responses.push({ name: topic.name, partitionResponses });
      if (!authorize(broker, context, rules.topic, topic.name)) {
        for (const partition of topic.partitionData) partitionResponses.push(partitionResponse(partition.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        continue;
      }
      for (const partition of topic.partitionData) {
        const response = appendPartition(broker, topic.name, partition, request.transactionalId, version, context.readsRequestUntil);
        partitionResponses.push(response.result);
        if (response.durable !== null) durable.push(response.durable);
      }
    }
    const answer = { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    if (request.acks === 0) {
      // No response is sent, but a failed fsync must still be noticed (it takes the log offline).
      void Promise.allSettled(durable);
      // An acks=0 producer learns of a rejected batch only by losing its connection (Kafka closes it, counting
      // the unsent answer's error codes as `RequestChannel.closeConnection` does).
      const failed = responses.some((topic) => topic.partitionResponses.some((partition) => partition.errorCode !== ErrorCode.NONE));
      if (failed) broker.metrics.request(ApiKey.Produce).answered(answer);
      return failed ? CLOSE_CONNECTION : null;
    }
    if (durable.length === 0) return answer;
    return Promise.all(durable).then(() => answer);
  },
};

interface PartitionAppend {
  result: ProduceResponsePartitionProduceResponse;
  /** Settles when the append is durable; it never rejects (a storage failure rewrites `result`). */
  durable: Promise<void> | null;
}

function appendPartition(
  broker: BrokerContext,
  topic: string,
  partition: ProduceRequestPartitionProduceData,
  transactionalId: string | null,
  version: number,
  readsRequestUntil: ((work: Promise<unknown>) => void) | undefined,
): PartitionAppend {
  const log = broker.logs.getLog(topic, partition.index);
  if (log === undefined) return { result: partitionResponse(partition.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), durable: null };
  if (partition.records === null || partition.records.length === 0) {
    return { result: partitionResponse(partition.index, ErrorCode.INVALID_RECORD, 'a produce request must carry one record batch'), durable: null };
  }
  const timestampType = log.logConfig.messageTimestampType;
  const validation = validateBatchForAppend(partition.records, {
    maxMessageBytes: log.logConfig.maxMessageBytes,
    timestampType,
    nowMs: broker.clock(),
    timestampBeforeMaxMs: log.logConfig.messageTimestampBeforeMaxMs,
    timestampAfterMaxMs: log.logConfig.messageTimestampAfterMaxMs,
    ...(log.logConfig.cleanupPolicy.includes('compact') ? { compacted: { topicPartition: `${topic}-${partition.index}` } } : {}),
  });
  if (!validation.ok) {
    const rejected = partitionResponse(partition.index, validation.code, validation.message);
    if (REJECTED_IN_LOG_APPEND.has(validation.reason)) rejected.logStartOffset = log.logStartOffset;
    rejected.recordErrors = (validation.recordErrors ?? []).map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
    return { result: rejected, durable: null };
  }
  const { header } = validation;
  if (compressionOf(header.attributes) === CompressionType.zstd && version < ZSTD_MIN_PRODUCE_VERSION) {
    return { result: partitionResponse(partition.index, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE), durable: null };
  }
  if (isTransactional(header.attributes) && transactionalId === null) {
    // Unreachable through `handle` (the whole request fails first); kept for direct callers.
    return { result: partitionResponse(partition.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED), durable: null };
  }
  const verification =
    isTransactional(header.attributes) && transactionalId !== null
      ? { transactionalId, producerId: header.producerId, producerEpoch: header.producerEpoch, topic, partition: partition.index, produceVersion: version }
      : null;
  // KIP-890 part 2: a TV2 producer's first batch on a partition adds the partition to its transaction; the
  // append waits for the coordinator, and later appends of the partition queue behind it.
  const implicitAdd =
    verification !== null && version >= IMPLICIT_ADD_MIN_PRODUCE_VERSION && !hasOngoingTransaction(log, header.producerId, header.producerEpoch);
  const records = partition.records;
  // LogValidator's in-place rewrites (max timestamp, timestamp type), done just before the log assigns offsets.
  const prepare = () => prepareBatchForAppend(records, header, validation.records, timestampType);
  const topicMetric = broker.metrics.topic(topic);
  if (!implicitAdd && !log.hasQueuedAppends) return verifyAndAppend(broker, log, topicMetric, partition.index, prepare, verification);

  const result = partitionResponse(partition.index, ErrorCode.NONE);
  const appended = log.enqueueAppend(async () => {
      if (implicitAdd && verification !== null) {
        const added = await broker.transactions.addPartitionImplicitly(transactionalId ?? '', header.producerId, header.producerEpoch, topic, partition.index);
        const code = produceErrorForCoordinatorError(added, version);
        if (code !== ErrorCode.NONE) return { result: partitionResponse(partition.index, code), durable: null };
        // Added: the partition is in the transaction now, so the append needs no further verification.
        return verifyAndAppend(broker, log, topicMetric, partition.index, prepare, null);
      }
      return verifyAndAppend(broker, log, topicMetric, partition.index, prepare, verification);
    });
  // The queued append reads the batch where the request was read; that memory is not reused before it has run.
  readsRequestUntil?.(appended);
  const durable = appended
    .then(async (done) => {
      Object.assign(result, done.result);
      await done.durable;
      Object.assign(result, done.result);
    })
    .catch((error: unknown) => {
      result.errorCode = errorCodeOf(error, broker.logger);
      result.errorMessage = errorMessageOf(error);
    });
  return { result, durable };
}

/**
 * The synchronous part: KIP-890 part 1 verification of a transactional batch (`verification`, null when none is
 * needed), then the append. The durable promise rewrites `result` if the fsync fails; it never rejects.
 */
function verifyAndAppend(
  broker: BrokerContext,
  log: PartitionLog,
  topicMetric: TopicMetric,
  index: number,
  prepare: () => Buffer,
  verification: Parameters<typeof verifyTransactionalAppend>[2] | null,
): PartitionAppend {
  if (verification !== null) {
    // KIP-890 part 1: only a partition in the producer's ongoing transaction takes its transactional batches.
    const verified = verifyTransactionalAppend(broker.transactions, log, verification);
    if (verified !== ErrorCode.NONE) return { result: partitionResponse(index, verified), durable: null };
  }
  const result = partitionResponse(index, ErrorCode.NONE);
  try {
    const batch = prepare();
    const appended = log.append(batch);
    if (appended.appended) topicMetric.appended(batch.length, Number(appended.lastOffset - appended.baseOffset) + 1);
    else topicMetric.duplicate();
    result.baseOffset = appended.baseOffset;
    result.logAppendTimeMs = appended.logAppendTime;
    result.logStartOffset = appended.logStartOffset;
    // A duplicate is answered once its original is durable too: the original may still be waiting for its fsync.
    const durable = log.waitDurable(appended.lastOffset).catch((error: unknown) => {
      result.errorCode = errorCodeOf(error, broker.logger);
      result.errorMessage = errorMessageOf(error);
      result.baseOffset = -1n;
      result.logAppendTimeMs = -1n;
    });
    return { result, durable };
  } catch (error) {
    result.errorCode = errorCodeOf(error, broker.logger);
    result.errorMessage = errorMessageOf(error);
    // Sequence, epoch and transaction-state rejections carry the current logStartOffset, as Kafka's do.
    if (result.errorCode !== ErrorCode.KAFKA_STORAGE_ERROR) result.logStartOffset = log.logStartOffset;
    return { result, durable: null };
  }
}
