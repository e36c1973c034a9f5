import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileSystem } from './log/log-file-system.ts';
import { CONSUMER_OFFSETS_TOPIC, InternalTopics, TRANSACTION_STATE_TOPIC, isInternalTopicName } from './internal-topics.ts';

describe('InternalTopics', () => {
  it('creates an internal topic once, with the configured partitions, and keeps it and its id across a reopen', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-internal-topics-'));
    try {
      const topics = InternalTopics.open(nodeFileSystem, dataDir, 3);
      assert.deepEqual(topics.list(), []);
      assert.equal(topics.get(CONSUMER_OFFSETS_TOPIC), undefined);
      const created = topics.ensure(CONSUMER_OFFSETS_TOPIC);
      assert.equal(created.partitions, 3);
      assert.equal(topics.ensure(CONSUMER_OFFSETS_TOPIC), created, 'a second ensure returns the same topic');
      const reopened = InternalTopics.open(nodeFileSystem, dataDir, 3);
      assert.deepEqual(reopened.list().map((topic) => [topic.name, topic.partitions, topic.topicId.toString('hex')]), [[CONSUMER_OFFSETS_TOPIC, 3, created.topicId.toString('hex')]]);
      assert.equal(reopened.getById(created.topicId)?.name, CONSUMER_OFFSETS_TOPIC);
      assert.equal(reopened.ensure(TRANSACTION_STATE_TOPIC).partitions, 50);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reserves exactly Kafka\'s internal topic names', () => {
    assert.ok(isInternalTopicName('__consumer_offsets'));
    assert.ok(isInternalTopicName('__transaction_state'));
    assert.ok(!isInternalTopicName('__consumer_offsets2'));
    assert.ok(!isInternalTopicName('consumer_offsets'));
  });
});
