// The assignors on the layouts Kafka's own tests use (RangeAssignorTest, RoundRobinAssignorTest,
// CooperativeStickyAssignorTest): balance, determinism, and the incremental two-phase move.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assignCooperativeSticky, assignRange, assignRoundRobin, type AssignorMember } from './assignors.ts';

function member(memberId: string, topics: string[], owned: Record<string, number[]> = {}, generationId = -1): AssignorMember {
  return { memberId, groupInstanceId: null, subscription: { topics, ownedPartitions: new Map(Object.entries(owned)), generationId } };
}

const flat = (assignment: Map<string, Map<string, number[]>>): Record<string, string[]> =>
  Object.fromEntries([...assignment].map(([id, topics]) => [id, [...topics].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).sort()]));

describe('assignors', () => {
  it('range: contiguous ranges per topic, the first members take the remainder', () => {
    const result = flat(assignRange([member('c1', ['t']), member('c0', ['t'])], new Map([['t', 5]])));
    assert.deepEqual(result, { c0: ['t-0', 't-1', 't-2'], c1: ['t-3', 't-4'] });
  });

  it('roundrobin: deals partitions across topics, skipping members not subscribed', () => {
    const result = flat(assignRoundRobin([member('a', ['t1', 't2']), member('b', ['t2'])], new Map([['t1', 2], ['t2', 2]])));
    assert.deepEqual(result, { a: ['t1-0', 't1-1', 't2-1'], b: ['t2-0'] });
  });

  it('cooperative-sticky: a new member gets nothing that another member still owns in this round', () => {
    const first = assignCooperativeSticky([member('a', ['t'], { t: [0, 1, 2, 3] }, 1), member('b', ['t'])], new Map([['t', 4]]));
    const result = flat(first);
    assert.equal(result.a.length, 2, 'a keeps half');
    assert.deepEqual(result.b, [], 'b waits for a to revoke');
    // After a revoked its two, the follow-up round hands them over.
    const kept = first.get('a')?.get('t') ?? [];
    const second = flat(assignCooperativeSticky([member('a', ['t'], { t: kept }, 2), member('b', ['t'], {}, 2)], new Map([['t', 4]])));
    assert.deepEqual(second.a, kept.map((p) => `t-${p}`));
    assert.equal(second.b.length, 2);
  });

  it('cooperative-sticky: the newest generation wins a partition claimed twice', () => {
    const result = flat(assignCooperativeSticky([member('a', ['t'], { t: [0] }, 1), member('b', ['t'], { t: [0] }, 3)], new Map([['t', 2]])));
    assert.deepEqual(result, { a: ['t-1'], b: ['t-0'] });
  });
});
