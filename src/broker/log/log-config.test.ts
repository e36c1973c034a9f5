import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerError } from '../broker-error.ts';
import { ErrorCode } from '../../protocol/errors/error-table.ts';
import { defaultLogConfig, logConfigWithOverrides } from './log-config.ts';

test('message.timestamp.before/after.max.ms: Kafka 4 defaults, longs up to Long.MAX, INVALID_CONFIG otherwise', () => {
  assert.equal(defaultLogConfig.messageTimestampBeforeMaxMs, 0x7fffffffffffffffn);
  assert.equal(defaultLogConfig.messageTimestampAfterMaxMs, 3_600_000n, 'KIP-1030: one hour');
  const config = logConfigWithOverrides(defaultLogConfig, {
    'message.timestamp.before.max.ms': '60000',
    'message.timestamp.after.max.ms': '9223372036854775807',
  });
  assert.equal(config.messageTimestampBeforeMaxMs, 60_000n);
  assert.equal(config.messageTimestampAfterMaxMs, 0x7fffffffffffffffn, 'Long.MAX kept exactly');
  for (const bad of ['-1', '9223372036854775808', 'soon', '']) {
    assert.throws(
      () => logConfigWithOverrides(defaultLogConfig, { 'message.timestamp.after.max.ms': bad }),
      (error: unknown) => error instanceof BrokerError && error.code === ErrorCode.INVALID_CONFIG,
      bad,
    );
  }
});

test('cleanup.policy: delete, compact, both or none; anything else INVALID_CONFIG; compaction settings parsed', () => {
  const refused = (overrides: Record<string, string>, message: RegExp) =>
    assert.throws(() => logConfigWithOverrides(defaultLogConfig, overrides), (error: unknown) => error instanceof BrokerError && error.code === ErrorCode.INVALID_CONFIG && message.test(error.message));
  refused({ 'cleanup.policy': 'shred' }, /^Invalid value shred for configuration cleanup\.policy: String must be one of: compact, delete/);
  refused({ 'cleanup.policy': 'delete,shred' }, /Invalid value delete,shred/);
  refused({ 'min.cleanable.dirty.ratio': '1.5' }, /min\.cleanable\.dirty\.ratio/);
  refused({ 'max.compaction.lag.ms': '0' }, /max\.compaction\.lag\.ms/);
  assert.deepEqual(defaultLogConfig.cleanupPolicy, ['delete']);
  assert.deepEqual(logConfigWithOverrides(defaultLogConfig, { 'cleanup.policy': 'compact' }).cleanupPolicy, ['compact']);
  assert.deepEqual(logConfigWithOverrides(defaultLogConfig, { 'cleanup.policy': 'compact, delete' }).cleanupPolicy, ['compact', 'delete']);
  assert.deepEqual(logConfigWithOverrides(defaultLogConfig, { 'cleanup.policy': '' }).cleanupPolicy, []);
  const compacted = logConfigWithOverrides(defaultLogConfig, {
    'min.cleanable.dirty.ratio': '0.1',
    'min.compaction.lag.ms': '1000',
    'max.compaction.lag.ms': '9223372036854775807',
    'delete.retention.ms': '0',
  });
  assert.equal(compacted.minCleanableDirtyRatio, 0.1);
  assert.equal(compacted.minCompactionLagMs, 1000);
  assert.equal(compacted.maxCompactionLagMs, Number.MAX_SAFE_INTEGER, 'Long.MAX (never) saturates');
  assert.equal(compacted.deleteRetentionMs, 0);
});
