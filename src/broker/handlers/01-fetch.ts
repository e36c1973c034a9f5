// Fetch (key 1), versions 4-17. Serves stored batches as raw bytes (never decoded) up to the high watermark
// (read_uncommitted) or the last stable offset (read_committed: below the first open transaction).
// Long poll: when fewer than `minBytes` are available, the request waits until a fetched partition's high
// watermark moves or `maxWaitMs` passes (Kafka's `DelayedFetch`); a partition error answers at once.
// Fetch sessions (KIP-227) are not created: the broker always answers session id 0, which tells the client to
// keep sending full fetch requests, as Kafka does when its session cache is full. An incremental request for a
// session id we never gave gets FETCH_SESSION_ID_NOT_FOUND.
// Topic ids (v13+) are resolved through the topic store; an unknown id gets UNKNOWN_TOPIC_ID.
// Which partitions are read, in what order, and how many bytes the answer may carry: see fetch-plan.ts (repeated
// partitions merged, `fetch.max.bytes`).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type {
  FetchRequest,
  FetchRequestFetchPartition,
  FetchResponse,
  FetchResponseFetchableTopicResponse,
  FetchResponsePartitionData,
} from '../../protocol/messages/generated/01-fetch.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { PartitionLog } from '../log/partition-log.ts';
import { errorCodeOf } from '../broker-error.ts';
import { planFetch, TOPIC_ID_MIN_VERSION } from '../fetch-plan.ts';

/** Kafka's `IsolationLevel.READ_COMMITTED`. */
const READ_COMMITTED = 1;
const EMPTY_RECORDS = Buffer.alloc(0);

interface FetchPass {
  response: FetchResponse;
  bytes: number;
  /** A partition answered with an error: Kafka answers at once instead of waiting for minBytes. */
  hasError: boolean;
  logs: PartitionLog[];
}

function emptyPartition(partitionIndex: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY_RECORDS,
  };
}

function readPartition(
  broker: BrokerContext,
  log: PartitionLog,
  partition: FetchRequestFetchPartition,
  maxBytes: number,
  minOneMessage: boolean,
  readCommitted: boolean,
): FetchResponsePartitionData {
  const data = emptyPartition(partition.partition, ErrorCode.NONE);
  data.highWatermark = log.highWatermark;
  data.lastStableOffset = log.lastStableOffset;
  data.logStartOffset = log.logStartOffset;
  data.abortedTransactions = readCommitted ? [] : null;
  // currentLeader stays at its default (-1, -1): Kafka fills it only for NOT_LEADER_OR_FOLLOWER and
  // FENCED_LEADER_EPOCH (KIP-951), so a successful fetch carries no tagged CurrentLeader field.
  if (partition.currentLeaderEpoch > 0) {
    data.errorCode = ErrorCode.UNKNOWN_LEADER_EPOCH;
    return data;
  }
  try {
    // READ_COMMITTED reads stop at the LSO and carry the aborted transactions of the range (Kafka's
    // `LocalLog.read` with `includeAbortedTxns`); the consumer filters with them.
    const maxOffset = readCommitted ? data.lastStableOffset : data.highWatermark;
    const read = log.read(partition.fetchOffset, maxBytes, { maxOffset, minOneMessage, abortedTransactions: readCommitted });
    data.records = read.records;
    if (read.abortedTransactions !== null) {
      data.abortedTransactions = read.abortedTransactions.map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
    }
  } catch (error) {
    data.errorCode = errorCodeOf(error, broker.logger);
  }
  return data;
}

function fetchOnce(broker: BrokerContext, request: FetchRequest, version: number): FetchPass {
  const readCommitted = request.isolationLevel === READ_COMMITTED;
  const plan = planFetch(request, version, { fetchMaxBytes: broker.config.fetchMaxBytes, availableMemoryBytes: broker.connectionMemory.available() });
  const responses: FetchResponseFetchableTopicResponse[] = [];
  const logs: PartitionLog[] = [];
  let bytes = 0;
  let hasError = false;
  let remaining = plan.maxResponseBytes;
  for (const { topic: fetchTopic, partitions: fetchPartitions } of plan.topics) {
    const topic = version >= TOPIC_ID_MIN_VERSION ? broker.logs.topicById(fetchTopic.topicId) : broker.logs.topic(fetchTopic.topic);
    const partitions: FetchResponsePartitionData[] = [];
    responses.push({ topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions });
    for (const partition of fetchPartitions) {
      const log = topic === undefined ? undefined : broker.logs.getLog(topic.name, partition.partition);
      if (log === undefined) {
        const unknown = version >= TOPIC_ID_MIN_VERSION && topic === undefined ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        partitions.push(emptyPartition(partition.partition, unknown));
        hasError = true;
        continue;
      }
      logs.push(log);
      const limit = Math.max(0, Math.min(partition.partitionMaxBytes, remaining));
      // KIP-74: the first partition with data may exceed the limits by one batch, so a large batch never blocks.
      const data = readPartition(broker, log, partition, limit, bytes === 0, readCommitted);
      const size = data.records?.length ?? 0;
      bytes += size;
      remaining -= size;
      if (data.errorCode !== ErrorCode.NONE) hasError = true;
      partitions.push(data);
    }
  }
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: [] }, bytes, hasError, logs };
}

/** Resolves when any of `logs` moves its high watermark, or after `ms`. */
function waitForData(logs: readonly PartitionLog[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const removers: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const remove of removers) remove();
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const log of logs) removers.push(log.onHighWatermark(done));
  });
}

export const fetchHandler: ApiHandler<typeof ApiKey.Fetch> = {
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(broker, request, context) {
    if (request.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    const deadline = broker.clock() + Math.max(0, request.maxWaitMs);
    for (;;) {
      const pass = fetchOnce(broker, request, context.apiVersion);
      const wait = deadline - broker.clock();
      if (pass.bytes >= request.minBytes || pass.hasError || wait <= 0 || pass.logs.length === 0) return pass.response;
      await waitForData(pass.logs, wait);
    }
  },
};
