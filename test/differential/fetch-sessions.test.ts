// Incremental fetch sessions (KIP-227), differentially: a full fetch at epoch 0 creates a session, incremental
// fetches (epoch 1, 2, ...) answer only partitions with news (Kafka's `CachedPartition.maybeUpdateResponseData`),
// forgotten partitions leave the session, a wrong epoch is INVALID_FETCH_SESSION_EPOCH, an unknown session id
// FETCH_SESSION_ID_NOT_FOUND, and FINAL_EPOCH closes the session (Kafka's `FetchManager.newContext`).
// Session ids are random on both brokers: the field is allowed to differ where a session is named, and each
// target's own id is captured and sent back.
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/messages/generated/01-fetch.ts';
import { iterateRecordBatches } from '../../src/protocol/records/index.ts';
import { requestStep } from './differential.ts';
import type { Scenario, Step, TargetContext } from './differential.ts';
import { fetchPartition, fetchRequestV12, produceManyStep } from './steps.ts';
import { describeDifferentialScenarios } from './targets.ts';

const NO_ID = Buffer.alloc(16);

interface SessionFetch {
  /** 'new' (id 0), 'current' (the captured session) or 'unknown' (an id this broker never gave). */
  session: 'new' | 'current' | 'unknown';
  epoch: number;
  /** Partitions of topic 't' to add or update, with their fetch offsets. */
  partitions?: readonly [number, bigint][];
  forget?: readonly number[];
}

interface SessionExpectation {
  error?: keyof typeof ErrorCode;
  /** 'same' as captured, 'new' (a non-zero id, captured), or 0. */
  sessionId: 'same' | 'new' | 0;
  /** Partition index -> record offsets returned, exactly the partitions the answer names. */
  partitions: Readonly<Record<number, readonly bigint[]>>;
}

function sessionIdOf(ctx: TargetContext, session: SessionFetch['session']): number {
  if (session === 'new') return 0;
  const current = ctx.get<number>('session');
  // An id this broker never gave: the captured one with its low bits changed (ids are unique, never 0).
  return session === 'current' ? current : (current ^ 0x5a5a) || 1;
}

function sessionFetchStep(title: string, fetch: SessionFetch, expected: SessionExpectation): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Fetch,
    version: 12,
    build: (ctx) =>
      fetchRequestV12(
        (fetch.partitions ?? []).length === 0
          ? []
          : [{ topic: ctx.topic('t'), topicId: NO_ID, partitions: (fetch.partitions ?? []).map(([partition, fetchOffset]) => fetchPartition(partition, fetchOffset)) }],
        {
          sessionId: sessionIdOf(ctx, fetch.session),
          sessionEpoch: fetch.epoch,
          forgottenTopicsData: (fetch.forget ?? []).length === 0 ? [] : [{ topic: ctx.topic('t'), topicId: NO_ID, partitions: [...(fetch.forget ?? [])] }],
        },
      ),
    // Each broker's session id is its own random number; `expect` checks it relationally.
    allow: expected.sessionId === 0 ? [] : ['sessionId'],
    capture(response: FetchResponse, ctx) {
      if (expected.sessionId === 'new') ctx.remember('session', response.sessionId);
    },
    expect(response: FetchResponse, ctx) {
      assert.equal(response.errorCode, ErrorCode[expected.error ?? 'NONE'], 'top-level error');
      if (expected.sessionId === 0) assert.equal(response.sessionId, 0, 'session id');
      else if (expected.sessionId === 'same') assert.equal(response.sessionId, ctx.get<number>('session'), 'session id');
      else assert.notEqual(response.sessionId, 0, 'a session was created');
      const named: Record<number, bigint[]> = {};
      for (const topic of response.responses) {
        for (const data of topic.partitions) {
          assert.equal(data.errorCode, ErrorCode.NONE);
          named[data.partitionIndex] = [...iterateRecordBatches(data.records ?? Buffer.alloc(0))].flatMap((batch) => batch.records.map((record) => record.offset));
        }
      }
      assert.deepEqual(named, expected.partitions, 'partitions answered and their record offsets');
    },
  });
}

const scenarios: Scenario[] = [
  {
    name: 'KIP-227 fetch sessions: create, incremental answers only what changed, forget, bad epoch, unknown id, close (FetchManager.newContext)',
    topics: { t: { partitions: 2 } },
    steps: [
      produceManyStep('2 records to p0, 1 to p1', [{ partition: 0, count: 2 }, { partition: 1, count: 1 }], [{ baseOffset: 0n }, { baseOffset: 0n }]),
      sessionFetchStep('full fetch at epoch 0 creates a session', { session: 'new', epoch: 0, partitions: [[0, 0n], [1, 0n]] }, { sessionId: 'new', partitions: { 0: [0n, 1n], 1: [0n] } }),
      sessionFetchStep('incremental epoch 1 moving both fetch offsets: nothing changed, no partitions', { session: 'current', epoch: 1, partitions: [[0, 2n], [1, 1n]] }, { sessionId: 'same', partitions: {} }),
      sessionFetchStep('incremental epoch 2 naming nothing: still nothing', { session: 'current', epoch: 2 }, { sessionId: 'same', partitions: {} }),
      produceManyStep('1 record to p1', [{ partition: 1, count: 1 }], [{ baseOffset: 1n }]),
      sessionFetchStep('incremental epoch 3 after the produce: only p1', { session: 'current', epoch: 3 }, { sessionId: 'same', partitions: { 1: [1n] } }),
      sessionFetchStep('incremental epoch 4 forgets p0 and moves p1 on', { session: 'current', epoch: 4, partitions: [[1, 2n]], forget: [0] }, { sessionId: 'same', partitions: {} }),
      produceManyStep('1 record to each partition', [{ partition: 0, count: 1 }, { partition: 1, count: 1 }], [{ baseOffset: 2n }, { baseOffset: 2n }]),
      sessionFetchStep('incremental epoch 5: p1 only (p0 was forgotten)', { session: 'current', epoch: 5 }, { sessionId: 'same', partitions: { 1: [2n] } }),
      sessionFetchStep('a repeated epoch is INVALID_FETCH_SESSION_EPOCH', { session: 'current', epoch: 5 }, { error: 'INVALID_FETCH_SESSION_EPOCH', sessionId: 0, partitions: {} }),
      sessionFetchStep('an unknown session id is FETCH_SESSION_ID_NOT_FOUND', { session: 'unknown', epoch: 1 }, { error: 'FETCH_SESSION_ID_NOT_FOUND', sessionId: 0, partitions: {} }),
      // p0 comes back as a new partition (answered whatever its high watermark); p1's fetch offset was not moved
      // past the record it returned, so the broker reads it again.
      sessionFetchStep('the session survives the errors: epoch 6 re-adds p0', { session: 'current', epoch: 6, partitions: [[0, 2n]] }, { sessionId: 'same', partitions: { 0: [2n], 1: [2n] } }),
      sessionFetchStep('FINAL_EPOCH closes the session; the fetch is served sessionless', { session: 'current', epoch: -1, partitions: [[0, 3n]] }, { sessionId: 0, partitions: { 0: [] } }),
      sessionFetchStep('the closed session is FETCH_SESSION_ID_NOT_FOUND', { session: 'current', epoch: 7 }, { error: 'FETCH_SESSION_ID_NOT_FOUND', sessionId: 0, partitions: {} }),
    ],
  },
];

describeDifferentialScenarios('fetch sessions: Apache Kafka vs seqlog', scenarios);
