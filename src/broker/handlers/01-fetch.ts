// Fetch (key 1), versions 4-17. Serves stored batches as raw bytes (never decoded) up to the high watermark
// (read_uncommitted) or the last stable offset (read_committed: below the first open transaction).
// Long poll: when fewer than `minBytes` are available, the request waits until a fetched partition's high
// watermark moves or `maxWaitMs` passes (Kafka's `DelayedFetch`); a partition error answers at once.
// Fetch sessions (KIP-227): the request's session id and epoch select a context (fetch-session-cache.ts, Kafka's
// `FetchManager.newContext`). A full fetch reads the request's partitions and may create a session of them; an
// incremental one reads every partition of its session and answers only those with news. The session is updated
// once, when the answer is built after the long poll (Kafka's `updateAndGenerateResponseData`).
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
import type { ApiHandler, RequestContext } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { PartitionLog } from '../log/partition-log.ts';
import { errorCodeOf } from '../broker-error.ts';
import type { ReadBuffers } from '../log/read-buffer-pool.ts';
import { maxResponseBytes, planFetch, TOPIC_ID_MIN_VERSION, type PlannedTopic } from '../fetch-plan.ts';
import { INVALID_SESSION_ID, newFetchContext, type FetchContext } from '../fetch-session-cache.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizationEnabled } from '../security/authorizer/authorize.ts';

/** Kafka's `IsolationLevel.READ_COMMITTED`. */
const READ_COMMITTED = 1;
const EMPTY_RECORDS = Buffer.alloc(0);
/**
 * Record data of at least this size goes to the socket from the buffer it was read into, never copied into the
 * encoded answer (Kafka's `FileRecords.writeTo`); smaller pieces are cheaper to copy than to write separately.
 */
const SPLICE_RECORDS_AT_LEAST = 8 * 1024;

interface FetchPass {
  response: FetchResponse;
  bytes: number;
  /** A partition answered with an error: Kafka answers at once instead of waiting for minBytes. */
  hasError: boolean;
  logs: PartitionLog[];
  /** Topic name and record bytes of each partition read, in `logs` order (for BytesOutPerSec). */
  readTopics: string[];
  readSizes: number[];
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
  buffers: ReadBuffers | undefined,
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
    const read = log.read(partition.fetchOffset, maxBytes, { maxOffset, minOneMessage, abortedTransactions: readCommitted, buffers });
    data.records = read.records;
    if (read.abortedTransactions !== null) {
      data.abortedTransactions = read.abortedTransactions.map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
    }
  } catch (error) {
    data.errorCode = errorCodeOf(error, broker.logger);
  }
  return data;
}

function fetchOnce(
  broker: BrokerContext,
  request: FetchRequest,
  version: number,
  topics: readonly PlannedTopic[],
  unreadable: ReadonlySet<string> | null,
  buffers: ReadBuffers | undefined,
): FetchPass {
  const readCommitted = request.isolationLevel === READ_COMMITTED;
  const responses: FetchResponseFetchableTopicResponse[] = [];
  const logs: PartitionLog[] = [];
  const readTopics: string[] = [];
  const readSizes: number[] = [];
  let bytes = 0;
  let hasError = false;
  let remaining = maxResponseBytes(request, { fetchMaxBytes: broker.config.fetchMaxBytes, availableMemoryBytes: broker.connectionMemory.available() });
  for (const { topic: fetchTopic, partitions: fetchPartitions } of topics) {
    const topic = version >= TOPIC_ID_MIN_VERSION ? broker.logs.topicById(fetchTopic.topicId) : broker.logs.topic(fetchTopic.topic);
    const partitions: FetchResponsePartitionData[] = [];
    responses.push({ topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions });
    if (unreadable !== null && unreadable.has(topic?.name ?? fetchTopic.topic)) {
      // Kafka checks READ before the partition exists (a name-based fetch of an unknown topic is also denied).
      // Kafka answers these with an empty (not null) aborted-transaction list (`FetchResponse.partitionResponse`).
      for (const partition of fetchPartitions) partitions.push({ ...emptyPartition(partition.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED), abortedTransactions: [] });
      continue;
    }
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
      const data = readPartition(broker, log, partition, limit, bytes === 0, readCommitted, buffers);
      const size = data.records?.length ?? 0;
      readTopics.push((topic as { name: string }).name);
      readSizes.push(size);
      bytes += size;
      remaining -= size;
      if (data.errorCode !== ErrorCode.NONE) hasError = true;
      partitions.push(data);
    }
  }
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: [] }, bytes, hasError, logs, readTopics, readSizes };
}

/** BytesOutPerSec of the pass that is answered (a long poll's earlier passes are discarded). */
function countFetch(broker: BrokerContext, pass: FetchPass): void {
  for (let i = 0; i < pass.readTopics.length; i++) broker.metrics.topic(pass.readTopics[i]).read(pass.readSizes[i]);
}

/** Topics of the fetch the caller may not READ, or null when every request is allowed (no authorizer). */
function unreadableTopics(broker: BrokerContext, context: RequestContext, topics: readonly PlannedTopic[], version: number): Set<string> | null {
  if (!authorizationEnabled(broker)) return null;
  const unreadable = new Set<string>();
  for (const { topic } of topics) {
    const name = version >= TOPIC_ID_MIN_VERSION ? broker.logs.topicById(topic.topicId)?.name : topic.topic;
    if (name !== undefined && !authorize(broker, context, apiAuthorization.Fetch.topic, name)) unreadable.add(name);
  }
  return unreadable;
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

/** Which partitions a context reads: the session's for an incremental fetch, the request's otherwise. */
function partitionsToRead(request: FetchRequest, version: number, context: FetchContext): PlannedTopic[] {
  if (context.kind === 'incremental') return context.session.plannedTopics();
  return planFetch(request, version, { fetchMaxBytes: Infinity, availableMemoryBytes: Infinity }).topics;
}

/** Builds the answer and updates the session (Kafka's `FetchContext.updateAndGenerateResponseData`). */
function respond(broker: BrokerContext, context: FetchContext, topics: readonly PlannedTopic[], response: FetchResponse, version: number): FetchResponse {
  switch (context.kind) {
    case 'session-error':
      return { ...response, errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, responses: [] };
    case 'sessionless':
      return response;
    case 'full': {
      const size = topics.reduce((sum, topic) => sum + topic.partitions.length, 0);
      // seqlog has no followers: every session is an unprivileged (consumer) one.
      response.sessionId = broker.fetchSessions.maybeCreateSession(broker.clock(), false, size, version >= TOPIC_ID_MIN_VERSION, (session) => {
        topics.forEach((topic, t) => {
          topic.partitions.forEach((partition, p) => session.addPartition(topic.topic, partition, response.responses[t].partitions[p]));
        });
      });
      return response;
    }
    case 'incremental': {
      const { session } = context;
      // Another request of the same session (a retry on another connection) advanced it during our long poll.
      if (session.epoch !== context.expectedEpoch) {
        return { ...response, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, responses: [] };
      }
      return { ...response, sessionId: session.id, responses: session.selectChanged(response.responses) };
    }
  }
}

export const fetchHandler: ApiHandler<typeof ApiKey.Fetch> = {
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  spliceBytesAtLeast: SPLICE_RECORDS_AT_LEAST,
  async handle(broker, request, requestContext) {
    const version = requestContext.apiVersion;
    const context = newFetchContext(broker.fetchSessions, request, version, broker.clock());
    if (context.kind === 'session-error') {
      // Nothing is read: the partitions the client meant are unknown (Kafka's `SessionErrorContext`).
      return respond(broker, context, [], { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: [], nodeEndpoints: [] }, version);
    }
    const topics = partitionsToRead(request, version, context);
    const unreadable = unreadableTopics(broker, requestContext, topics, version);
    const deadline = broker.clock() + Math.max(0, request.maxWaitMs);
    for (;;) {
      // Stored bytes are read into reused slabs (a lease per pass), given back once the answer holding them is in
      // the kernel; a long poll's discarded pass gives its slabs back at once, since nothing refers to them.
      const lease = requestContext.afterAnswerWritten === undefined ? undefined : broker.readBuffers.lease();
      const pass = fetchOnce(broker, request, version, topics, unreadable, lease);
      const wait = deadline - broker.clock();
      if (pass.bytes >= request.minBytes || pass.hasError || wait <= 0 || pass.logs.length === 0) {
        if (lease !== undefined) requestContext.afterAnswerWritten?.(() => lease.release());
        countFetch(broker, pass);
        return respond(broker, context, topics, pass.response, version);
      }
      lease?.release();
      await waitForData(pass.logs, wait);
    }
  },
};
