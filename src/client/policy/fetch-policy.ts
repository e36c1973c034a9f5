// What the consumer does with each Fetch partition error code (Kafka's `FetchCollector.handleInitializeErrors`
// and `AbstractFetch.handleFetchSuccess`). One row per code; every other code is retried after a metadata refresh
// when Kafka marks it retriable, and surfaced to the application otherwise.
import { ErrorCode, isRetriable } from '../../protocol/errors/index.ts';

export const FetchAction = {
  /** The leader moved or the partition is not ready there: refresh metadata, fetch again. */
  refreshMetadata: 'refresh-metadata',
  /** The fetch offset is outside the log: reset with auto.offset.reset (or fail when it is 'none'). */
  resetOffset: 'reset-offset',
  /** Nothing to do but fetch again (after the backoff). */
  retry: 'retry',
  /** The application must see it (authorization, corrupt data). */
  fail: 'fail',
} as const;
export type FetchAction = (typeof FetchAction)[keyof typeof FetchAction];

const REFRESH = 'FetchCollector.handleInitializeErrors: requestMetadataUpdate';

export const FETCH_POLICY: ReadonlyMap<number, { action: FetchAction; source: string }> = new Map([
  [ErrorCode.NOT_LEADER_OR_FOLLOWER, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.REPLICA_NOT_AVAILABLE, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.KAFKA_STORAGE_ERROR, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.FENCED_LEADER_EPOCH, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.OFFSET_NOT_AVAILABLE, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.UNKNOWN_TOPIC_ID, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.INCONSISTENT_TOPIC_ID, { action: FetchAction.refreshMetadata, source: REFRESH }],
  [ErrorCode.UNKNOWN_LEADER_EPOCH, { action: FetchAction.retry, source: 'FetchCollector: our epoch is newer than the broker\'s; retry' }],
  [ErrorCode.OFFSET_OUT_OF_RANGE, { action: FetchAction.resetOffset, source: 'FetchCollector.handleOffsetOutOfRange' }],
  [ErrorCode.UNKNOWN_SERVER_ERROR, { action: FetchAction.retry, source: 'FetchCollector: logged and retried' }],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, { action: FetchAction.fail, source: 'FetchCollector: TopicAuthorizationException' }],
  [ErrorCode.CORRUPT_MESSAGE, { action: FetchAction.fail, source: 'CompletedFetch: CorruptRecordException' }],
]);

export function fetchActionFor(code: number): FetchAction {
  return FETCH_POLICY.get(code)?.action ?? (isRetriable(code) ? FetchAction.refreshMetadata : FetchAction.fail);
}
