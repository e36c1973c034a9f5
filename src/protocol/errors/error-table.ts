// Every Kafka protocol error code, its name and whether Kafka classifies it as retriable.
//
// One named source: `clients/src/main/java/org/apache/kafka/common/protocol/Errors.java` in apache/kafka
// (codes -1 .. 133, as of Kafka 4.1). "Retriable" means the exception class that `Errors` maps the code to
// extends `org.apache.kafka.common.errors.RetriableException`, directly or through `InvalidMetadataException`;
// this is the same column Kafka prints in its generated protocol error table (`Errors.toHtml`).
// What a client should *do* on an error is not decided here: that lives in per-operation policy tables.

export const KAFKA_ERRORS = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false },
  NONE: { code: 0, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  INVALID_FETCH_SIZE: { code: 4, retriable: false },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  BROKER_NOT_AVAILABLE: { code: 8, retriable: false },
  REPLICA_NOT_AVAILABLE: { code: 9, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  STALE_CONTROLLER_EPOCH: { code: 11, retriable: false },
  OFFSET_METADATA_TOO_LARGE: { code: 12, retriable: false },
  NETWORK_EXCEPTION: { code: 13, retriable: true },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  NOT_COORDINATOR: { code: 16, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, retriable: false },
  GROUP_AUTHORIZATION_FAILED: { code: 30, retriable: false },
  CLUSTER_AUTHORIZATION_FAILED: { code: 31, retriable: false },
  INVALID_TIMESTAMP: { code: 32, retriable: false },
  UNSUPPORTED_SASL_MECHANISM: { code: 33, retriable: false },
  ILLEGAL_SASL_STATE: { code: 34, retriable: false },
  UNSUPPORTED_VERSION: { code: 35, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_PARTITIONS: { code: 37, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false },
  INVALID_CONFIG: { code: 40, retriable: false },
  NOT_CONTROLLER: { code: 41, retriable: true },
  INVALID_REQUEST: { code: 42, retriable: false },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: { code: 43, retriable: false },
  POLICY_VIOLATION: { code: 44, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  INVALID_TXN_STATE: { code: 48, retriable: false },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, retriable: false },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true },
  TRANSACTION_COORDINATOR_FENCED: { code: 52, retriable: false },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { code: 53, retriable: false },
  SECURITY_DISABLED: { code: 54, retriable: false },
  OPERATION_NOT_ATTEMPTED: { code: 55, retriable: false },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  LOG_DIR_NOT_FOUND: { code: 57, retriable: false },
  SASL_AUTHENTICATION_FAILED: { code: 58, retriable: false },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false },
  REASSIGNMENT_IN_PROGRESS: { code: 60, retriable: false },
  DELEGATION_TOKEN_AUTH_DISABLED: { code: 61, retriable: false },
  DELEGATION_TOKEN_NOT_FOUND: { code: 62, retriable: false },
  DELEGATION_TOKEN_OWNER_MISMATCH: { code: 63, retriable: false },
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: { code: 64, retriable: false },
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: { code: 65, retriable: false },
  DELEGATION_TOKEN_EXPIRED: { code: 66, retriable: false },
  INVALID_PRINCIPAL_TYPE: { code: 67, retriable: false },
  NON_EMPTY_GROUP: { code: 68, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false },
  FETCH_SESSION_ID_NOT_FOUND: { code: 70, retriable: true },
  INVALID_FETCH_SESSION_EPOCH: { code: 71, retriable: true },
  LISTENER_NOT_FOUND: { code: 72, retriable: true },
  TOPIC_DELETION_DISABLED: { code: 73, retriable: false },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true },
  UNSUPPORTED_COMPRESSION_TYPE: { code: 76, retriable: false },
  STALE_BROKER_EPOCH: { code: 77, retriable: false },
  OFFSET_NOT_AVAILABLE: { code: 78, retriable: true },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  PREFERRED_LEADER_NOT_AVAILABLE: { code: 80, retriable: true },
  GROUP_MAX_SIZE_REACHED: { code: 81, retriable: false },
  FENCED_INSTANCE_ID: { code: 82, retriable: false },
  ELIGIBLE_LEADERS_NOT_AVAILABLE: { code: 83, retriable: true },
  ELECTION_NOT_NEEDED: { code: 84, retriable: true },
  NO_REASSIGNMENT_IN_PROGRESS: { code: 85, retriable: false },
  GROUP_SUBSCRIBED_TO_TOPIC: { code: 86, retriable: false },
  INVALID_RECORD: { code: 87, retriable: false },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true },
  THROTTLING_QUOTA_EXCEEDED: { code: 89, retriable: true },
  PRODUCER_FENCED: { code: 90, retriable: false },
  RESOURCE_NOT_FOUND: { code: 91, retriable: false },
  DUPLICATE_RESOURCE: { code: 92, retriable: false },
  UNACCEPTABLE_CREDENTIAL: { code: 93, retriable: false },
  INCONSISTENT_VOTER_SET: { code: 94, retriable: false },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false },
  FEATURE_UPDATE_FAILED: { code: 96, retriable: false },
  PRINCIPAL_DESERIALIZATION_FAILURE: { code: 97, retriable: false },
  SNAPSHOT_NOT_FOUND: { code: 98, retriable: false },
  POSITION_OUT_OF_RANGE: { code: 99, retriable: false },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true },
  DUPLICATE_BROKER_REGISTRATION: { code: 101, retriable: false },
  BROKER_ID_NOT_REGISTERED: { code: 102, retriable: false },
  INCONSISTENT_TOPIC_ID: { code: 103, retriable: true },
  INCONSISTENT_CLUSTER_ID: { code: 104, retriable: false },
  TRANSACTIONAL_ID_NOT_FOUND: { code: 105, retriable: false },
  FETCH_SESSION_TOPIC_ID_ERROR: { code: 106, retriable: true },
  INELIGIBLE_REPLICA: { code: 107, retriable: false },
  NEW_LEADER_ELECTED: { code: 108, retriable: false },
  OFFSET_MOVED_TO_TIERED_STORAGE: { code: 109, retriable: false },
  FENCED_MEMBER_EPOCH: { code: 110, retriable: false },
  UNRELEASED_INSTANCE_ID: { code: 111, retriable: false },
  UNSUPPORTED_ASSIGNOR: { code: 112, retriable: false },
  STALE_MEMBER_EPOCH: { code: 113, retriable: false },
  MISMATCHED_ENDPOINT_TYPE: { code: 114, retriable: false },
  UNSUPPORTED_ENDPOINT_TYPE: { code: 115, retriable: false },
  UNKNOWN_CONTROLLER_ID: { code: 116, retriable: false },
  UNKNOWN_SUBSCRIPTION_ID: { code: 117, retriable: false },
  TELEMETRY_TOO_LARGE: { code: 118, retriable: false },
  INVALID_REGISTRATION: { code: 119, retriable: false },
  TRANSACTION_ABORTABLE: { code: 120, retriable: false },
  INVALID_RECORD_STATE: { code: 121, retriable: false },
  SHARE_SESSION_NOT_FOUND: { code: 122, retriable: true },
  INVALID_SHARE_SESSION_EPOCH: { code: 123, retriable: true },
  FENCED_STATE_EPOCH: { code: 124, retriable: false },
  INVALID_VOTER_KEY: { code: 125, retriable: false },
  DUPLICATE_VOTER: { code: 126, retriable: false },
  VOTER_NOT_FOUND: { code: 127, retriable: false },
  INVALID_REGULAR_EXPRESSION: { code: 128, retriable: false },
  REBOOTSTRAP_REQUIRED: { code: 129, retriable: false },
  STREAMS_INVALID_TOPOLOGY: { code: 130, retriable: false },
  STREAMS_INVALID_TOPOLOGY_EPOCH: { code: 131, retriable: false },
  STREAMS_TOPOLOGY_FENCED: { code: 132, retriable: false },
  SHARE_SESSION_LIMIT_REACHED: { code: 133, retriable: true },
} as const;

export type ErrorName = keyof typeof KAFKA_ERRORS;
/** `ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER === 45`: the name -> code constants. */
export type ErrorCodes = { readonly [N in ErrorName]: (typeof KAFKA_ERRORS)[N]['code'] };
/** Any code in the table (a union of numeric literals). */
export type ErrorCode = ErrorCodes[ErrorName];

export interface KafkaErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
}

const names = Object.keys(KAFKA_ERRORS) as ErrorName[];

export const ErrorCode: ErrorCodes = Object.freeze(
  Object.fromEntries(names.map((name) => [name, KAFKA_ERRORS[name].code])) as ErrorCodes,
);

const byCode = new Map<number, KafkaErrorInfo>();
const byName = new Map<string, KafkaErrorInfo>();
for (const name of names) {
  const info: KafkaErrorInfo = Object.freeze({ name, ...KAFKA_ERRORS[name] });
  byCode.set(info.code, info);
  byName.set(name, info);
}

/** The table entry for `code`, or undefined for a code this table does not know. */
export function findErrorByCode(code: number): KafkaErrorInfo | undefined {
  return byCode.get(code);
}

/** The table entry for a name such as `'INVALID_RECORD'`, or undefined. */
export function findErrorByName(name: string): KafkaErrorInfo | undefined {
  return byName.get(name);
}

/**
 * Kafka's `Errors.forCode`: an unknown code is reported as UNKNOWN_SERVER_ERROR (not retriable), which is how
 * an older client treats a code a newer broker invented.
 */
export function errorForCode(code: number): KafkaErrorInfo {
  return byCode.get(code) ?? (byCode.get(-1) as KafkaErrorInfo);
}

/** The name of `code`, or `UNKNOWN_ERROR_CODE(<code>)` for a code outside the table (keeps the raw number). */
export function errorName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN_ERROR_CODE(${code})`;
}

export function isRetriable(code: number): boolean {
  return byCode.get(code)?.retriable ?? false;
}

/** Every entry, ordered by code. */
export function allErrors(): readonly KafkaErrorInfo[] {
  return [...byCode.values()].sort((a, b) => a.code - b.code);
}
