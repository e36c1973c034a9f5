// The durable form of a KIP-848 consumer group in the offsets log, so that a restart keeps the group, its
// epochs, its members and their assignments (Kafka persists the same state in `__consumer_offsets` as
// ConsumerGroupMetadata, ConsumerGroupMemberMetadata, ConsumerGroupTargetAssignmentMetadata/Member and
// ConsumerGroupCurrentMemberAssignment records). Kafka spreads a member over three record keys; here one record
// per member carries its metadata, its current assignment and its target, and one record per group carries the
// group and assignment epochs. Both are keyed, so compaction keeps only the latest of each.
//
// A member record may end with the epoch each held partition was assigned at (KIP-1251; Kafka's tagged
// `AssignmentEpochs` field). Records written before it end after the target; their partitions then count as
// assigned at the member's epoch. A record may then end with a classic member's JoinGroup metadata (session
// timeout and protocols; Kafka's `ClassicMemberMetadata`), absent from records written before online migration.
import type { Reader } from '../../protocol/wire/reader.ts';
import type { Writer } from '../../protocol/wire/writer.ts';
import type { Assignment } from './consumer-group-assignors.ts';
import type { GroupProtocol } from './classic-group-member.ts';
import { MemberState, type ClassicMemberMetadata, type ConsumerGroupMember, type PartitionEpochs } from './consumer-group.ts';

/** Kafka's ConsumerGroupMetadata + ConsumerGroupTargetAssignmentMetadata values. */
export interface StoredConsumerGroupMetadata {
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  /** The subscribed topics the target was computed for, so that a restart does not bump the epoch. */
  readonly subscriptionSignature: string;
}

/** A member with its target assignment. */
export interface StoredConsumerGroupMember {
  readonly member: ConsumerGroupMember;
  readonly target: Assignment | null;
}

const MEMBER_STATES: readonly MemberState[] = [MemberState.Stable, MemberState.UnrevokedPartitions, MemberState.UnreleasedPartitions];

export function writeConsumerGroupMetadata(writer: Writer, metadata: StoredConsumerGroupMetadata): void {
  writer.int32(metadata.groupEpoch).int32(metadata.assignmentEpoch);
  writer.compactString(metadata.assignorName).compactString(metadata.subscriptionSignature);
}

export function readConsumerGroupMetadata(reader: Reader): StoredConsumerGroupMetadata {
  const groupEpoch = reader.int32();
  const assignmentEpoch = reader.int32();
  const assignorName = reader.compactString() ?? '';
  const subscriptionSignature = reader.compactString() ?? '';
  return { groupEpoch, assignmentEpoch, assignorName, subscriptionSignature };
}

export function writeConsumerGroupMember(writer: Writer, stored: StoredConsumerGroupMember): void {
  const { member } = stored;
  writer.compactString(member.memberId).compactString(member.instanceId).compactString(member.rackId);
  writer.compactString(member.clientId).compactString(member.clientHost).int32(member.rebalanceTimeoutMs);
  writer.int32(member.subscribedTopicNames.length);
  for (const name of member.subscribedTopicNames) writer.compactString(name);
  writer.compactString(member.subscribedTopicRegex).compactString(member.serverAssignor);
  writer.int32(member.memberEpoch).int32(member.previousMemberEpoch).int8(MEMBER_STATES.indexOf(member.state));
  writeAssignment(writer, member.assigned);
  writeAssignment(writer, member.pendingRevocation);
  writer.bool(stored.target !== null);
  if (stored.target !== null) writeAssignment(writer, stored.target);
  writePartitionEpochs(writer, member.assignmentEpochs);
  // A classic member's JoinGroup metadata (Kafka's `ClassicMemberMetadata` field), after the partition epochs.
  writer.bool(member.classic !== null);
  if (member.classic !== null) {
    writer.int32(member.classic.sessionTimeoutMs).int32(member.classic.supportedProtocols.length);
    for (const protocol of member.classic.supportedProtocols) writer.compactString(protocol.name).compactBytes(protocol.metadata);
  }
}

export function readConsumerGroupMember(reader: Reader): StoredConsumerGroupMember {
  const memberId = requireString(reader.compactString());
  const instanceId = reader.compactString();
  const rackId = reader.compactString();
  const clientId = reader.compactString() ?? '';
  const clientHost = reader.compactString() ?? '';
  const rebalanceTimeoutMs = reader.int32();
  const topicCount = reader.int32();
  const subscribedTopicNames: string[] = [];
  for (let i = 0; i < topicCount; i++) subscribedTopicNames.push(requireString(reader.compactString()));
  const subscribedTopicRegex = reader.compactString();
  const serverAssignor = reader.compactString();
  const memberEpoch = reader.int32();
  const previousMemberEpoch = reader.int32();
  const state = MEMBER_STATES[reader.int8()];
  if (state === undefined) throw new Error('unknown consumer group member state in the offsets log');
  const assigned = readAssignment(reader);
  const pendingRevocation = readAssignment(reader);
  const target = reader.bool() ? readAssignment(reader) : null;
  const assignmentEpochs = reader.remaining > 0 ? readPartitionEpochs(reader) : new Map<string, Map<number, number>>();
  const classic = reader.remaining > 0 ? readClassicMetadata(reader) : null;
  return {
    member: {
      memberId,
      instanceId,
      rackId,
      clientId,
      clientHost,
      rebalanceTimeoutMs,
      subscribedTopicNames,
      subscribedTopicRegex,
      serverAssignor,
      memberEpoch,
      previousMemberEpoch,
      state,
      assigned,
      pendingRevocation,
      assignmentEpochs,
      classic,
    },
    target,
  };
}

function readClassicMetadata(reader: Reader): ClassicMemberMetadata | null {
  if (!reader.bool()) return null;
  const sessionTimeoutMs = reader.int32();
  const count = reader.int32();
  const supportedProtocols: GroupProtocol[] = [];
  for (let i = 0; i < count; i++) {
    const name = requireString(reader.compactString());
    supportedProtocols.push({ name, metadata: Buffer.from(reader.compactBytes() ?? Buffer.alloc(0)) });
  }
  return { sessionTimeoutMs, supportedProtocols };
}

function writeAssignment(writer: Writer, assignment: Assignment): void {
  const topics = [...assignment].filter(([, partitions]) => partitions.size > 0);
  writer.int32(topics.length);
  for (const [topicId, partitions] of topics) {
    writer.compactString(topicId).int32(partitions.size);
    for (const partition of partitions) writer.int32(partition);
  }
}

function readAssignment(reader: Reader): Assignment {
  const assignment: Assignment = new Map();
  const topics = reader.int32();
  for (let i = 0; i < topics; i++) {
    const topicId = requireString(reader.compactString());
    const count = reader.int32();
    const partitions = new Set<number>();
    for (let j = 0; j < count; j++) partitions.add(reader.int32());
    assignment.set(topicId, partitions);
  }
  return assignment;
}

function writePartitionEpochs(writer: Writer, epochs: PartitionEpochs): void {
  const topics = [...epochs].filter(([, partitions]) => partitions.size > 0);
  writer.int32(topics.length);
  for (const [topicId, partitions] of topics) {
    writer.compactString(topicId).int32(partitions.size);
    for (const [partition, epoch] of partitions) writer.int32(partition).int32(epoch);
  }
}

function readPartitionEpochs(reader: Reader): PartitionEpochs {
  const epochs: PartitionEpochs = new Map();
  const topics = reader.int32();
  for (let i = 0; i < topics; i++) {
    const topicId = requireString(reader.compactString());
    const count = reader.int32();
    const partitions = new Map<number, number>();
    for (let j = 0; j < count; j++) partitions.set(reader.int32(), reader.int32());
    epochs.set(topicId, partitions);
  }
  return epochs;
}

function requireString(value: string | null): string {
  if (value === null) throw new Error('unexpected null string in the offsets log');
  return value;
}
