// Incremental fetch sessions (KIP-227), as Kafka's `FetchSessionCache`, `FetchSession` and `FetchManager`.
//
// A full fetch (epoch 0) may create a session: the broker remembers the fetched partitions, each with its request
// parameters and the high watermark and log start offset it last sent. The client then sends only what changed
// (epoch 1, 2, ...; `forgottenTopicsData` drops partitions), and the answer names only partitions with news:
// records, a moved high watermark or log start offset, or an error (`CachedPartition.maybeUpdateResponseData`).
// The last stable offset is not compared, as in Kafka: on one node it moves only when a marker is appended, which
// moves the high watermark too.
//
// Memory is bounded by `max.incremental.fetch.session.cache.slots` sessions; a session holds its partition list and
// nothing else, and that list is bounded too (seqlog's own rule; Kafka has none): a session may hold at most
// `maxPartitionsPerSession()` partitions (the broker passes the partitions it has plus an allowance for deleted
// ones). A full fetch naming more creates no session; an incremental one that grows past it closes its session and
// is served sessionless, as Kafka serves a request that emptied its session, so the client falls back to full
// fetches instead of making the broker remember partitions that do not exist. When the cache is full a new session may evict one (`FetchSessionCache.tryEvict`): first the least
// recently used one if it has been idle longer than `min.incremental.fetch.session.eviction.ms`, otherwise the
// smallest evictable one (privileged, then partition count, then id) if the newcomer outranks it. Sessions younger
// than the eviction time are only evictable by privileged (follower) sessions; seqlog has no followers, so every
// session it creates is unprivileged, but the cache keeps Kafka's ordering so the rule reads the same.
import { randomInt } from 'node:crypto';
import type {
  FetchRequest,
  FetchRequestFetchPartition,
  FetchRequestFetchTopic,
  FetchResponsePartitionData,
} from '../protocol/messages/generated/01-fetch.ts';
import { ErrorCode } from '../protocol/errors/index.ts';
import { TOPIC_ID_MIN_VERSION, type PlannedTopic } from './fetch-plan.ts';

/** `FetchMetadata.INVALID_SESSION_ID`: no session (a sessionless fetch, or the cache had no room). */
export const INVALID_SESSION_ID = 0;
/** `FetchMetadata.INITIAL_EPOCH`: a full fetch that asks for a new session. */
export const INITIAL_EPOCH = 0;
/** `FetchMetadata.FINAL_EPOCH`: a full fetch that closes its session and creates none. */
export const FINAL_EPOCH = -1;

/** `FetchMetadata.nextEpoch`: epochs count up from 1, wrap to 1, and FINAL_EPOCH stays final. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  if (epoch === 0x7fffffff) return 1;
  return epoch + 1;
}

/** How a partition is named in a session: topic id (Fetch v13+, KIP-516) or topic name, and the index. */
export function partitionKey(topic: FetchRequestFetchTopic | { topic: string; topicId: Buffer }, partition: number, usesTopicIds: boolean): string {
  return `${partition}:${usesTopicIds ? topic.topicId.toString('hex') : topic.topic}`;
}

/** One partition of a session: what the client last asked for and what the broker last told it. */
export class CachedPartition {
  /** -1 (Kafka's invalid high watermark) until sent, and after an error so that recovery is sent. */
  highWatermark = -1n;
  logStartOffset = -1n;

  constructor(
    readonly key: string,
    readonly topic: string,
    readonly topicId: Buffer,
    /** The request parameters (fetch offset, max bytes, leader epoch), replaced by each incremental update. */
    public request: FetchRequestFetchPartition,
  ) {}

  /** Whether `data` must be sent; with `update`, remembers what was sent (Kafka's `maybeUpdateResponseData`). */
  maybeUpdateResponseData(data: FetchResponsePartitionData, update: boolean): boolean {
    let mustRespond = (data.records?.length ?? 0) > 0;
    if (this.highWatermark !== data.highWatermark) {
      mustRespond = true;
      if (update) this.highWatermark = data.highWatermark;
    }
    if (this.logStartOffset !== data.logStartOffset) {
      mustRespond = true;
      if (update) this.logStartOffset = data.logStartOffset;
    }
    if (data.preferredReadReplica !== -1) mustRespond = true;
    if (data.errorCode !== ErrorCode.NONE) {
      if (update) this.highWatermark = -1n;
      mustRespond = true;
    }
    if (data.divergingEpoch.epoch !== -1 || data.divergingEpoch.endOffset !== -1n) mustRespond = true;
    return mustRespond;
  }
}

export class FetchSession {
  /** Partitions in fetch order; a partition that returned records moves to the end (fairness across partitions). */
  readonly partitions = new Map<string, CachedPartition>();
  lastUsedMs: number;
  /** Partition count when last touched, the size its eviction rank uses. */
  cachedSize = 0;
  evictableByAll = false;
  evictableByPrivileged = false;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
    /** The epoch the next incremental request must carry. */
    public epoch: number,
  ) {
    this.lastUsedMs = creationMs;
  }

  get size(): number {
    return this.partitions.size;
  }

  /** Adds or updates the request's partitions and drops the forgotten ones (Kafka's `FetchSession.update`). */
  update(request: FetchRequest): void {
    for (const topic of request.topics) {
      for (const partition of topic.partitions) {
        const key = partitionKey(topic, partition.partition, this.usesTopicIds);
        const cached = this.partitions.get(key);
        if (cached === undefined) this.partitions.set(key, new CachedPartition(key, topic.topic, topic.topicId, partition));
        else cached.request = partition;
      }
    }
    for (const forgotten of request.forgottenTopicsData) {
      for (const partition of forgotten.partitions) this.partitions.delete(partitionKey(forgotten, partition, this.usesTopicIds));
    }
  }

  /** The session's partitions in fetch order, consecutive partitions of one topic sharing a topic entry. */
  plannedTopics(): PlannedTopic[] {
    const topics: PlannedTopic[] = [];
    let last: PlannedTopic | undefined;
    let lastTopicKey = '';
    for (const cached of this.partitions.values()) {
      const topicKey = this.usesTopicIds ? cached.topicId.toString('hex') : cached.topic;
      if (last === undefined || topicKey !== lastTopicKey) {
        last = { topic: { topic: cached.topic, topicId: cached.topicId, partitions: [] }, partitions: [] };
        topics.push(last);
        lastTopicKey = topicKey;
      }
      last.partitions.push(cached.request);
    }
    return topics;
  }

  /** Adds a partition of the full fetch that created the session, with what that fetch answered. */
  addPartition(topic: FetchRequestFetchTopic, request: FetchRequestFetchPartition, sent: FetchResponsePartitionData): void {
    const key = partitionKey(topic, request.partition, this.usesTopicIds);
    const cached = new CachedPartition(key, topic.topic, topic.topicId, request);
    cached.highWatermark = sent.highWatermark;
    cached.logStartOffset = sent.logStartOffset;
    this.partitions.set(key, cached);
  }

  /**
   * Keeps in each topic's partitions only what the client must hear about, and records it as sent; partitions that
   * carried records move to the end of the session (Kafka's `IncrementalFetchContext.PartitionIterator`). Topics
   * left without partitions are dropped, so an answer with no news has an empty `responses`.
   */
  selectChanged<T extends { topic: string; topicId: Buffer; partitions: FetchResponsePartitionData[] }>(responses: T[]): T[] {
    for (const response of responses) {
      response.partitions = response.partitions.filter((data) => {
        const key = partitionKey(response, data.partitionIndex, this.usesTopicIds);
        const cached = this.partitions.get(key);
        if (cached === undefined || !cached.maybeUpdateResponseData(data, true)) return false;
        if ((data.records?.length ?? 0) > 0) {
          this.partitions.delete(key);
          this.partitions.set(key, cached);
        }
        return true;
      });
    }
    // Kafka groups the answer's consecutive partitions of one topic (`FetchResponse.of`): dropping a partition can
    // bring two entries of the same topic together.
    const kept: T[] = [];
    for (const response of responses) {
      if (response.partitions.length === 0) continue;
      const last = kept[kept.length - 1];
      if (last !== undefined && (this.usesTopicIds ? last.topicId.equals(response.topicId) : last.topic === response.topic)) {
        last.partitions.push(...response.partitions);
      } else {
        kept.push(response);
      }
    }
    return kept;
  }
}

export interface FetchSessionCacheOptions {
  /** `max.incremental.fetch.session.cache.slots` (Kafka: 1000). */
  readonly maxEntries: number;
  /** `min.incremental.fetch.session.eviction.ms` (Kafka: 120000). */
  readonly evictionMs: number;
  /** The most partitions one session may hold; read only when a session would be created or grow. */
  readonly maxPartitionsPerSession: () => number;
}

/** (privileged, size, id), compared in that order (Kafka's `EvictableKey`). */
function compareEvictable(aPrivileged: boolean, aSize: number, aId: number, b: FetchSession): number {
  if (aPrivileged !== b.privileged) return aPrivileged ? 1 : -1;
  if (aSize !== b.cachedSize) return aSize - b.cachedSize;
  return aId - b.id;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private partitionCount = 0;
  /** Sessions evicted to make room (Kafka's `IncrementalFetchSessionEvictionsPerSec`, as a count). */
  evictions = 0;

  constructor(private readonly options: FetchSessionCacheOptions) {}

  /** Whether a session of `size` partitions is within the per-session bound. */
  fits(size: number): boolean {
    return size <= this.options.maxPartitionsPerSession();
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /** Kafka's `NumIncrementalFetchSessions`. */
  get size(): number {
    return this.sessions.size;
  }

  /** Kafka's `NumIncrementalFetchPartitionsCached`. */
  get totalPartitions(): number {
    return this.partitionCount;
  }

  /**
   * Creates a session if there is room or one can be evicted; returns its id, or INVALID_SESSION_ID (the client
   * then keeps sending full fetches). `fill` adds the partitions.
   */
  maybeCreateSession(now: number, privileged: boolean, size: number, usesTopicIds: boolean, fill: (session: FetchSession) => void): number {
    if (!this.fits(size)) return INVALID_SESSION_ID;
    if (this.sessions.size >= this.options.maxEntries && !this.tryEvict(privileged, size, now)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.newSessionId(), privileged, usesTopicIds, now, nextEpoch(INITIAL_EPOCH));
    fill(session);
    this.sessions.set(session.id, session);
    session.cachedSize = -1;
    this.touch(session, now);
    return session.id;
  }

  /**
   * Makes room for a new session of `size` partitions (Kafka's `FetchSessionCache.tryEvict`): the least recently
   * used session if stale, else the lowest-ranked evictable session if the newcomer ranks at least as high.
   * A linear scan: it runs only when every slot is taken, over at most `maxEntries` sessions.
   */
  tryEvict(privileged: boolean, size: number, now: number): boolean {
    let leastRecent: FetchSession | undefined;
    let lowest: FetchSession | undefined;
    for (const session of this.sessions.values()) {
      if (leastRecent === undefined || session.lastUsedMs < leastRecent.lastUsedMs || (session.lastUsedMs === leastRecent.lastUsedMs && session.id < leastRecent.id)) {
        leastRecent = session;
      }
      const evictable = privileged ? session.evictableByPrivileged : session.evictableByAll;
      if (evictable && (lowest === undefined || compareEvictable(session.privileged, session.cachedSize, session.id, lowest) < 0)) lowest = session;
    }
    if (leastRecent === undefined) return false;
    if (now - leastRecent.lastUsedMs > this.options.evictionMs) {
      this.remove(leastRecent.id);
      this.evictions++;
      return true;
    }
    // The newcomer's key has id 0, so it outranks a session of equal rank only by being larger or privileged.
    if (lowest === undefined || compareEvictable(privileged, size, 0, lowest) < 0) return false;
    this.remove(lowest.id);
    this.evictions++;
    return true;
  }

  remove(id: number): FetchSession | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    this.sessions.delete(id);
    this.partitionCount -= session.cachedSize;
    return session;
  }

  /** Records a use: refreshes the last-used time, size and evictability (Kafka's `FetchSessionCache.touch`). */
  touch(session: FetchSession, now: number): void {
    session.lastUsedMs = now;
    if (session.cachedSize !== -1) this.partitionCount -= session.cachedSize;
    session.cachedSize = session.size;
    this.partitionCount += session.cachedSize;
    const old = now - session.creationMs > this.options.evictionMs;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }

  private newSessionId(): number {
    for (;;) {
      const id = randomInt(1, 0x7fffffff);
      if (!this.sessions.has(id)) return id;
    }
  }
}

/** What one Fetch request is, against the session cache (Kafka's `FetchContext` subclasses). */
export type FetchContext =
  /** A session id or epoch that does not match: answered with the error and no partitions. */
  | { readonly kind: 'session-error'; readonly errorCode: number }
  /** Session id 0 with FINAL_EPOCH, or an incremental request that left its session empty. */
  | { readonly kind: 'sessionless' }
  /** Epoch 0: read the request's partitions, then try to create a session of them. */
  | { readonly kind: 'full' }
  /** Read the session's partitions; answer only those with news. */
  | { readonly kind: 'incremental'; readonly session: FetchSession; readonly expectedEpoch: number };

/** Kafka's `FetchManager.newContext`: closes, creates or advances sessions as the request's metadata says. */
export function newFetchContext(cache: FetchSessionCache, request: FetchRequest, version: number, now: number): FetchContext {
  const { sessionId, sessionEpoch } = request;
  if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
    // Any session named in a full fetch is closed; FINAL_EPOCH asks for no new one.
    if (sessionId !== INVALID_SESSION_ID) cache.remove(sessionId);
    return sessionEpoch === FINAL_EPOCH ? { kind: 'sessionless' } : { kind: 'full' };
  }
  const session = cache.get(sessionId);
  if (session === undefined) return { kind: 'session-error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  if (session.epoch !== sessionEpoch) return { kind: 'session-error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
  // A session keyed by topic ids cannot serve a request that names topics, nor the reverse (KIP-516).
  if (session.usesTopicIds !== version >= TOPIC_ID_MIN_VERSION) return { kind: 'session-error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
  const sizeBefore = session.size;
  session.update(request);
  if (session.size === 0 || (session.size > sizeBefore && !cache.fits(session.size))) {
    cache.remove(session.id);
    return { kind: 'sessionless' };
  }
  cache.touch(session, now);
  session.epoch = nextEpoch(session.epoch);
  return { kind: 'incremental', session, expectedEpoch: session.epoch };
}
