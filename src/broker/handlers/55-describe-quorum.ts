// DescribeQuorum (key 55), versions 0-2 (KIP-595, KIP-836, KIP-853). seqlog has no metadata quorum: its metadata
// lives in files beside the logs. The truthful answer for one node is a quorum of one voter, this node, which has
// always led it: leader epoch 0, no metadata records (log end offset and high watermark 0), no observers, and the
// leader counts as caught up with itself now. Any partition other than `__cluster_metadata`-0 is
// UNKNOWN_TOPIC_OR_PARTITION, as Kafka's `KafkaRaftClient` answers.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { DescribeQuorumResponseTopicData } from '../../protocol/messages/generated/55-describe-quorum.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ZERO_UUID } from '../../protocol/messages/runtime.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

/** Kafka's `Topic.CLUSTER_METADATA_TOPIC_NAME`. */
const CLUSTER_METADATA_TOPIC = '__cluster_metadata';

export const describeQuorumHandler: ApiHandler<typeof ApiKey.DescribeQuorum> = {
  apiKey: ApiKey.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  handle(broker, request, context) {
    const { nodeId, host, port } = broker.endpoint;
    if (!authorizeCluster(broker, context, apiAuthorization.DescribeQuorum.cluster)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [], nodes: [] };
    const now = BigInt(broker.clock());
    const topics: DescribeQuorumResponseTopicData[] = request.topics.map((topic) => ({
      topicName: topic.topicName,
      partitions: topic.partitions.map(({ partitionIndex }) => {
        const known = topic.topicName === CLUSTER_METADATA_TOPIC && partitionIndex === 0;
        return {
          partitionIndex,
          errorCode: known ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
          leaderId: known ? nodeId : -1,
          leaderEpoch: known ? 0 : -1,
          highWatermark: known ? 0n : -1n,
          currentVoters: known
            ? [{ replicaId: nodeId, replicaDirectoryId: ZERO_UUID, logEndOffset: 0n, lastFetchTimestamp: now, lastCaughtUpTimestamp: now }]
            : [],
          observers: [],
        };
      }),
    }));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics,
      nodes: [{ nodeId, listeners: [{ name: 'PLAINTEXT', host, port }] }],
    };
  },
};
