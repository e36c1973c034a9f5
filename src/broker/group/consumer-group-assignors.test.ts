// The server-side assignors: balance, stickiness and subscription rules (Kafka's `UniformAssignorTest`,
// `RangeAssignorTest` in spirit: the exact partitions chosen may differ, the properties may not).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rangeAssignor, uniformAssignor, type Assignment, type AssignorMember } from './consumer-group-assignors.ts';

const member = (memberId: string, subscribedTopicIds: string[], currentTarget: Assignment = new Map()): AssignorMember => ({ memberId, subscribedTopicIds, currentTarget });
const count = (assignment: Assignment | undefined) => [...(assignment ?? new Map<string, Set<number>>()).values()].reduce((n, partitions) => n + partitions.size, 0);
const owners = (result: Map<string, Assignment>) => {
  const seen = new Map<string, string>();
  for (const [memberId, assignment] of result) {
    for (const [topicId, partitions] of assignment) {
      for (const partition of partitions) {
        const key = `${topicId}-${partition}`;
        assert.equal(seen.has(key), false, `${key} assigned twice`);
        seen.set(key, memberId);
      }
    }
  }
  return seen;
};

describe('uniform assignor', () => {
  it('balances 24 partitions over 6 members and assigns each exactly once', () => {
    const members = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => member(id, ['t1', 't2']));
    const result = uniformAssignor.assign({ members, partitionCounts: new Map([['t1', 16], ['t2', 8]]) });
    assert.equal(owners(result).size, 24);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) assert.equal(count(result.get(id)), 4);
  });

  it('uneven counts differ by at most one', () => {
    const members = ['a', 'b', 'c'].map((id) => member(id, ['t']));
    const result = uniformAssignor.assign({ members, partitionCounts: new Map([['t', 7]]) });
    const counts = ['a', 'b', 'c'].map((id) => count(result.get(id))).sort();
    assert.deepEqual(counts, [2, 2, 3]);
  });

  it('is sticky: a joining member takes partitions only from the others\' surplus', () => {
    const first = uniformAssignor.assign({ members: [member('a', ['t']), member('b', ['t'])], partitionCounts: new Map([['t', 6]]) });
    const second = uniformAssignor.assign({
      members: [member('a', ['t'], first.get('a')), member('b', ['t'], first.get('b')), member('c', ['t'])],
      partitionCounts: new Map([['t', 6]]),
    });
    for (const id of ['a', 'b']) {
      const before = first.get(id)?.get('t') ?? new Set<number>();
      const after = second.get(id)?.get('t') ?? new Set<number>();
      assert.equal(after.size, 2);
      for (const partition of after) assert.ok(before.has(partition), `${id} kept ${partition}`);
    }
    assert.equal(count(second.get('c')), 2);
  });

  it('gives a topic only to members subscribed to it', () => {
    const result = uniformAssignor.assign({ members: [member('a', ['t1']), member('b', ['t2'])], partitionCounts: new Map([['t1', 3], ['t2', 1]]) });
    assert.deepEqual([...(result.get('a')?.keys() ?? [])], ['t1']);
    assert.equal(count(result.get('a')), 3);
    assert.deepEqual([...(result.get('b')?.keys() ?? [])], ['t2']);
  });
});

describe('range assignor', () => {
  it('gives contiguous ranges per topic in member-id order, the first members one more', () => {
    const result = rangeAssignor.assign({ members: [member('b', ['t']), member('a', ['t'])], partitionCounts: new Map([['t', 5]]) });
    assert.deepEqual([...(result.get('a')?.get('t') ?? [])], [0, 1, 2]);
    assert.deepEqual([...(result.get('b')?.get('t') ?? [])], [3, 4]);
  });
});
