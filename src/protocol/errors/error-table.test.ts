import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allErrors,
  ErrorCode,
  errorForCode,
  errorName,
  findErrorByCode,
  findErrorByName,
  isRetriable,
  KAFKA_ERRORS,
} from './error-table.ts';
import { KafkaProtocolError } from './kafka-protocol-error.ts';

// The codes the exactly-once path meets, with Kafka's retriable flag, as listed in the project's semantics
// reference (section 6), itself taken from Errors.java and the exception hierarchy.
const expected: ReadonlyArray<readonly [number, string, boolean]> = [
  [-1, 'UNKNOWN_SERVER_ERROR', false],
  [0, 'NONE', false],
  [1, 'OFFSET_OUT_OF_RANGE', false],
  [2, 'CORRUPT_MESSAGE', true],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', true],
  [5, 'LEADER_NOT_AVAILABLE', true],
  [6, 'NOT_LEADER_OR_FOLLOWER', true],
  [7, 'REQUEST_TIMED_OUT', true],
  [10, 'MESSAGE_TOO_LARGE', false],
  [13, 'NETWORK_EXCEPTION', true],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS', true],
  [15, 'COORDINATOR_NOT_AVAILABLE', true],
  [16, 'NOT_COORDINATOR', true],
  [17, 'INVALID_TOPIC_EXCEPTION', false],
  [18, 'RECORD_LIST_TOO_LARGE', false],
  [19, 'NOT_ENOUGH_REPLICAS', true],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', true],
  [21, 'INVALID_REQUIRED_ACKS', false],
  [22, 'ILLEGAL_GENERATION', false],
  [25, 'UNKNOWN_MEMBER_ID', false],
  [27, 'REBALANCE_IN_PROGRESS', false],
  [29, 'TOPIC_AUTHORIZATION_FAILED', false],
  [30, 'GROUP_AUTHORIZATION_FAILED', false],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', false],
  [32, 'INVALID_TIMESTAMP', false],
  [35, 'UNSUPPORTED_VERSION', false],
  [36, 'TOPIC_ALREADY_EXISTS', false],
  [37, 'INVALID_PARTITIONS', false],
  [38, 'INVALID_REPLICATION_FACTOR', false],
  [40, 'INVALID_CONFIG', false],
  [41, 'NOT_CONTROLLER', true],
  [42, 'INVALID_REQUEST', false],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', false],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', false],
  [47, 'INVALID_PRODUCER_EPOCH', false],
  [48, 'INVALID_TXN_STATE', false],
  [49, 'INVALID_PRODUCER_ID_MAPPING', false],
  [50, 'INVALID_TRANSACTION_TIMEOUT', false],
  [51, 'CONCURRENT_TRANSACTIONS', true],
  [52, 'TRANSACTION_COORDINATOR_FENCED', false],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false],
  [55, 'OPERATION_NOT_ATTEMPTED', false],
  [56, 'KAFKA_STORAGE_ERROR', true],
  [58, 'SASL_AUTHENTICATION_FAILED', false],
  [59, 'UNKNOWN_PRODUCER_ID', false],
  [68, 'NON_EMPTY_GROUP', false],
  [69, 'GROUP_ID_NOT_FOUND', false],
  [70, 'FETCH_SESSION_ID_NOT_FOUND', true],
  [71, 'INVALID_FETCH_SESSION_EPOCH', true],
  [74, 'FENCED_LEADER_EPOCH', true],
  [75, 'UNKNOWN_LEADER_EPOCH', true],
  [76, 'UNSUPPORTED_COMPRESSION_TYPE', false],
  [78, 'OFFSET_NOT_AVAILABLE', true],
  [79, 'MEMBER_ID_REQUIRED', false],
  [82, 'FENCED_INSTANCE_ID', false],
  [87, 'INVALID_RECORD', false],
  [88, 'UNSTABLE_OFFSET_COMMIT', true],
  [89, 'THROTTLING_QUOTA_EXCEEDED', true],
  [90, 'PRODUCER_FENCED', false],
  [100, 'UNKNOWN_TOPIC_ID', true],
  [105, 'TRANSACTIONAL_ID_NOT_FOUND', false],
  [120, 'TRANSACTION_ABORTABLE', false],
];

for (const [code, name, retriable] of expected) {
  test(`${name} is ${code}, ${retriable ? '' : 'not '}retriable`, () => {
    assert.equal(ErrorCode[name as keyof typeof ErrorCode], code);
    const info = findErrorByCode(code);
    assert.ok(info, `code ${code} missing`);
    assert.equal(info.name, name);
    assert.equal(info.retriable, retriable);
    assert.deepEqual(findErrorByName(name), info);
    assert.equal(isRetriable(code), retriable);
  });
}

test('the table covers every code from -1 to 133 exactly once', () => {
  const codes = allErrors().map((e) => e.code);
  assert.equal(codes.length, Object.keys(KAFKA_ERRORS).length);
  assert.deepEqual(codes, Array.from({ length: 135 }, (_, i) => i - 1));
});

test('constants are literal numbers usable in comparisons', () => {
  assert.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 45);
  assert.equal(ErrorCode.SHARE_SESSION_LIMIT_REACHED, 133);
  assert.ok(Object.isFrozen(ErrorCode));
});

test('unknown codes: Errors.forCode semantics and a name that keeps the number', () => {
  assert.equal(findErrorByCode(9999), undefined);
  assert.equal(errorForCode(9999).name, 'UNKNOWN_SERVER_ERROR');
  assert.equal(errorName(9999), 'UNKNOWN_ERROR_CODE(9999)');
  assert.equal(isRetriable(9999), false);
  assert.equal(findErrorByName('NOT_A_KAFKA_ERROR'), undefined);
});

test('KafkaProtocolError carries code, name, retriable flag, API and broker message', () => {
  const error = new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER, {
    apiKey: 0,
    apiVersion: 9,
    brokerMessage: 'leader moved',
  });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'KafkaProtocolError');
  assert.equal(error.code, 6);
  assert.equal(error.errorName, 'NOT_LEADER_OR_FOLLOWER');
  assert.equal(error.retriable, true);
  assert.equal(error.apiKey, 0);
  assert.equal(error.apiVersion, 9);
  assert.equal(error.brokerMessage, 'leader moved');
  assert.match(error.message, /NOT_LEADER_OR_FOLLOWER \[6\] \(apiKey 0 v9\): leader moved/);

  const bare = new KafkaProtocolError(4242);
  assert.equal(bare.errorName, 'UNKNOWN_ERROR_CODE(4242)');
  assert.equal(bare.retriable, false);
  assert.equal(bare.brokerMessage, null);
  assert.equal(bare.apiKey, undefined);
});
