// Bounds on what one admin request may ask for. Kafka's KRaft controller caps a user operation at 10,000
// metadata records (`QuorumController.MAX_RECORDS_PER_USER_OP`, `ReplicationControlManager.MAX_PARTITIONS_PER_BATCH`)
// and answers POLICY_VIOLATION past it; one partition is one record there, so the cap is on partitions.
import { ErrorCode } from '../protocol/errors/index.ts';
import { BrokerError } from './broker-error.ts';

export const MAX_PARTITIONS_PER_REQUEST = 10_000;
/** `QuorumController.MAX_RECORDS_PER_USER_OP`. */
export const MAX_RECORDS_PER_OPERATION = 10_000;

/**
 * Kafka's `ReplicationControlManager.validateTotalNumberOfPartitions`: the partitions a CreateTopics request would
 * create, summed over its topics (-1 means `num.partitions`; manual assignments count one each), may not exceed the
 * cap. Past it the whole request fails, every topic with POLICY_VIOLATION.
 */
export function checkTotalPartitionsToCreate(
  topics: readonly { numPartitions: number; assignments: readonly unknown[] }[],
  defaultPartitions: number,
): void {
  let total = 0;
  for (const topic of topics) {
    if (topic.assignments.length > 0) total += topic.assignments.length;
    else if (topic.numPartitions === -1) total += defaultPartitions;
    else if (topic.numPartitions > 0) total += topic.numPartitions;
  }
  if (total > MAX_PARTITIONS_PER_REQUEST) {
    throw new BrokerError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.');
  }
}

/** CreatePartitions: Kafka's controller refuses to add more than 10,000 partitions to a topic in one request. */
export function checkPartitionsToAdd(added: number): void {
  if (added > MAX_PARTITIONS_PER_REQUEST) {
    throw new BrokerError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of additional partitions per request.');
  }
}

/**
 * CreateTopics, after each topic is checked: Kafka writes one record per topic, per partition and per config it
 * sets into a list bounded at 10,000 (`BoundedList`); overflowing it fails the whole operation, which the
 * controller answers as a PolicyViolationException (`EventHandlerExceptionInfo`). `creatable` are the topics that
 * passed their own checks.
 */
export function checkRecordsToCreate(creatable: readonly { partitions: number; configs: number }[]): void {
  let records = 0;
  for (const topic of creatable) records += 1 + topic.partitions + topic.configs;
  if (records > MAX_RECORDS_PER_OPERATION) {
    throw new BrokerError(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.');
  }
}
