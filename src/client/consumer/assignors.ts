// The group leader's partition assignors (Kafka's `ConsumerPartitionAssignor` implementations), pure functions of
// the members' subscriptions and the partition counts.
//
// - range (`RangeAssignor`): per topic, the subscribed members in order each take a contiguous range; the first
//   `partitions % members` take one more.
// - roundrobin (`RoundRobinAssignor`): all partitions sorted by topic then number, dealt to the members in turn,
//   skipping members not subscribed to the partition's topic.
// - cooperative-sticky (`CooperativeStickyAssignor`, KIP-429): members keep what they own (from the newest
//   generation when two claim a partition), the rest goes to the least loaded members, and partitions then move
//   one by one from the most to the least loaded member until counts differ by at most one. A partition that
//   changes owner is left out of this round's assignment: its old owner revokes it, rejoins, and the next round
//   hands it over (the incremental protocol's two-phase move).
//
// Members are ordered by group.instance.id when set, else member id, as Kafka's `MemberInfo` compares them, so
// every leader computes the same answer.
import type { MemberSubscription, TopicPartitions } from './consumer-protocol.ts';
import type { AssignorName } from '../config/consumer-config.ts';

export interface AssignorMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly subscription: MemberSubscription;
}

export type Assignment = Map<string, TopicPartitions>;

/** Whether an assignor uses the incremental (cooperative) protocol instead of eager revoke-everything. */
export function isCooperative(name: AssignorName): boolean {
  return name === 'cooperative-sticky';
}

function orderedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  const rank = (member: AssignorMember): string => member.groupInstanceId ?? `\uffff${member.memberId}`;
  return [...members].sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : a.memberId < b.memberId ? -1 : 1));
}

function emptyAssignment(members: readonly AssignorMember[]): Assignment {
  return new Map(members.map((member) => [member.memberId, new Map<string, number[]>()]));
}

function add(assignment: Assignment, memberId: string, topic: string, partition: number): void {
  const topics = assignment.get(memberId) as TopicPartitions;
  const list = topics.get(topic);
  if (list === undefined) topics.set(topic, [partition]);
  else list.push(partition);
}

export function assignRange(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment {
  const assignment = emptyAssignment(members);
  const ordered = orderedMembers(members);
  for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const subscribed = ordered.filter((member) => member.subscription.topics.includes(topic));
    if (subscribed.length === 0) continue;
    const base = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    let next = 0;
    subscribed.forEach((member, i) => {
      const take = base + (i < extra ? 1 : 0);
      for (let p = next; p < next + take; p++) add(assignment, member.memberId, topic, p);
      next += take;
    });
  }
  return assignment;
}

export function assignRoundRobin(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment {
  const assignment = emptyAssignment(members);
  const ordered = orderedMembers(members);
  if (ordered.length === 0) return assignment;
  let cursor = 0;
  for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!ordered.some((member) => member.subscription.topics.includes(topic))) continue;
    for (let partition = 0; partition < count; partition++) {
      while (!ordered[cursor % ordered.length].subscription.topics.includes(topic)) cursor++;
      add(assignment, ordered[cursor % ordered.length].memberId, topic, partition);
      cursor++;
    }
  }
  return assignment;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function assignCooperativeSticky(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment {
  const ordered = orderedMembers(members);
  const owner = new Map<string, { memberId: string; generation: number }>();
  const all: { topic: string; partition: number; key: string }[] = [];
  for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let partition = 0; partition < count; partition++) all.push({ topic, partition, key: keyOf(topic, partition) });
  }
  const exists = new Set(all.map((p) => p.key));
  // Previous owners: the claim from the newest generation wins (AbstractStickyAssignor's generation check).
  for (const member of ordered) {
    for (const [topic, partitions] of member.subscription.ownedPartitions) {
      if (!member.subscription.topics.includes(topic)) continue;
      for (const partition of partitions) {
        const key = keyOf(topic, partition);
        if (!exists.has(key)) continue;
        const previous = owner.get(key);
        if (previous === undefined || member.subscription.generationId > previous.generation) {
          owner.set(key, { memberId: member.memberId, generation: member.subscription.generationId });
        }
      }
    }
  }
  const held = new Map<string, Set<string>>(ordered.map((member) => [member.memberId, new Set<string>()]));
  const subscribedTo = (member: AssignorMember, topic: string): boolean => member.subscription.topics.includes(topic);
  const byKey = new Map(all.map((p) => [p.key, p]));
  for (const [key, { memberId }] of owner) held.get(memberId)?.add(key);
  const leastLoaded = (eligible: AssignorMember[]): AssignorMember =>
    eligible.reduce((best, member) => ((held.get(member.memberId) as Set<string>).size < (held.get(best.memberId) as Set<string>).size ? member : best));
  for (const p of all) {
    if (owner.has(p.key)) continue;
    const eligible = ordered.filter((member) => subscribedTo(member, p.topic));
    if (eligible.length === 0) continue;
    (held.get(leastLoaded(eligible).memberId) as Set<string>).add(p.key);
  }
  // Balance: move a partition from a member holding at least two more than an eligible other member.
  for (let moved = true; moved; ) {
    moved = false;
    for (const from of ordered) {
      const fromSet = held.get(from.memberId) as Set<string>;
      for (const key of [...fromSet].sort()) {
        const p = byKey.get(key) as { topic: string };
        const eligible = ordered.filter((member) => member !== from && subscribedTo(member, p.topic));
        if (eligible.length === 0) continue;
        const to = leastLoaded(eligible);
        const toSet = held.get(to.memberId) as Set<string>;
        if (toSet.size + 1 < fromSet.size) {
          fromSet.delete(key);
          toSet.add(key);
          moved = true;
        }
      }
    }
  }
  const assignment = emptyAssignment(ordered);
  for (const member of ordered) {
    for (const key of held.get(member.memberId) as Set<string>) {
      const previous = owner.get(key);
      // KIP-429: a partition moving between members is assigned to nobody until its owner has revoked it.
      if (previous !== undefined && previous.memberId !== member.memberId) continue;
      const p = byKey.get(key) as { topic: string; partition: number };
      add(assignment, member.memberId, p.topic, p.partition);
    }
  }
  for (const topics of assignment.values()) for (const list of topics.values()) list.sort((a, b) => a - b);
  return assignment;
}

export function assign(name: AssignorName, members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment {
  if (name === 'range') return assignRange(members, partitionsPerTopic);
  if (name === 'roundrobin') return assignRoundRobin(members, partitionsPerTopic);
  return assignCooperativeSticky(members, partitionsPerTopic);
}
