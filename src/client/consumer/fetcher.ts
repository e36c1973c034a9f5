// Fetching (Kafka's `AbstractFetch`/`Fetcher`): at most one Fetch in flight per broker, covering every fetchable
// partition that broker leads, through that broker's fetch session (KIP-227). Answers go into a buffer that the
// application drains. A partition is fetched ahead of the application (from the end of its last answer, found
// from the batch headers without decoding) while fewer than MAX_BUFFERED_FETCHES of its answers wait, and no
// new Fetch goes out while the buffer holds `fetch.max.bytes` or more. So a slow handler stops fetching instead of
// growing memory: the buffer never holds more than about twice fetch.max.bytes (one more answer may land after
// the limit is reached), while a fast one finds the next answer already there.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { defaultFetchRequest, type FetchResponsePartitionData } from '../../protocol/messages/generated/01-fetch.ts';
import { ErrorCode, errorName } from '../../protocol/errors/index.ts';
import type { BrokerConnection } from '../connection/broker-connection.ts';
import type { ConnectionPool } from '../connection/connection-pool.ts';
import type { Metadata } from '../metadata/metadata.ts';
import type { ResolvedConsumerConfig } from '../config/consumer-config.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { FetchAction, fetchActionFor } from '../policy/fetch-policy.ts';
import { fetchEndOffset } from './completed-fetch.ts';
import { FetchSession, type FetchSessionRequest, type SessionPartition } from './fetch-session.ts';
import { partitionKey, type PartitionState } from './partition-state.ts';

export interface CompletedFetch {
  readonly state: PartitionState;
  /** The partition's epoch when the fetch was sent: stale when it changed since. */
  readonly epoch: number;
  readonly fetchOffset: bigint;
  readonly data: FetchResponsePartitionData;
  readonly bytes: number;
}

export interface FetcherMetrics {
  fetchRequests: number;
  fullFetches: number;
  incrementalFetches: number;
  bufferedBytes: number;
  /** The most bytes the buffer ever held. */
  maxBufferedBytes: number;
}

export interface FetcherHooks {
  /** The partitions the consumer owns now. */
  assigned(): ReadonlyMap<string, PartitionState>;
  /** Something arrived (data, an error, a reset to do). */
  wakeup(): void;
  /** A partition error the application must see. */
  fail(error: KafkaClientError): void;
}

/** Fetch versions spoken: v4 (read_committed, aborted transactions) to v12 (the last with topic names). */
const FETCH_MIN_VERSION = 4;
const FETCH_MAX_VERSION = 12;
/** Answers per partition that may wait in the buffer (one being handed out, one fetched ahead). */
const MAX_BUFFERED_FETCHES = 2;

export class Fetcher {
  private readonly buffer: CompletedFetch[] = [];
  private readonly inFlight = new Set<number>();
  /** Nodes whose last Fetch failed, until when they wait (retry.backoff.ms). */
  private readonly failedUntil = new Map<number, number>();
  private readonly sessions = new Map<number, FetchSession>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  readonly metrics: FetcherMetrics = { fetchRequests: 0, fullFetches: 0, incrementalFetches: 0, bufferedBytes: 0, maxBufferedBytes: 0 };

  constructor(
    private readonly config: ResolvedConsumerConfig,
    private readonly pool: ConnectionPool,
    private readonly metadata: Metadata,
    private readonly hooks: FetcherHooks,
  ) {}

  /** The oldest buffered answer, or undefined. The caller decodes it (`readPartitionFetch`). */
  take(): CompletedFetch | undefined {
    const completed = this.buffer.shift();
    if (completed !== undefined) {
      this.metrics.bufferedBytes -= completed.bytes;
      completed.state.bufferedFetches--;
    }
    return completed;
  }

  /** Drops buffered answers of partitions no longer wanted (revoked, sought, paused). */
  discard(keep: (completed: CompletedFetch) => boolean): void {
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      const completed = this.buffer[i];
      if (keep(completed)) continue;
      this.buffer.splice(i, 1);
      this.metrics.bufferedBytes -= completed.bytes;
      completed.state.bufferedFetches--;
    }
  }

  /** Sends a Fetch to every broker that leads a fetchable partition and has none in flight. */
  maybeSend(): void {
    if (this.closed || this.metrics.bufferedBytes >= this.config.fetchMaxBytes) return;
    const byNode = new Map<number, PartitionState[]>();
    const now = Date.now();
    for (const state of this.hooks.assigned().values()) {
      if (state.fetchPosition === null || state.paused || state.bufferedFetches >= MAX_BUFFERED_FETCHES || state.resetTo !== null) continue;
      if (state.backoffUntilMs > now) {
        this.retryLater(state.backoffUntilMs - now);
        continue;
      }
      const leader = this.metadata.leaderFor(state.topic, state.partition);
      if (leader < 0) {
        this.metadata.requestUpdate();
        continue;
      }
      if (this.inFlight.has(leader)) continue;
      const list = byNode.get(leader);
      if (list === undefined) byNode.set(leader, [state]);
      else list.push(state);
    }
    for (const [nodeId, partitions] of byNode) {
      const waitMs = (this.failedUntil.get(nodeId) ?? 0) - now;
      if (waitMs > 0) {
        this.retryLater(waitMs);
        continue;
      }
      const connection = this.pool.ready(nodeId);
      if (connection === null) {
        this.retryLater(this.pool.backoffRemainingMs(nodeId) + 10);
        continue;
      }
      void this.send(nodeId, connection, partitions);
    }
  }

  private retryLater(ms: number): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.maybeSend();
    }, Math.max(ms, 1));
  }

  private async send(nodeId: number, connection: BrokerConnection, partitions: PartitionState[]): Promise<void> {
    const version = connection.versionFor(ApiKey.Fetch, FETCH_MIN_VERSION, FETCH_MAX_VERSION);
    if (version === null) {
      this.hooks.fail(new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: `broker ${nodeId} serves no Fetch version in ${FETCH_MIN_VERSION}..${FETCH_MAX_VERSION}` }));
      return;
    }
    const wanted: SessionPartition[] = partitions.map((state) => ({
      topic: state.topic,
      partition: state.partition,
      fetchOffset: state.fetchPosition as bigint,
      currentLeaderEpoch: this.metadata.topic(state.topic)?.partitions[state.partition]?.leaderEpoch ?? -1,
      partitionMaxBytes: this.config.maxPartitionFetchBytes,
    }));
    const offsets = new Map(partitions.map((state) => [state.key, { fetchOffset: state.fetchPosition as bigint, epoch: state.epoch }]));
    // Fetch < v7 has no sessions: every request is a full one.
    let session = this.sessions.get(nodeId);
    if (session === undefined) this.sessions.set(nodeId, (session = new FetchSession()));
    const request: FetchSessionRequest = version >= 7 ? session.build(wanted) : { sessionId: 0, sessionEpoch: -1, toSend: wanted, toForget: [], full: true };
    const topics = new Map<string, { partition: number; currentLeaderEpoch: number; fetchOffset: bigint; partitionMaxBytes: number }[]>();
    for (const p of request.toSend) {
      const entry = { ...p, currentLeaderEpoch: version >= 9 ? p.currentLeaderEpoch : -1, lastFetchedEpoch: -1, logStartOffset: -1n, replicaDirectoryId: Buffer.alloc(16) };
      const list = topics.get(p.topic);
      if (list === undefined) topics.set(p.topic, [entry]);
      else list.push(entry);
    }
    const forgotten = new Map<string, number[]>();
    for (const p of request.toForget) forgotten.set(p.topic, [...(forgotten.get(p.topic) ?? []), p.partition]);
    this.inFlight.add(nodeId);
    this.metrics.fetchRequests++;
    if (request.full) this.metrics.fullFetches++;
    else this.metrics.incrementalFetches++;
    // BrokerConnection has no request timeout of its own: a broker that stops answering a long poll would hold
    // this node's fetches forever, so the connection is dropped after fetch.max.wait.ms + request.timeout.ms.
    const timer = setTimeout(() => connection.close(), this.config.fetchMaxWaitMs + this.config.requestTimeoutMs);
    let failed = false;
    try {
      const response = await connection.send(ApiKey.Fetch, version, {
        ...defaultFetchRequest(),
        maxWaitMs: this.config.fetchMaxWaitMs,
        minBytes: this.config.fetchMinBytes,
        maxBytes: this.config.fetchMaxBytes,
        isolationLevel: this.config.isolationLevel,
        sessionId: request.sessionId,
        sessionEpoch: request.sessionEpoch,
        topics: [...topics].map(([topic, list]) => ({ topic, topicId: Buffer.alloc(16), partitions: list.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch, fetchOffset: p.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.partitionMaxBytes, replicaDirectoryId: Buffer.alloc(16) })) })),
        forgottenTopicsData: [...forgotten].map(([topic, list]) => ({ topic, topicId: Buffer.alloc(16), partitions: list })),
      });
      if (version >= 7 && !session.handleResponse(request, response.errorCode, response.sessionId)) return;
      if (version < 7 && response.errorCode !== ErrorCode.NONE) return;
      this.failedUntil.delete(nodeId);
      this.handleResponse(response.responses, offsets);
    } catch {
      failed = true;
      this.failedUntil.set(nodeId, Date.now() + this.config.retryBackoffMs);
      session.handleError();
      this.metadata.requestUpdate();
      this.retryLater(this.config.retryBackoffMs);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(nodeId);
      if (!this.closed) {
        this.hooks.wakeup();
        // After a failure the node's next Fetch waits for retry.backoff.ms (failedUntil, retryLater): sending again
        // at once would turn a failure that repeats without I/O into a loop that never yields to the event loop.
        if (!failed) this.maybeSend();
      }
    }
  }

  private handleResponse(topics: readonly { topic: string; partitions: FetchResponsePartitionData[] }[], offsets: ReadonlyMap<string, { fetchOffset: bigint; epoch: number }>): void {
    const assigned = this.hooks.assigned();
    for (const topic of topics) {
      for (const data of topic.partitions) {
        const key = partitionKey(topic.topic, data.partitionIndex);
        const state = assigned.get(key);
        const sent = offsets.get(key);
        // Stale: the partition was revoked, sought or paused while the fetch was out (AbstractFetch checks the
        // position against the request's offset before using an answer).
        if (state === undefined || sent === undefined || state.epoch !== sent.epoch || state.fetchPosition !== sent.fetchOffset || state.paused) continue;
        const fetchOffset = sent.fetchOffset;
        if (data.errorCode === ErrorCode.NONE) {
          if (data.highWatermark >= 0n) state.highWatermark = data.highWatermark;
          if (data.lastStableOffset >= 0n) state.lastStableOffset = data.lastStableOffset;
          if (data.logStartOffset >= 0n) state.logStartOffset = data.logStartOffset;
          const bytes = data.records?.length ?? 0;
          if (bytes === 0) continue;
          const end = fetchEndOffset(data.records as Buffer, fetchOffset, this.config.isolationLevel === 1 ? data.lastStableOffset : -1n);
          if (end <= fetchOffset) continue;
          state.fetchPosition = end;
          state.bufferedFetches++;
          this.buffer.push({ state, epoch: state.epoch, fetchOffset, data, bytes });
          this.metrics.bufferedBytes += bytes;
          if (this.metrics.bufferedBytes > this.metrics.maxBufferedBytes) this.metrics.maxBufferedBytes = this.metrics.bufferedBytes;
          continue;
        }
        const action = fetchActionFor(data.errorCode);
        state.backoffUntilMs = Date.now() + this.config.retryBackoffMs;
        if (action === FetchAction.refreshMetadata) {
          this.metadata.requestUpdate();
        } else if (action === FetchAction.retry) {
          // backed off above
        } else if (action === FetchAction.resetOffset) {
          if (this.config.autoOffsetReset === 'none') {
            this.hooks.fail(new KafkaClientError({ code: data.errorCode, kind: ErrorKind.abortable, message: `offset ${fetchOffset} is out of range for ${topic.topic}-${data.partitionIndex} and auto.offset.reset is 'none'; seek() to a valid offset` }));
            state.paused = true;
          } else {
            state.resetTo = this.config.autoOffsetReset;
          }
        } else {
          this.hooks.fail(new KafkaClientError({ code: data.errorCode, kind: ErrorKind.fatal, message: `fetching ${topic.topic}-${data.partitionIndex} failed: ${errorName(data.errorCode)}` }));
        }
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.buffer.length = 0;
    this.metrics.bufferedBytes = 0;
  }
}
