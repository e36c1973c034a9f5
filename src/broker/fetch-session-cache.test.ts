// The fetch session cache and contexts, scenarios named after Kafka's FetchSessionTest.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultFetchRequest, type FetchRequest, type FetchRequestFetchPartition, type FetchResponsePartitionData } from '../protocol/messages/generated/01-fetch.ts';
import { ErrorCode } from '../protocol/errors/index.ts';
import { FINAL_EPOCH, FetchSessionCache, INVALID_SESSION_ID, newFetchContext, nextEpoch, type FetchSession } from './fetch-session-cache.ts';

const VERSION = 12; // topics by name
const NO_ID = Buffer.alloc(16);

function partition(index: number, fetchOffset = 0n): FetchRequestFetchPartition {
  return { partition: index, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024, replicaDirectoryId: NO_ID };
}

function request(sessionId: number, sessionEpoch: number, parts: readonly [string, number][], forget: readonly [string, number][] = []): FetchRequest {
  return {
    ...defaultFetchRequest(),
    sessionId,
    sessionEpoch,
    topics: parts.map(([topic, index]) => ({ topic, topicId: NO_ID, partitions: [partition(index)] })),
    forgottenTopicsData: forget.map(([topic, index]) => ({ topic, topicId: NO_ID, partitions: [index] })),
  };
}

function data(index: number, highWatermark: bigint, options: { records?: number; errorCode?: number; logStartOffset?: bigint } = {}): FetchResponsePartitionData {
  return {
    partitionIndex: index,
    errorCode: options.errorCode ?? ErrorCode.NONE,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset: options.logStartOffset ?? 0n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: Buffer.alloc(options.records ?? 0),
  };
}

/** Creates a session of `parts` the way a full fetch does, every partition answered with high watermark `hw`. */
function createSession(cache: FetchSessionCache, now: number, parts: readonly [string, number][], hw = 0n): number {
  const full = request(INVALID_SESSION_ID, 0, parts);
  assert.equal(newFetchContext(cache, full, VERSION, now).kind, 'full');
  return cache.maybeCreateSession(now, false, parts.length, false, (session) => {
    for (const topic of full.topics) session.addPartition(topic, topic.partitions[0], data(topic.partitions[0].partition, hw));
  });
}

function sessionOf(cache: FetchSessionCache, id: number): FetchSession {
  const session = cache.get(id);
  assert.ok(session !== undefined, `session ${id} exists`);
  return session;
}

describe('FetchSessionCache', () => {
  it('testNewSessionId / testSessionCache: ids are positive and unique; the cache refuses past its slots', () => {
    const cache = new FetchSessionCache({ maxEntries: 3, evictionMs: 100, maxPartitionsPerSession: () => 100 });
    const ids = [createSession(cache, 0, [['a', 0]]), createSession(cache, 10, [['a', 0]]), createSession(cache, 20, [['a', 0]])];
    for (const id of ids) assert.ok(id > 0);
    assert.equal(new Set(ids).size, 3);
    // Full, nothing stale, and no session older than the eviction time: no room for a session of equal size.
    assert.equal(createSession(cache, 30, [['a', 0]]), INVALID_SESSION_ID);
    assert.equal(cache.size, 3);
    assert.equal(cache.totalPartitions, 3);
  });

  it('testSessionCache: a stale session (idle past the eviction time) is evicted, least recently used first', () => {
    const cache = new FetchSessionCache({ maxEntries: 2, evictionMs: 100, maxPartitionsPerSession: () => 100 });
    const first = createSession(cache, 0, [['a', 0]]);
    const second = createSession(cache, 10, [['a', 0]]);
    cache.touch(sessionOf(cache, first), 50);
    const third = createSession(cache, 120, [['a', 0]]);
    assert.notEqual(third, INVALID_SESSION_ID);
    assert.equal(cache.get(second), undefined, 'the least recently used session went');
    assert.ok(cache.get(first) !== undefined);
    assert.equal(cache.evictions, 1);
  });

  it('testPrivilegedSessionHandling / eviction by size: a larger newcomer evicts the smallest session past the eviction time', () => {
    const cache = new FetchSessionCache({ maxEntries: 2, evictionMs: 100, maxPartitionsPerSession: () => 100 });
    const small = createSession(cache, 0, [['a', 0]]);
    const large = createSession(cache, 0, [['a', 0], ['a', 1], ['a', 2]]);
    // Both used recently (not stale), both created long ago: evictable by anyone.
    cache.touch(sessionOf(cache, small), 150);
    cache.touch(sessionOf(cache, large), 150);
    assert.equal(createSession(cache, 160, [['b', 0]]), INVALID_SESSION_ID, 'equal size does not evict');
    const id = createSession(cache, 160, [['b', 0], ['b', 1]]);
    assert.notEqual(id, INVALID_SESSION_ID);
    assert.equal(cache.get(small), undefined);
    assert.ok(cache.get(large) !== undefined);
    assert.equal(cache.totalPartitions, 5);
  });

  it('testIncrementalFetchSession: epochs advance, partitions are added, updated and forgotten', () => {
    const cache = new FetchSessionCache({ maxEntries: 10, evictionMs: 1000, maxPartitionsPerSession: () => 100 });
    const id = createSession(cache, 0, [['a', 0], ['a', 1]]);
    const session = sessionOf(cache, id);
    assert.equal(session.epoch, 1);
    const incremental = request(id, 1, [['b', 0]], [['a', 1]]);
    incremental.topics[0].partitions[0].fetchOffset = 7n;
    const context = newFetchContext(cache, incremental, VERSION, 1);
    assert.equal(context.kind, 'incremental');
    assert.equal(session.epoch, 2);
    assert.deepEqual([...session.partitions.keys()], ['0:a', '0:b']);
    assert.equal(session.partitions.get('0:b')?.request.fetchOffset, 7n);
    assert.equal(cache.totalPartitions, 2);
  });

  it('testIncrementalFetchSession: the answer names only partitions with records, a moved high watermark or log start, or an error', () => {
    const cache = new FetchSessionCache({ maxEntries: 10, evictionMs: 1000, maxPartitionsPerSession: () => 100 });
    const id = createSession(cache, 0, [['a', 0], ['a', 1], ['a', 2], ['a', 3]], 5n);
    const session = sessionOf(cache, id);
    const answer = (partitions: FetchResponsePartitionData[]) => session.selectChanged([{ topic: 'a', topicId: NO_ID, partitions }]);
    assert.deepEqual(answer([data(0, 5n), data(1, 5n), data(2, 5n), data(3, 5n)]), [], 'nothing changed');
    const changed = answer([data(0, 5n), data(1, 6n, { records: 10 }), data(2, 5n, { logStartOffset: 2n }), data(3, 5n, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })]);
    assert.deepEqual(changed[0]?.partitions.map((p) => p.partitionIndex), [1, 2, 3]);
    // The errored partition is sent again once it recovers, though its high watermark is what it was.
    assert.deepEqual(answer([data(0, 5n), data(1, 6n), data(2, 5n, { logStartOffset: 2n }), data(3, 5n)])[0]?.partitions.map((p) => p.partitionIndex), [3]);
    // The partition that returned records moved to the end of the fetch order.
    assert.deepEqual([...session.partitions.keys()], ['0:a', '2:a', '3:a', '1:a']);
  });

  it('testFetchRequests: unknown session, wrong epoch, topic-id mismatch, FINAL_EPOCH, and an emptied session', () => {
    const cache = new FetchSessionCache({ maxEntries: 10, evictionMs: 1000, maxPartitionsPerSession: () => 100 });
    const id = createSession(cache, 0, [['a', 0]]);
    assert.deepEqual(newFetchContext(cache, request(id + 1, 1, []), VERSION, 1), { kind: 'session-error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
    assert.deepEqual(newFetchContext(cache, request(id, 5, []), VERSION, 1), { kind: 'session-error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
    assert.deepEqual(newFetchContext(cache, request(id, 1, []), 13, 1), { kind: 'session-error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR });
    assert.equal(sessionOf(cache, id).epoch, 1, 'errors leave the session as it was');
    // Forgetting the last partition closes the session; the request is then served sessionless.
    assert.equal(newFetchContext(cache, request(id, 1, [], [['a', 0]]), VERSION, 1).kind, 'sessionless');
    assert.equal(cache.get(id), undefined);
    // A full fetch naming a session closes it; with FINAL_EPOCH it creates none.
    const other = createSession(cache, 2, [['a', 0]]);
    assert.equal(newFetchContext(cache, request(other, FINAL_EPOCH, [['a', 0]]), VERSION, 3).kind, 'sessionless');
    assert.equal(cache.get(other), undefined);
    assert.equal(cache.size, 0);
    assert.equal(newFetchContext(cache, request(INVALID_SESSION_ID, FINAL_EPOCH, [['a', 0]]), VERSION, 3).kind, 'sessionless');
  });

  it('a session holds at most maxPartitionsPerSession partitions: no session past it, and one that grows past it closes', () => {
    const cache = new FetchSessionCache({ maxEntries: 10, evictionMs: 1000, maxPartitionsPerSession: () => 2 });
    assert.equal(createSession(cache, 0, [['a', 0], ['a', 1], ['a', 2]]), INVALID_SESSION_ID);
    const id = createSession(cache, 0, [['a', 0], ['a', 1]]);
    assert.notEqual(id, INVALID_SESSION_ID);
    assert.equal(newFetchContext(cache, request(id, 1, [['a', 0]]), VERSION, 1).kind, 'incremental', 'an update within the bound');
    assert.equal(newFetchContext(cache, request(id, 2, [['a', 2]]), VERSION, 1).kind, 'sessionless');
    assert.equal(cache.get(id), undefined);
    assert.equal(cache.totalPartitions, 0);
  });

  it('nextEpoch wraps to 1 and keeps FINAL_EPOCH final', () => {
    assert.equal(nextEpoch(0), 1);
    assert.equal(nextEpoch(0x7fffffff), 1);
    assert.equal(nextEpoch(FINAL_EPOCH), FINAL_EPOCH);
  });
});
