// The admin client (Kafka's `Admin`): topics, configs, offsets, consumer groups, cluster and producers, over the
// same protocol Kafka's own tools use, so it works against seqlog and Apache Kafka alike. Each operation is one
// Promise; a failure is a KafkaClientError carrying Kafka's error name (for a batch, the first failed item, named
// in the message). Requests go where Kafka's KafkaAdminClient sends them: partition operations to the leader,
// group operations to the group's coordinator, a broker's configs to that broker, the rest to any node.
import {
  ApiKey,
  defaultCreatePartitionsRequest,
  defaultCreateTopicsRequest,
  defaultDeleteRecordsRequest,
  defaultDeleteTopicsRequest,
  defaultDescribeConfigsRequest,
  defaultDescribeGroupsRequest,
  defaultIncrementalAlterConfigsRequest,
  defaultListGroupsRequest,
  defaultListOffsetsRequest,
  defaultListTransactionsRequest,
  defaultMetadataRequest,
  defaultOffsetCommitRequest,
  defaultOffsetFetchRequest,
  type MetadataResponse,
} from '../../protocol/messages/generated/index.ts';
import { decodeConsumerProtocolAssignment } from '../../protocol/messages/generated/data/consumer-protocol-assignment.ts';
import { ZERO_UUID } from '../../protocol/messages/runtime.ts';
import { Reader } from '../../protocol/wire/reader.ts';
import { AdminNetwork, brokerError } from './admin-network.ts';
import { createAcls, deleteAcls, describeAcls, type AclBinding, type AclBindingFilter, type DescribedAcl } from './admin-acls.ts';
import { alterUserScramCredentials, describeUserScramCredentials, type ScramCredentialAlteration, type UserScramCredentials } from './scram-credentials.ts';
import { adminConfigError, resolveAdminOptions, type AdminOptions, type ResolvedAdminOptions } from './admin-options.ts';
import type {
  AbortTransactionSpec,
  AlterConfigOp,
  ClusterDescription,
  CommittedOffset,
  ConfigDescription,
  ConfigResource,
  ConfigSourceName,
  CreatedTopic,
  DeletedRecords,
  GroupDescription,
  GroupListing,
  GroupMember,
  HangingTransaction,
  ListedOffset,
  NewTopic,
  OffsetSpec,
  PartitionProducers,
  TopicDescription,
  TopicListing,
  TopicPartition,
  TransactionDescription,
  TransactionListing,
} from './admin-types.ts';

const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LEADER_NOT_AVAILABLE = 5;
/** kafka-transactions find-hanging's default `--max-transaction-timeout`: Kafka's `transaction.max.timeout.ms`. */
const DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 15 * 60_000;
/** Coordinator states in which the transaction on a partition is still going to be ended by the coordinator. */
const IN_PROGRESS_TRANSACTION_STATES: ReadonlySet<string> = new Set(['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence']);
const NOT_COORDINATOR = 16;
const COORDINATOR_NOT_AVAILABLE = 15;
/** Kafka's `ConfigResource.Type` codes. */
const resourceTypeCodes = { topic: 2, broker: 4 } as const;
/** Kafka's `ConfigEntry.ConfigSource`, by wire id. */
const configSourceNames: readonly ConfigSourceName[] = [
  'UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG',
];
const alterOperationCodes = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
/** ListOffsets' special timestamps (`ListOffsetsRequest.EARLIEST_TIMESTAMP`, ...). */
const offsetSpecTimestamps = { earliest: -2n, latest: -1n, 'max-timestamp': -3n } as const;
/** Kafka's broker-side timeout for CreateTopics/DeleteTopics/CreatePartitions/DeleteRecords. */
const BROKER_OPERATION_TIMEOUT_MS = 30000;

function topicIdString(topicId: Buffer): string | null {
  return topicId.equals(ZERO_UUID) ? null : topicId.toString('base64url');
}

function sourceName(source: number): ConfigSourceName {
  return configSourceNames[source] ?? 'UNKNOWN';
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [item]);
    else list.push(item);
  }
  return groups;
}

function byTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const topics = new Map<string, T[]>();
  for (const item of items) {
    const list = topics.get(item.topic);
    if (list === undefined) topics.set(item.topic, [item]);
    else list.push(item);
  }
  return topics;
}

/** The partitions of a consumer-protocol assignment; none for other protocols or unreadable bytes. */
function decodeAssignment(protocolType: string, bytes: Buffer): TopicPartition[] {
  if (protocolType !== 'consumer' || bytes.length < 2) return [];
  try {
    const reader = new Reader(bytes);
    const version = Math.min(reader.int16(), 3);
    const assignment = decodeConsumerProtocolAssignment(reader, version);
    return assignment.assignedPartitions.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
  } catch {
    return [];
  }
}

function checkNames(what: string, names: readonly string[]): void {
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw adminConfigError(`${what} must be a list of non-empty names`);
  }
}

export class Admin {
  private readonly options: ResolvedAdminOptions;
  private readonly network: AdminNetwork;

  /** Nothing connects until the first operation. */
  constructor(options: AdminOptions) {
    this.options = resolveAdminOptions(options);
    this.network = new AdminNetwork(this.options);
  }

  /** Closes every connection; operations after this fail with ADMIN_CLOSED. */
  async close(): Promise<void> {
    this.network.close();
  }

  // ---- cluster ---------------------------------------------------------------------------------------------------

  private async metadata(topics: readonly string[] | null): Promise<MetadataResponse> {
    const { response } = await this.network.send(null, ApiKey.Metadata, 1, 12, (version) => ({
      ...defaultMetadataRequest(),
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: version >= 4 ? false : true,
    }));
    this.network.updateNodes(response.brokers);
    return response;
  }

  /** The cluster id, controller and brokers (from Metadata, which every Kafka broker serves). */
  async describeCluster(): Promise<ClusterDescription> {
    return this.network.retrying('describeCluster', async () => {
      const response = await this.metadata([]);
      return {
        clusterId: response.clusterId ?? '',
        controllerId: response.controllerId,
        brokers: response.brokers.map(({ nodeId, host, port, rack }) => ({ nodeId, host, port, rack })),
      };
    });
  }

  // ---- topics ----------------------------------------------------------------------------------------------------

  /** Every topic's name and id; internal topics (`__consumer_offsets`, ...) only with `includeInternal`. */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<TopicListing[]> {
    return this.network.retrying('listTopics', async () => {
      const response = await this.metadata(null);
      return response.topics
        .filter((topic) => topic.name !== null && (options.includeInternal === true || !topic.isInternal))
        .map((topic) => ({ name: topic.name as string, topicId: topicIdString(topic.topicId), internal: topic.isInternal }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /** Partitions, leaders and replicas of each topic; UNKNOWN_TOPIC_OR_PARTITION for one that does not exist. */
  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    checkNames('describeTopics: names', names);
    return this.network.retrying('describeTopics', async () => {
      const response = await this.metadata(names);
      return names.map((name) => {
        const topic = response.topics.find((candidate) => candidate.name === name);
        if (topic === undefined) throw brokerError(UNKNOWN_TOPIC_OR_PARTITION, null, `describeTopics ${name}`, true);
        // LEADER_NOT_AVAILABLE (a topic still being created) is retried, UNKNOWN_TOPIC_OR_PARTITION is the answer.
        if (topic.errorCode !== NONE) throw brokerError(topic.errorCode, null, `describeTopics ${name}`, topic.errorCode === UNKNOWN_TOPIC_OR_PARTITION);
        return {
          name,
          topicId: topicIdString(topic.topicId),
          internal: topic.isInternal,
          partitions: topic.partitions
            .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes }))
            .sort((a, b) => a.partition - b.partition),
        };
      });
    });
  }

  /** Creates topics (all or, on the first failure, an error naming that topic). `validateOnly` creates nothing. */
  async createTopics(topics: readonly NewTopic[], options: { validateOnly?: boolean } = {}): Promise<CreatedTopic[]> {
    if (!Array.isArray(topics) || topics.length === 0) throw adminConfigError('createTopics needs at least one topic');
    for (const topic of topics) {
      if (typeof topic?.name !== 'string' || topic.name === '') throw adminConfigError('every new topic needs a name');
      if (topic.partitions !== undefined && (!Number.isInteger(topic.partitions) || topic.partitions < 1)) {
        throw adminConfigError(`topic ${topic.name}: partitions must be a positive integer, got ${topic.partitions}`);
      }
    }
    const { response, version } = await this.network.retrying('createTopics', () =>
      this.network.send(null, ApiKey.CreateTopics, 2, 7, () => ({
        ...defaultCreateTopicsRequest(),
        topics: topics.map((topic) => ({
          name: topic.name,
          numPartitions: topic.partitions ?? -1,
          replicationFactor: topic.replicationFactor ?? -1,
          assignments: [],
          configs: Object.entries<string>(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
        timeoutMs: BROKER_OPERATION_TIMEOUT_MS,
        validateOnly: options.validateOnly === true,
      })),
    );
    return topics.map((topic) => {
      const result = response.topics.find((candidate) => candidate.name === topic.name);
      if (result === undefined) throw brokerError(-1, 'no answer for this topic', `createTopics ${topic.name}`);
      if (result.errorCode !== NONE) throw brokerError(result.errorCode, result.errorMessage, `createTopics ${topic.name}`);
      return {
        name: topic.name,
        topicId: version >= 7 ? topicIdString(result.topicId) : null,
        partitions: version >= 5 ? result.numPartitions : topic.partitions ?? -1,
        replicationFactor: version >= 5 ? result.replicationFactor : topic.replicationFactor ?? -1,
      };
    });
  }

  /** Deletes topics by name. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    checkNames('deleteTopics: names', names);
    const { response } = await this.network.retrying('deleteTopics', () =>
      this.network.send(null, ApiKey.DeleteTopics, 1, 6, (version) => ({
        ...defaultDeleteTopicsRequest(),
        ...(version >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })) } : { topicNames: [...names] }),
        timeoutMs: BROKER_OPERATION_TIMEOUT_MS,
      })),
    );
    for (const name of names) {
      const result = response.responses.find((candidate) => candidate.name === name);
      if (result !== undefined && result.errorCode !== NONE) throw brokerError(result.errorCode, result.errorMessage, `deleteTopics ${name}`);
    }
  }

  /** Raises topics' partition counts to the totals given (`{ topic: totalCount }`). */
  async createPartitions(totals: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(totals);
    if (entries.length === 0) throw adminConfigError('createPartitions needs at least one topic');
    const { response } = await this.network.retrying('createPartitions', () =>
      this.network.send(null, ApiKey.CreatePartitions, 0, 3, () => ({
        ...defaultCreatePartitionsRequest(),
        topics: entries.map(([name, count]) => ({ name, count, assignments: null })),
        timeoutMs: BROKER_OPERATION_TIMEOUT_MS,
      })),
    );
    for (const result of response.results) {
      if (result.errorCode !== NONE) throw brokerError(result.errorCode, result.errorMessage, `createPartitions ${result.name}`);
    }
  }

  // ---- configs ---------------------------------------------------------------------------------------------------

  private static resourceNode(resource: ConfigResource): number | null {
    return resource.type === 'broker' && /^\d+$/.test(resource.name) ? Number(resource.name) : null;
  }

  /** Configs of topics and brokers; synonyms and documentation on request. */
  async describeConfigs(
    resources: readonly ConfigResource[],
    options: { includeSynonyms?: boolean; includeDocumentation?: boolean; names?: readonly string[] } = {},
  ): Promise<ConfigDescription[]> {
    const results: ConfigDescription[] = [];
    for (const resource of resources) {
      if (!(resource.type in resourceTypeCodes)) throw adminConfigError(`unknown config resource type '${String(resource.type)}' (topic or broker)`);
      const { response } = await this.network.retrying('describeConfigs', async () => {
        if (Admin.resourceNode(resource) !== null) await this.metadata([]);
        return this.network.send(Admin.resourceNode(resource), ApiKey.DescribeConfigs, 1, 4, () => ({
          ...defaultDescribeConfigsRequest(),
          resources: [{ resourceType: resourceTypeCodes[resource.type], resourceName: resource.name, configurationKeys: options.names ? [...options.names] : null }],
          includeSynonyms: options.includeSynonyms === true,
          includeDocumentation: options.includeDocumentation === true,
        }));
      });
      const result = response.results[0];
      if (result === undefined) throw brokerError(-1, 'empty answer', `describeConfigs ${resource.type} ${resource.name}`);
      if (result.errorCode !== NONE) throw brokerError(result.errorCode, result.errorMessage, `describeConfigs ${resource.type} ${resource.name}`);
      results.push({
        resource,
        entries: result.configs.map((config) => ({
          name: config.name,
          value: config.value,
          source: sourceName(config.configSource),
          readOnly: config.readOnly,
          sensitive: config.isSensitive,
          synonyms: config.synonyms.map((synonym) => ({ name: synonym.name, value: synonym.value, source: sourceName(synonym.source) })),
          documentation: config.documentation,
        })),
      });
    }
    return results;
  }

  /** Changes configs one by one (KIP-339): set, delete (back to the default), append/subtract for list configs. */
  async incrementalAlterConfigs(resource: ConfigResource, operations: readonly AlterConfigOp[], options: { validateOnly?: boolean } = {}): Promise<void> {
    if (!(resource.type in resourceTypeCodes)) throw adminConfigError(`unknown config resource type '${String(resource.type)}' (topic or broker)`);
    for (const op of operations) {
      if (!(op.operation in alterOperationCodes)) throw adminConfigError(`config ${op.name}: unknown operation '${op.operation}' (set, delete, append or subtract)`);
      if (op.operation !== 'delete' && typeof op.value !== 'string') throw adminConfigError(`config ${op.name}: '${op.operation}' needs a value`);
    }
    const { response } = await this.network.retrying('incrementalAlterConfigs', async () => {
      if (Admin.resourceNode(resource) !== null) await this.metadata([]);
      return this.network.send(Admin.resourceNode(resource), ApiKey.IncrementalAlterConfigs, 0, 1, () => ({
        ...defaultIncrementalAlterConfigsRequest(),
        resources: [{
          resourceType: resourceTypeCodes[resource.type],
          resourceName: resource.name,
          configs: operations.map((op) => ({ name: op.name, configOperation: alterOperationCodes[op.operation], value: op.operation === 'delete' ? null : op.value ?? null })),
        }],
        validateOnly: options.validateOnly === true,
      }));
    });
    const result = response.responses[0];
    if (result !== undefined && result.errorCode !== NONE) throw brokerError(result.errorCode, result.errorMessage, `incrementalAlterConfigs ${resource.type} ${resource.name}`);
  }

  // ---- offsets ---------------------------------------------------------------------------------------------------

  /** Partition leaders of the given topics, by node. */
  private async partitionsByLeader<T extends TopicPartition>(items: readonly T[], what: string): Promise<Map<number, T[]>> {
    const topics = [...new Set(items.map((item) => item.topic))];
    const response = await this.metadata(topics);
    const leaders = new Map<string, number>();
    for (const topic of response.topics) {
      if (topic.errorCode !== NONE) throw brokerError(topic.errorCode, null, `${what} ${topic.name}`, topic.errorCode === UNKNOWN_TOPIC_OR_PARTITION);
      for (const partition of topic.partitions) leaders.set(`${topic.name}\u0000${partition.partitionIndex}`, partition.leaderId);
    }
    return groupBy(items, (item) => {
      const leader = leaders.get(`${item.topic}\u0000${item.partition}`);
      if (leader === undefined) throw brokerError(UNKNOWN_TOPIC_OR_PARTITION, null, `${what} ${item.topic}-${item.partition}`, true);
      return leader;
    });
  }

  /** Offsets by spec: earliest, latest (the high watermark, or the LSO with `readCommitted`), max-timestamp, or the first at a timestamp. */
  async listOffsets(
    requests: readonly (TopicPartition & { readonly spec: OffsetSpec })[],
    options: { readCommitted?: boolean } = {},
  ): Promise<ListedOffset[]> {
    const timestampOf = (spec: OffsetSpec): bigint => (typeof spec === 'object' ? spec.timestamp : offsetSpecTimestamps[spec]);
    return this.network.retrying('listOffsets', async () => {
      // A partition may appear once per request (Kafka answers duplicates with INVALID_REQUEST): the k-th
      // lookup of each partition goes in the k-th round.
      const seen = new Map<string, number>();
      const rounds: (TopicPartition & { readonly spec: OffsetSpec })[][] = [];
      for (const item of requests) {
        const key = `${item.topic}\u0000${item.partition}`;
        const round = seen.get(key) ?? 0;
        seen.set(key, round + 1);
        (rounds[round] ??= []).push(item);
      }
      const results: ListedOffset[] = [];
      for (const round of rounds) results.push(...await this.listOffsetsRound(round, options, timestampOf));
      return results;
    });
  }

  private async listOffsetsRound(
    requests: readonly (TopicPartition & { readonly spec: OffsetSpec })[],
    options: { readCommitted?: boolean },
    timestampOf: (spec: OffsetSpec) => bigint,
  ): Promise<ListedOffset[]> {
    const byLeader = await this.partitionsByLeader(requests, 'listOffsets');
    const results: ListedOffset[] = [];
    for (const [leader, items] of byLeader) {
      const ourMin = items.some((item) => item.spec === 'max-timestamp') ? 7 : 1;
      const { response } = await this.network.send(leader, ApiKey.ListOffsets, ourMin, 8, () => ({
        ...defaultListOffsetsRequest(),
        replicaId: -1,
        isolationLevel: options.readCommitted === true ? 1 : 0,
        topics: [...byTopic(items)].map(([name, partitions]) => ({
          name,
          partitions: partitions.map((item) => ({ partitionIndex: item.partition, currentLeaderEpoch: -1, timestamp: timestampOf(item.spec), maxNumOffsets: 1 })),
        })),
      }));
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== NONE) throw brokerError(partition.errorCode, null, `listOffsets ${topic.name}-${partition.partitionIndex}`);
          results.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.offset, timestamp: partition.timestamp, leaderEpoch: partition.leaderEpoch });
        }
      }
    }
    return results;
  }

  /** Deletes records below `beforeOffset` (-1n: up to the high watermark); answers the new low watermarks. */
  async deleteRecords(requests: readonly (TopicPartition & { readonly beforeOffset: bigint })[]): Promise<DeletedRecords[]> {
    const byLeader = await this.network.retrying('deleteRecords', () => this.partitionsByLeader(requests, 'deleteRecords'));
    const results: DeletedRecords[] = [];
    for (const [leader, items] of byLeader) {
      const { response } = await this.network.retrying('deleteRecords', () =>
        this.network.send(leader, ApiKey.DeleteRecords, 0, 2, () => ({
          ...defaultDeleteRecordsRequest(),
          topics: [...byTopic(items)].map(([name, partitions]) => ({ name, partitions: partitions.map((item) => ({ partitionIndex: item.partition, offset: item.beforeOffset })) })),
          timeoutMs: BROKER_OPERATION_TIMEOUT_MS,
        })),
      );
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== NONE) throw brokerError(partition.errorCode, null, `deleteRecords ${topic.name}-${partition.partitionIndex}`);
          results.push({ topic: topic.name, partition: partition.partitionIndex, lowWatermark: partition.lowWatermark });
        }
      }
    }
    return results;
  }

  // ---- groups ----------------------------------------------------------------------------------------------------

  /**
   * The node coordinating a group (keyType 0) or a transactional id (keyType 1), from FindCoordinator; retriable
   * errors are retried by the caller's loop.
   */
  private async coordinatorOf(groupId: string, keyType: 0 | 1 = 0): Promise<number> {
    await this.metadata([]);
    const { response, version } = await this.network.send(null, ApiKey.FindCoordinator, 1, 6, (v) =>
      v >= 4 ? { key: '', keyType, coordinatorKeys: [groupId] } : { key: groupId, keyType, coordinatorKeys: [] },
    );
    const found = version >= 4
      ? response.coordinators[0]
      : { nodeId: response.nodeId, host: response.host, port: response.port, errorCode: response.errorCode, errorMessage: response.errorMessage };
    if (found === undefined) throw brokerError(COORDINATOR_NOT_AVAILABLE, null, `findCoordinator ${groupId}`);
    if (found.errorCode !== NONE) throw brokerError(found.errorCode, found.errorMessage, `findCoordinator ${groupId}`);
    this.network.updateNodes([{ nodeId: found.nodeId, host: found.host, port: found.port }]);
    return found.nodeId;
  }

  /** Every group on every broker. */
  async listGroups(): Promise<GroupListing[]> {
    return this.network.retrying('listGroups', async () => {
      const response = await this.metadata([]);
      const groups: GroupListing[] = [];
      for (const broker of response.brokers) {
        const { response: listed } = await this.network.send(broker.nodeId, ApiKey.ListGroups, 0, 5, () => defaultListGroupsRequest());
        if (listed.errorCode !== NONE) throw brokerError(listed.errorCode, null, `listGroups on node ${broker.nodeId}`);
        for (const group of listed.groups) groups.push({ groupId: group.groupId, protocolType: group.protocolType, state: group.groupState, type: group.groupType });
      }
      return groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    });
  }

  /** State, protocol and members (with their assigned partitions) of each group. */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    checkNames('describeGroups: groupIds', groupIds);
    const described: GroupDescription[] = [];
    for (const groupId of groupIds) {
      described.push(await this.network.retrying(`describeGroups ${groupId}`, async () => {
        const coordinator = await this.coordinatorOf(groupId);
        const { response } = await this.network.send(coordinator, ApiKey.DescribeGroups, 0, 5, () => ({ ...defaultDescribeGroupsRequest(), groups: [groupId] }));
        const group = response.groups[0];
        if (group === undefined) throw brokerError(-1, 'empty answer', `describeGroups ${groupId}`);
        if (group.errorCode !== NONE) throw brokerError(group.errorCode, null, `describeGroups ${groupId}`);
        const members: GroupMember[] = group.members.map((member) => ({
          memberId: member.memberId,
          groupInstanceId: member.groupInstanceId,
          clientId: member.clientId,
          clientHost: member.clientHost,
          assignment: decodeAssignment(group.protocolType, member.memberAssignment),
        }));
        return { groupId, state: group.groupState, protocolType: group.protocolType, protocol: group.protocolData, coordinator, members };
      }));
    }
    return described;
  }

  /** Deletes empty groups and their committed offsets (NON_EMPTY_GROUP while members remain). */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    checkNames('deleteGroups: groupIds', groupIds);
    for (const groupId of groupIds) {
      await this.network.retrying(`deleteGroups ${groupId}`, async () => {
        const coordinator = await this.coordinatorOf(groupId);
        const { response } = await this.network.send(coordinator, ApiKey.DeleteGroups, 0, 2, () => ({ groupsNames: [groupId] }));
        const result = response.results[0];
        if (result !== undefined && result.errorCode !== NONE) throw brokerError(result.errorCode, null, `deleteGroups ${groupId}`);
      });
    }
  }

  /** The group's committed offsets, every partition it has one for. */
  async listConsumerGroupOffsets(groupId: string): Promise<CommittedOffset[]> {
    checkNames('listConsumerGroupOffsets: groupId', [groupId]);
    return this.network.retrying(`listConsumerGroupOffsets ${groupId}`, async () => {
      const coordinator = await this.coordinatorOf(groupId);
      const { response, version } = await this.network.send(coordinator, ApiKey.OffsetFetch, 1, 9, (v) => ({
        ...defaultOffsetFetchRequest(),
        ...(v >= 8 ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }] } : { groupId, topics: null }),
      }));
      const group = version >= 8
        ? response.groups[0]
        : { errorCode: response.errorCode, topics: response.topics };
      if (group === undefined) throw brokerError(-1, 'empty answer', `listConsumerGroupOffsets ${groupId}`);
      if (group.errorCode !== NONE) throw brokerError(group.errorCode, null, `listConsumerGroupOffsets ${groupId}`);
      const offsets: CommittedOffset[] = [];
      for (const topic of group.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== NONE) throw brokerError(partition.errorCode, null, `listConsumerGroupOffsets ${groupId} ${topic.name}-${partition.partitionIndex}`);
          if (partition.committedOffset < 0n) continue;
          offsets.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata: partition.metadata });
        }
      }
      return offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    });
  }

  /**
   * Sets a group's committed offsets (Kafka's `alterConsumerGroupOffsets`, what `kafka-consumer-groups
   * --reset-offsets` does): only while the group has no members (UNKNOWN_MEMBER_ID otherwise).
   */
  async alterConsumerGroupOffsets(groupId: string, offsets: readonly (TopicPartition & { readonly offset: bigint; readonly metadata?: string })[]): Promise<void> {
    checkNames('alterConsumerGroupOffsets: groupId', [groupId]);
    await this.network.retrying(`alterConsumerGroupOffsets ${groupId}`, async () => {
      const coordinator = await this.coordinatorOf(groupId);
      const { response } = await this.network.send(coordinator, ApiKey.OffsetCommit, 2, 9, () => ({
        ...defaultOffsetCommitRequest(),
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [...byTopic(offsets)].map(([name, partitions]) => ({
          name,
          partitions: partitions.map((item) => ({ partitionIndex: item.partition, committedOffset: item.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: item.metadata ?? '' })),
        })),
      }));
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode === NOT_COORDINATOR) throw brokerError(partition.errorCode, null, `alterConsumerGroupOffsets ${groupId}`);
          if (partition.errorCode !== NONE) throw brokerError(partition.errorCode, null, `alterConsumerGroupOffsets ${groupId} ${topic.name}-${partition.partitionIndex}`);
        }
      }
    });
  }

  // ---- transactions ---------------------------------------------------------------------------------------------

  /** Transactions known to every coordinator (KIP-664 ListTransactions), optionally filtered by state or producer id. */
  async listTransactions(options: { states?: readonly string[]; producerIds?: readonly bigint[] } = {}): Promise<TransactionListing[]> {
    return this.network.retrying('listTransactions', async () => {
      const response = await this.metadata([]);
      const listed: TransactionListing[] = [];
      for (const broker of response.brokers) {
        const { response: answer } = await this.network.send(broker.nodeId, ApiKey.ListTransactions, 0, 1, () => ({
          ...defaultListTransactionsRequest(),
          stateFilters: [...(options.states ?? [])],
          producerIdFilters: [...(options.producerIds ?? [])],
        }));
        if (answer.errorCode !== NONE) throw brokerError(answer.errorCode, null, `listTransactions on node ${broker.nodeId}`);
        for (const state of answer.transactionStates) {
          listed.push({ transactionalId: state.transactionalId, producerId: state.producerId, state: state.transactionState, coordinator: broker.nodeId });
        }
      }
      return listed.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
    });
  }

  /** State, producer, timeout and partitions of each transactional id, from its coordinator (DescribeTransactions). */
  async describeTransactions(transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
    checkNames('describeTransactions: transactionalIds', transactionalIds);
    const described: TransactionDescription[] = [];
    for (const transactionalId of transactionalIds) {
      described.push(await this.network.retrying(`describeTransactions ${transactionalId}`, async () => {
        const coordinator = await this.coordinatorOf(transactionalId, 1);
        const { response } = await this.network.send(coordinator, ApiKey.DescribeTransactions, 0, 0, () => ({ transactionalIds: [transactionalId] }));
        const state = response.transactionStates[0];
        if (state === undefined) throw brokerError(-1, 'empty answer', `describeTransactions ${transactionalId}`);
        if (state.errorCode !== NONE) throw brokerError(state.errorCode, null, `describeTransactions ${transactionalId}`);
        return {
          transactionalId,
          coordinator,
          state: state.transactionState,
          producerId: state.producerId,
          producerEpoch: state.producerEpoch,
          transactionTimeoutMs: state.transactionTimeoutMs,
          transactionStartTimeMs: state.transactionStartTimeMs,
          partitions: state.topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.topic, partition }))),
        };
      }));
    }
    return described;
  }

  /**
   * Aborts one producer's open transaction on one partition by writing an ABORT marker there with WriteTxnMarkers,
   * as Kafka's `Admin.abortTransaction` does (KIP-664): the way out of a hanging transaction that no coordinator
   * will end. The spec comes from `describeProducers` (or `findHangingTransactions`). The coordinator is not told.
   */
  async abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    await this.network.retrying(`abortTransaction ${spec.topic}-${spec.partition}`, async () => {
      const byLeader = await this.partitionsByLeader([spec], 'abortTransaction');
      const [leader] = [...byLeader.keys()];
      if (leader === undefined || leader < 0) throw brokerError(LEADER_NOT_AVAILABLE, null, `abortTransaction ${spec.topic}-${spec.partition}`);
      const { response } = await this.network.send(leader, ApiKey.WriteTxnMarkers, 0, 1, () => ({
        markers: [{
          producerId: spec.producerId,
          producerEpoch: spec.producerEpoch,
          transactionResult: false,
          topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
          coordinatorEpoch: spec.coordinatorEpoch,
        }],
      }));
      for (const marker of response.markers) {
        for (const topic of marker.topics) {
          for (const partition of topic.partitions) {
            if (partition.errorCode !== NONE) throw brokerError(partition.errorCode, null, `abortTransaction ${topic.name}-${partition.partitionIndex}`);
          }
        }
      }
    });
  }

  /**
   * Open transactions that no coordinator will end, as `kafka-transactions find-hanging` finds them: each
   * partition's producers with an open transaction (DescribeProducers) idle longer than `maxTransactionTimeoutMs`
   * (the brokers' `transaction.max.timeout.ms`, 15 minutes by default) are candidates; a candidate is hanging when
   * no coordinator lists its producer id (ListTransactions), or when the transactional id's coordinator describes
   * a different producer, or a transaction that is not in progress or does not include the partition.
   * `brokerId` selects every partition that broker hosts; `topic` (and `partition`) narrow the search.
   */
  async findHangingTransactions(options: { brokerId?: number; topic?: string; partition?: number; maxTransactionTimeoutMs?: number; nowMs?: number }): Promise<HangingTransaction[]> {
    if (options.brokerId === undefined && options.topic === undefined) throw adminConfigError('findHangingTransactions needs a brokerId or a topic');
    const maxTransactionTimeoutMs = options.maxTransactionTimeoutMs ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MS;
    const names = options.topic !== undefined ? [options.topic] : (await this.listTopics({ includeInternal: true })).map((topic) => topic.name);
    const partitions: TopicPartition[] = [];
    for (const topic of names.length === 0 ? [] : await this.describeTopics(names)) {
      for (const info of topic.partitions) {
        if (options.partition !== undefined && info.partition !== options.partition) continue;
        if (options.brokerId !== undefined && !info.replicas.includes(options.brokerId)) continue;
        partitions.push({ topic: topic.name, partition: info.partition });
      }
    }
    if (partitions.length === 0) return [];
    const now = BigInt(options.nowMs ?? Date.now());
    const candidates = (await this.describeProducers(partitions)).flatMap((described) => described.producers
      .filter((producer) => producer.currentTransactionStartOffset >= 0n && now - producer.lastTimestamp >= BigInt(maxTransactionTimeoutMs))
      .map((producer) => ({ topic: described.topic, partition: described.partition, producer })));
    if (candidates.length === 0) return [];
    const listed = await this.listTransactions({ producerIds: [...new Set(candidates.map((c) => c.producer.producerId))] });
    const described = listed.length === 0 ? [] : await this.describeTransactions([...new Set(listed.map((l) => l.transactionalId))]);
    const hanging: HangingTransaction[] = [];
    for (const { topic, partition, producer } of candidates) {
      const transactions = described.filter((d) => listed.some((l) => l.transactionalId === d.transactionalId && l.producerId === producer.producerId));
      const inProgress = transactions.some((d) => d.producerId === producer.producerId
        && IN_PROGRESS_TRANSACTION_STATES.has(d.state)
        && d.partitions.some((p) => p.topic === topic && p.partition === partition));
      if (inProgress) continue;
      hanging.push({
        topic,
        partition,
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        coordinatorEpoch: producer.coordinatorEpoch,
        startOffset: producer.currentTransactionStartOffset,
        lastTimestamp: producer.lastTimestamp,
        transactionalId: transactions[0]?.transactionalId ?? null,
      });
    }
    return hanging;
  }

  // ---- producers -------------------------------------------------------------------------------------------------

  /** Active idempotent and transactional producers of each partition (KIP-664 DescribeProducers), from its leader. */
  async describeProducers(partitions: readonly TopicPartition[]): Promise<PartitionProducers[]> {
    return this.network.retrying('describeProducers', async () => {
      const byLeader = await this.partitionsByLeader(partitions, 'describeProducers');
      const results: PartitionProducers[] = [];
      for (const [leader, items] of byLeader) {
        const { response } = await this.network.send(leader, ApiKey.DescribeProducers, 0, 0, () => ({
          topics: [...byTopic(items)].map(([name, list]) => ({ name, partitionIndexes: list.map((item) => item.partition) })),
        }));
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            if (partition.errorCode !== NONE) throw brokerError(partition.errorCode, partition.errorMessage, `describeProducers ${topic.name}-${partition.partitionIndex}`);
            results.push({
              topic: topic.name,
              partition: partition.partitionIndex,
              producers: partition.activeProducers.map((producer) => ({
                producerId: producer.producerId,
                producerEpoch: producer.producerEpoch,
                lastSequence: producer.lastSequence,
                lastTimestamp: producer.lastTimestamp,
                coordinatorEpoch: producer.coordinatorEpoch,
                currentTransactionStartOffset: producer.currentTxnStartOffset,
              })),
            });
          }
        }
      }
      return results;
    });
  }

  // ---- ACLs --------------------------------------------------------------------------------------------------------

  /** Creates ACLs (an existing equal ACL is kept once). Needs ALTER on the cluster; SECURITY_DISABLED without an authorizer. */
  async createAcls(acls: readonly AclBinding[]): Promise<void> {
    await createAcls(this.network, acls);
  }

  /** The ACLs matching `filter` (all by default). Needs DESCRIBE on the cluster. */
  async describeAcls(filter: AclBindingFilter = {}): Promise<DescribedAcl[]> {
    return describeAcls(this.network, filter);
  }

  /** Deletes every ACL any filter matches and returns them. Needs ALTER on the cluster. */
  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<DescribedAcl[]> {
    return deleteAcls(this.network, filters);
  }

  // ---- SCRAM credentials (KIP-554) -------------------------------------------------------------------------------

  /** Users' SCRAM mechanisms and iteration counts (all users with credentials when `users` is omitted). */
  async describeUserScramCredentials(users?: readonly string[]): Promise<UserScramCredentials[]> {
    return describeUserScramCredentials(this.network, users);
  }

  /** Creates, replaces or deletes SCRAM credentials; passwords are salted and hashed before they are sent. */
  async alterUserScramCredentials(alterations: readonly ScramCredentialAlteration[]): Promise<void> {
    return alterUserScramCredentials(this.network, alterations);
  }
}
