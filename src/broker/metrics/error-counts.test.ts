// ErrorsPerSec counted from answers along a learned plan: every error code at every level, NONE included; a field
// first seen null is learned when it shows up; bytes and levels without error codes are skipped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerMetricRegistry, type BrokerMetricSources } from './broker-metric-registry.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';

async function errorCounts(registry: BrokerMetricRegistry): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const counter = registry.registry.getSingleMetric('kafka_network_requestmetrics_errors_total');
  assert.ok(counter !== undefined);
  for (const sample of (await counter.get()).values) counts[`${sample.labels.request}:${sample.labels.error}`] = sample.value;
  return counts;
}

describe('error codes counted from answers', () => {
  it('counts top-level, nested and late-learned error codes, skipping bytes', async () => {
    // Only the error counter is read: the scrape-time sources are never asked.
    const registry = new BrokerMetricRegistry({} as BrokerMetricSources);
    const metric = registry.request(ApiKey.Fetch);
    metric.answered({ errorCode: ErrorCode.NONE, responses: [{ topicId: Buffer.alloc(16), partitions: [{ errorCode: ErrorCode.NONE, records: null, leader: { leaderId: 1 } }] }], extra: null });
    metric.answered({
      errorCode: ErrorCode.NONE,
      responses: [{ topicId: Buffer.alloc(16), partitions: [{ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, records: Buffer.from([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]), leader: { leaderId: 1 } }] }],
      extra: { partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    });
    const counts = await errorCounts(registry);
    assert.deepEqual(counts, { 'Fetch:NONE': 3, 'Fetch:NOT_LEADER_OR_FOLLOWER': 1, 'Fetch:UNKNOWN_TOPIC_OR_PARTITION': 1 });
  });
});
