// Every API this broker serves. ApiVersions advertises exactly this list (see docs/api-support.md).
import type { AnyApiHandler } from './api-handler.ts';
import { produceHandler } from './00-produce.ts';
import { fetchHandler } from './01-fetch.ts';
import { listOffsetsHandler } from './02-list-offsets.ts';
import { metadataHandler } from './03-metadata.ts';
import { offsetCommitHandler } from './08-offset-commit.ts';
import { offsetFetchHandler } from './09-offset-fetch.ts';
import { findCoordinatorHandler } from './10-find-coordinator.ts';
import { joinGroupHandler } from './11-join-group.ts';
import { heartbeatHandler } from './12-heartbeat.ts';
import { leaveGroupHandler } from './13-leave-group.ts';
import { syncGroupHandler } from './14-sync-group.ts';
import { describeGroupsHandler } from './15-describe-groups.ts';
import { listGroupsHandler } from './16-list-groups.ts';
import { saslHandshakeHandler } from './17-sasl-handshake.ts';
import { apiVersionsHandler } from './18-api-versions.ts';
import { saslAuthenticateHandler } from './36-sasl-authenticate.ts';
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials.ts';
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials.ts';
import { createTopicsHandler } from './19-create-topics.ts';
import { deleteTopicsHandler } from './20-delete-topics.ts';
import { deleteRecordsHandler } from './21-delete-records.ts';
import { initProducerIdHandler } from './22-init-producer-id.ts';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.ts';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.ts';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.ts';
import { endTxnHandler } from './26-end-txn.ts';
import { writeTxnMarkersHandler } from './27-write-txn-markers.ts';
import { txnOffsetCommitHandler } from './28-txn-offset-commit.ts';
import { describeAclsHandler } from './29-describe-acls.ts';
import { createAclsHandler } from './30-create-acls.ts';
import { deleteAclsHandler } from './31-delete-acls.ts';
import { describeConfigsHandler } from './32-describe-configs.ts';
import { createPartitionsHandler } from './37-create-partitions.ts';
import { deleteGroupsHandler } from './42-delete-groups.ts';
import { offsetDeleteHandler } from './47-offset-delete.ts';
import { describeClusterHandler } from './60-describe-cluster.ts';
import { listPartitionReassignmentsHandler } from './46-list-partition-reassignments.ts';
import { electLeadersHandler } from './43-elect-leaders.ts';
import { describeProducersHandler } from './61-describe-producers.ts';
import { alterConfigsHandler } from './33-alter-configs.ts';
import { describeLogDirsHandler } from './35-describe-log-dirs.ts';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs.ts';
import { describeQuorumHandler } from './55-describe-quorum.ts';
import { describeTopicPartitionsHandler } from './75-describe-topic-partitions.ts';
import { describeTransactionsHandler } from './65-describe-transactions.ts';
import { listTransactionsHandler } from './66-list-transactions.ts';
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat.ts';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe.ts';

export const brokerHandlers: readonly AnyApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  saslHandshakeHandler,
  apiVersionsHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  offsetForLeaderEpochHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeConfigsHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  describeClusterHandler,
  electLeadersHandler,
  listPartitionReassignmentsHandler,
  describeProducersHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  incrementalAlterConfigsHandler,
  describeQuorumHandler,
  describeTopicPartitionsHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
];

export function handlerMap(handlers: readonly AnyApiHandler[] = brokerHandlers): ReadonlyMap<number, AnyApiHandler> {
  return new Map(handlers.map((handler) => [handler.apiKey, handler]));
}
