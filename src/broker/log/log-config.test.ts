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

test('cleanup.policy: compact is INVALID_CONFIG until compaction exists, unknown policies too; a stored one still loads', () => {
  const refused = (overrides: Record<string, string>, message: RegExp) =>
    assert.throws(() => logConfigWithOverrides(defaultLogConfig, overrides), (error: unknown) => error instanceof BrokerError && error.code === ErrorCode.INVALID_CONFIG && message.test(error.message));
  refused({ 'cleanup.policy': 'compact' }, /^Invalid value compact for configuration cleanup\.policy: log compaction is not supported/);
  refused({ 'cleanup.policy': 'delete,compact' }, /Invalid value delete,compact/);
  refused({ 'cleanup.policy': 'shred' }, /String must be one of: compact, delete/);
  logConfigWithOverrides(defaultLogConfig, { 'cleanup.policy': 'delete' });
  logConfigWithOverrides(defaultLogConfig, { 'cleanup.policy': 'compact,delete' }, { stored: true });
});
