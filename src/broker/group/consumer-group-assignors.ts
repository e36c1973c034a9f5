// The server-side assignors of KIP-848 consumer groups (`group.consumer.assignors`): `uniform` (Kafka's
// `UniformAssignor`, the default) and `range` (Kafka's server-side `RangeAssignor`). An assignor maps the members'
// subscriptions, the subscribed topics' partition counts and the current target assignment to a new target
// assignment. Both are sticky as Kafka's are: a member keeps what it had as long as that stays balanced, so a
// rebalance moves as few partitions as possible (what keeps KIP-848 rebalances incremental).
//
// Simplifications vs Kafka: racks are not considered (Kafka prefers rack-matching partitions when racks are
// known); the uniform assignor balances every member's partition count as one pool over the topics each member
// subscribes to rather than running Kafka's separate homogeneous/heterogeneous builders, so the exact partitions
// chosen may differ from Kafka's while the counts per member match for homogeneous subscriptions.

/** Partitions per topic id (hex). */
export type Assignment = Map<string, Set<number>>;

export interface AssignorMember {
  readonly memberId: string;
  /** Topic ids (hex) the member subscribes to and that exist. */
  readonly subscribedTopicIds: readonly string[];
  /** Its current target assignment, the starting point for stickiness. */
  readonly currentTarget: Assignment;
}

export interface AssignorInput {
  /** Sorted by member id for determinism. */
  readonly members: readonly AssignorMember[];
  /** Partition count of every subscribed topic, by topic id (hex). */
  readonly partitionCounts: ReadonlyMap<string, number>;
}

export interface ConsumerGroupAssignor {
  readonly name: string;
  assign(input: AssignorInput): Map<string, Assignment>;
}

export const UNIFORM_ASSIGNOR = 'uniform';
export const RANGE_ASSIGNOR = 'range';

function addPartition(assignment: Assignment, topicId: string, partition: number): void {
  let partitions = assignment.get(topicId);
  if (partitions === undefined) {
    partitions = new Set();
    assignment.set(topicId, partitions);
  }
  partitions.add(partition);
}

function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

/**
 * Uniform: every member ends with floor(n/m) or ceil(n/m) partitions of what it subscribes to. Members first keep
 * their current partitions up to their quota; the rest go, in topic/partition order, to the least loaded member
 * subscribed to the topic.
 */
export const uniformAssignor: ConsumerGroupAssignor = {
  name: UNIFORM_ASSIGNOR,
  assign({ members, partitionCounts }) {
    const ordered = sortedMembers(members);
    const result = new Map<string, Assignment>(ordered.map((member) => [member.memberId, new Map()]));
    const load = new Map<string, number>(ordered.map((member) => [member.memberId, 0]));
    const subscribed = new Map<string, Set<string>>(ordered.map((member) => [member.memberId, new Set(member.subscribedTopicIds)]));
    // Each member's fair share of the partitions it can take (exact for homogeneous subscriptions): at least
    // `minQuota`, and `minQuota + 1` for as many members as there are partitions left over.
    const minQuota = new Map<string, number>();
    const maxQuota = new Map<string, number>();
    for (const member of ordered) {
      const mine = subscribed.get(member.memberId) as Set<string>;
      let available = 0;
      for (const topicId of mine) available += partitionCounts.get(topicId) ?? 0;
      const sharers = Math.max(1, ordered.filter((other) => other.subscribedTopicIds.some((topicId) => mine.has(topicId))).length);
      minQuota.set(member.memberId, Math.floor(available / sharers));
      maxQuota.set(member.memberId, Math.ceil(available / sharers));
    }
    const taken = new Set<string>();
    const key = (topicId: string, partition: number) => `${topicId}:${partition}`;
    const total = [...partitionCounts.values()].reduce((sum, count) => sum + count, 0);
    let extraSlots = ordered.length === 0 ? 0 : total % ordered.length;
    // Members keep their current partitions up to their quota.
    for (const member of ordered) {
      const memberSubscribed = subscribed.get(member.memberId) as Set<string>;
      for (const [topicId, partitions] of member.currentTarget) {
        if (!memberSubscribed.has(topicId)) continue;
        const count = partitionCounts.get(topicId) ?? 0;
        for (const partition of [...partitions].sort((a, b) => a - b)) {
          if (partition >= count || taken.has(key(topicId, partition))) continue;
          const current = load.get(member.memberId) as number;
          const limit = minQuota.get(member.memberId) as number;
          const max = maxQuota.get(member.memberId) as number;
          if (current < limit || (current < max && extraSlots > 0)) {
            if (current >= limit) extraSlots -= 1;
            addPartition(result.get(member.memberId) as Assignment, topicId, partition);
            load.set(member.memberId, current + 1);
            taken.add(key(topicId, partition));
          }
        }
      }
    }
    // Hand out the rest to the least loaded subscribed member (ties: lowest member id).
    const topicIds = [...partitionCounts.keys()].sort();
    for (const topicId of topicIds) {
      const count = partitionCounts.get(topicId) ?? 0;
      for (let partition = 0; partition < count; partition++) {
        if (taken.has(key(topicId, partition))) continue;
        let best: AssignorMember | null = null;
        for (const member of ordered) {
          if (!(subscribed.get(member.memberId) as Set<string>).has(topicId)) continue;
          if (best === null || (load.get(member.memberId) as number) < (load.get(best.memberId) as number)) best = member;
        }
        if (best === null) continue;
        addPartition(result.get(best.memberId) as Assignment, topicId, partition);
        load.set(best.memberId, (load.get(best.memberId) as number) + 1);
        taken.add(key(topicId, partition));
      }
    }
    return result;
  },
};

/**
 * Range: per topic, the subscribed members in member-id order get contiguous ranges; the first
 * (partitions % members) members get one more. Co-partitioned topics therefore land together.
 */
export const rangeAssignor: ConsumerGroupAssignor = {
  name: RANGE_ASSIGNOR,
  assign({ members, partitionCounts }) {
    const ordered = sortedMembers(members);
    const result = new Map<string, Assignment>(ordered.map((member) => [member.memberId, new Map()]));
    for (const [topicId, count] of partitionCounts) {
      const subscribers = ordered.filter((member) => member.subscribedTopicIds.includes(topicId));
      if (subscribers.length === 0) continue;
      const base = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((member, index) => {
        const size = base + (index < extra ? 1 : 0);
        for (let i = 0; i < size; i++) addPartition(result.get(member.memberId) as Assignment, topicId, next++);
      });
    }
    return result;
  },
};

export const consumerGroupAssignors: ReadonlyMap<string, ConsumerGroupAssignor> = new Map([
  [UNIFORM_ASSIGNOR, uniformAssignor],
  [RANGE_ASSIGNOR, rangeAssignor],
]);
