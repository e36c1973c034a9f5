// Per-partition log settings, named after Kafka's topic configs (`segment.bytes`, `retention.ms`, ...) and
// their broker-wide defaults (`log.segment.bytes`, `log.retention.ms`, ...), in camelCase.
import { ErrorCode } from '../../protocol/errors/error-table.ts';
import { FsyncPolicy } from '../config.ts';
import type { BrokerConfig } from '../config.ts';
import { BrokerError } from '../broker-error.ts';


export const TimestampType = { createTime: 'CreateTime', logAppendTime: 'LogAppendTime' } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export const CleanupPolicy = { delete: 'delete', compact: 'compact' } as const;
export type CleanupPolicy = (typeof CleanupPolicy)[keyof typeof CleanupPolicy];

export interface LogConfig {
  /** `cleanup.policy`: 'delete' (retention), 'compact' (the log cleaner), or both. */
  cleanupPolicy: readonly CleanupPolicy[];
  /** `min.cleanable.dirty.ratio`: clean once the dirty part is at least this share of the cleanable log. */
  minCleanableDirtyRatio: number;
  /** `min.compaction.lag.ms`: a record stays uncompacted at least this long. */
  minCompactionLagMs: number;
  /** `max.compaction.lag.ms`: a dirty record older than this forces a cleaning whatever the ratio. */
  maxCompactionLagMs: number;
  /** `delete.retention.ms`: how long tombstones and transaction markers survive once cleaned. */
  deleteRetentionMs: number;
  /** `segment.bytes`: roll when the active segment would grow past this. */
  segmentBytes: number;
  /** `segment.ms`: roll when the active segment's first batch is this old. */
  segmentMs: number;
  /** `retention.ms`: delete segments whose largest timestamp is older (-1: forever). */
  retentionMs: number;
  /** `retention.bytes`: delete the oldest segments while the log is larger (-1: no limit). */
  retentionBytes: number;
  /** `index.interval.bytes`: bytes between offset-index entries. */
  indexIntervalBytes: number;
  /** `message.timestamp.type`: whether the broker stamps batches with LogAppendTime. */
  messageTimestampType: TimestampType;
  /** `max.message.bytes`: largest batch accepted (checked by the Produce path, stored here per topic). */
  maxMessageBytes: number;
  /** `message.timestamp.before.max.ms`: how far in the past a CreateTime record may be (checked by the Produce path). */
  messageTimestampBeforeMaxMs: bigint;
  /** `message.timestamp.after.max.ms`: how far in the future a CreateTime record may be (1 hour since Kafka 4.0, KIP-1030). */
  messageTimestampAfterMaxMs: bigint;
  /** When an append is durable: see `FsyncPolicy` (broker config `log.flush.policy`). */
  fsync: FsyncPolicy;
  /** fsync period for the 'interval' policy (`log.flush.interval.ms`). */
  fsyncIntervalMs: number;
}

export const defaultLogConfig: Readonly<LogConfig> = {
  cleanupPolicy: [CleanupPolicy.delete],
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  deleteRetentionMs: 24 * 3600 * 1000,
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  messageTimestampType: TimestampType.createTime,
  maxMessageBytes: 1048588,
  messageTimestampBeforeMaxMs: 0x7fffffffffffffffn,
  messageTimestampAfterMaxMs: 3_600_000n,
  fsync: FsyncPolicy.always,
  fsyncIntervalMs: 1000,
};

/** `stored`: the value was accepted by an earlier version and is being loaded, not newly set. */
type TopicConfigParser = (value: string, config: LogConfig, stored: boolean) => void;

/** A Kafka `long` config >= 0 (up to Long.MAX, which no JavaScript number holds exactly). */
function long(value: string): bigint {
  let n: bigint;
  try {
    n = BigInt(value.trim());
  } catch {
    n = -1n;
  }
  if (value.trim() === '' || n < 0n || n > 0x7fffffffffffffffn) {
    throw new BrokerError(ErrorCode.INVALID_CONFIG, `expected an integer from 0 to 9223372036854775807, got '${value}'`);
  }
  return n;
}

/** A Kafka `long` duration as a number: values beyond 2^53 (Long.MAX means "never") saturate. */
function clampedLong(value: string): number {
  const n = long(value);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

function integer(value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new BrokerError(ErrorCode.INVALID_CONFIG, `expected an integer >= ${min}, got '${value}'`);
  }
  return n;
}

/** Kafka topic config names that change the log (LogConfig's `TopicConfig` names). */
const topicConfigParsers: Record<string, TopicConfigParser> = {
  'segment.bytes': (value, config) => {
    // Kafka's minimum is 14 bytes (LegacyRecord overhead); positions are int32, so the maximum is Int32.MAX.
    config.segmentBytes = Math.min(integer(value, 14), 0x7fffffff);
  },
  'segment.ms': (value, config) => {
    config.segmentMs = integer(value, 1);
  },
  'retention.ms': (value, config) => {
    config.retentionMs = integer(value, -1);
  },
  'retention.bytes': (value, config) => {
    config.retentionBytes = integer(value, -1);
  },
  'index.interval.bytes': (value, config) => {
    config.indexIntervalBytes = integer(value, 0);
  },
  'max.message.bytes': (value, config) => {
    config.maxMessageBytes = integer(value, 0);
  },
  // Kafka's `cleanup.policy`: a list of `delete` and `compact` (an empty value means neither).
  'cleanup.policy': (value, config) => {
    const policies = value.split(',').map((policy) => policy.trim().toLowerCase());
    for (const policy of policies) {
      if (policy !== CleanupPolicy.delete && policy !== CleanupPolicy.compact && !(policy === '' && policies.length === 1)) {
        throw new BrokerError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration cleanup.policy: String must be one of: compact, delete`);
      }
    }
    config.cleanupPolicy = [...new Set(policies.filter((policy) => policy !== '') as CleanupPolicy[])];
  },
  'message.timestamp.before.max.ms': (value, config) => {
    config.messageTimestampBeforeMaxMs = long(value);
  },
  'message.timestamp.after.max.ms': (value, config) => {
    config.messageTimestampAfterMaxMs = long(value);
  },
  'min.cleanable.dirty.ratio': (value, config) => {
    const ratio = Number(value);
    if (value.trim() === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      throw new BrokerError(ErrorCode.INVALID_CONFIG, `expected a number from 0 to 1, got '${value}'`);
    }
    config.minCleanableDirtyRatio = ratio;
  },
  'min.compaction.lag.ms': (value, config) => {
    config.minCompactionLagMs = clampedLong(value);
  },
  'max.compaction.lag.ms': (value, config) => {
    const lag = clampedLong(value);
    if (lag < 1) throw new BrokerError(ErrorCode.INVALID_CONFIG, `expected an integer >= 1, got '${value}'`);
    config.maxCompactionLagMs = lag;
  },
  'delete.retention.ms': (value, config) => {
    config.deleteRetentionMs = clampedLong(value);
  },
  'message.timestamp.type': (value, config) => {
    if (value !== TimestampType.createTime && value !== TimestampType.logAppendTime) {
      throw new BrokerError(ErrorCode.INVALID_CONFIG, `expected CreateTime or LogAppendTime, got '${value}'`);
    }
    config.messageTimestampType = value;
  },
};

/** Topic configs Kafka clients commonly send that this broker stores and reports but does not act on. */
const storedOnlyTopicConfigs = new Set([
  'compression.type',
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'message.timestamp.difference.max.ms',
  'segment.index.bytes',
  'segment.jitter.ms',
  'flush.ms',
  'flush.messages',
  'file.delete.delay.ms',
  'preallocate',
  'message.downconversion.enable',
  'local.retention.ms',
  'local.retention.bytes',
  'remote.storage.enable',
]);

export const knownTopicConfigNames: readonly string[] = [...Object.keys(topicConfigParsers), ...storedOnlyTopicConfigs];

/**
 * The log config of a topic: `base` with the topic's overrides (Kafka names) applied. An unknown name or a bad
 * value raises INVALID_CONFIG, as CreateTopics/AlterConfigs answer.
 */
export function logConfigWithOverrides(
  base: Readonly<LogConfig>,
  overrides: Readonly<Record<string, string>>,
  options: { stored?: boolean } = {},
): LogConfig {
  const config: LogConfig = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    const parser = topicConfigParsers[name];
    if (parser) {
      try {
        parser(value, config, options.stored === true);
      } catch (error) {
        if (error instanceof BrokerError) {
          throw new BrokerError(error.code, error.message.startsWith('Invalid value') ? error.message : `${name}: ${error.message}`);
        }
        throw error;
      }
    } else if (!storedOnlyTopicConfigs.has(name)) {
      throw new BrokerError(ErrorCode.INVALID_CONFIG, `unknown topic config '${name}'`);
    }
  }
  return config;
}

/** The broker-wide log defaults from the broker config (`log.segment.bytes` -> segmentBytes, ...). */
export function logConfigFromBroker(config: Readonly<BrokerConfig>): LogConfig {
  return {
    ...defaultLogConfig,
    segmentBytes: config.logSegmentBytes,
    segmentMs: config.logRollMs,
    retentionMs: config.logRetentionMs,
    retentionBytes: config.logRetentionBytes,
    indexIntervalBytes: config.logIndexIntervalBytes,
    maxMessageBytes: config.messageMaxBytes,
    fsync: config.fsync,
    fsyncIntervalMs: config.fsyncIntervalMs,
    cleanupPolicy: [...new Set(config.logCleanupPolicy.split(',').filter((policy) => policy !== ''))] as CleanupPolicy[],
    minCleanableDirtyRatio: config.logCleanerMinCleanableRatio,
    deleteRetentionMs: config.logCleanerDeleteRetentionMs,
    minCompactionLagMs: config.logCleanerMinCompactionLagMs,
    maxCompactionLagMs: config.logCleanerMaxCompactionLagMs,
  };
}

/**
 * Kafka's `LogConfig.maxSegmentMs`: the age at which the active segment rolls. On a compacted log it is capped by
 * `max.compaction.lag.ms`: the active segment is never cleaned, so without the roll a record in it could stay
 * uncompacted past the lag for as long as the segment did not fill up.
 */
export function maxSegmentMs(config: Readonly<LogConfig>): number {
  if (config.cleanupPolicy.includes(CleanupPolicy.compact) && config.maxCompactionLagMs > 0) return Math.min(config.maxCompactionLagMs, config.segmentMs);
  return config.segmentMs;
}
