// The client fetch session (FetchSessionHandlerTest's cases): full fetches while the broker hands out no session,
// incremental ones listing only changes once it does, and a full fetch again after a session error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSession, type SessionPartition } from './fetch-session.ts';

const p = (partition: number, fetchOffset: bigint): SessionPartition => ({ topic: 't', partition, fetchOffset, currentLeaderEpoch: 0, partitionMaxBytes: 100 });

describe('FetchSession', () => {
  it('keeps sending full fetches to a broker that answers session id 0', () => {
    const session = new FetchSession();
    for (let i = 0; i < 3; i++) {
      const request = session.build([p(0, BigInt(i)), p(1, 0n)]);
      assert.equal(request.full, true);
      assert.equal(request.sessionId, 0);
      assert.equal(request.sessionEpoch, 0);
      assert.equal(request.toSend.length, 2);
      assert.equal(session.handleResponse(request, 0, 0), true);
    }
  });

  it('sends only changed partitions and forgets removed ones once a session exists; restarts after an error', () => {
    const session = new FetchSession();
    const first = session.build([p(0, 0n), p(1, 0n)]);
    session.handleResponse(first, 0, 77);
    const second = session.build([p(0, 5n), p(1, 0n)]);
    assert.deepEqual([second.full, second.sessionId, second.sessionEpoch], [false, 77, 1]);
    assert.deepEqual(second.toSend.map((x) => x.partition), [0]);
    session.handleResponse(second, 0, 77);
    const third = session.build([p(0, 5n)]);
    assert.equal(third.sessionEpoch, 2);
    assert.deepEqual(third.toSend, []);
    assert.deepEqual(third.toForget, [{ topic: 't', partition: 1 }]);
    assert.equal(session.handleResponse(third, 71, 0), false, 'INVALID_FETCH_SESSION_EPOCH: ignore the answer');
    const fourth = session.build([p(0, 5n)]);
    assert.deepEqual([fourth.full, fourth.sessionId, fourth.sessionEpoch], [true, 77, 0], 'full fetch closing the old session');
  });
});
