// The log manager: topic lifecycle and persistence across restarts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { LogManager } from './log-manager.ts';
import { topicIdToString } from './topic-store.ts';
import { simpleBatch, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

const codeOf = (code: number) => (error: Error & { code?: number }) => error.code === code;

describe('LogManager', () => {
  it('creates topics, and their metadata and data survive a restart', async () => {
    const dataDir = join(temp.path, `data-${counter++}`);
    const manager = await LogManager.open({ dataDir });
    const created = await manager.createTopic('orders', { partitions: 3, configs: { 'retention.ms': '60000' } });
    assert.equal(created.topicId.length, 16);
    assert.ok(!topicIdToString(created.topicId).startsWith('-'));
    const log = manager.getLog('orders', 2);
    assert.ok(log);
    assert.equal(log.logConfig.retentionMs, 60000);
    const { lastOffset } = log.append(simpleBatch(4));
    await log.waitDurable(lastOffset);
    assert.equal(manager.getLog('orders', 3), undefined);
    assert.equal(manager.getLog('missing', 0), undefined);
    assert.ok(existsSync(join(dataDir, 'orders-0')));
    await manager.close();

    const again = await LogManager.open({ dataDir });
    const topic = again.topic('orders');
    assert.ok(topic);
    assert.ok(topic.topicId.equals(created.topicId));
    assert.equal(topic.partitions, 3);
    assert.deepEqual(topic.configs, { 'retention.ms': '60000' });
    assert.equal(again.topicById(created.topicId)?.name, 'orders');
    const reopened = again.getLog('orders', 2);
    assert.ok(reopened);
    assert.equal(reopened.recoveryReport.cleanShutdown, true);
    assert.equal(reopened.logEndOffset, 4n);
    assert.equal(reopened.logConfig.retentionMs, 60000);
    await again.close();
  });

  it('validates names, partition counts and configs, and refuses duplicates', async () => {
    const manager = await LogManager.open({ dataDir: join(temp.path, `data-${counter++}`) });
    await assert.rejects(manager.createTopic('bad/name', { partitions: 1 }), codeOf(17));
    await assert.rejects(manager.createTopic('..', { partitions: 1 }), codeOf(17));
    await assert.rejects(manager.createTopic('x'.repeat(250), { partitions: 1 }), codeOf(17));
    await assert.rejects(manager.createTopic('zero', { partitions: 0 }), codeOf(37));
    await assert.rejects(manager.createTopic('conf', { partitions: 1, configs: { 'no.such.config': '1' } }), codeOf(40));
    await assert.rejects(manager.createTopic('conf', { partitions: 1, configs: { 'retention.ms': 'soon' } }), codeOf(40));
    // Two concurrent creations of one name: exactly one wins.
    const results = await Promise.allSettled([
      manager.createTopic('dup', { partitions: 1 }),
      manager.createTopic('dup', { partitions: 1 }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.deepEqual(manager.listTopics().map((t) => t.name), ['dup']);
    await manager.close();
  });

  it('adds partitions and deletes topics durably', async () => {
    const dataDir = join(temp.path, `data-${counter++}`);
    const manager = await LogManager.open({ dataDir });
    await manager.createTopic('a', { partitions: 1 });
    await manager.createTopic('b', { partitions: 2 });
    await assert.rejects(manager.createPartitions('a', 1), codeOf(37));
    const grown = await manager.createPartitions('a', 3);
    assert.equal(grown.partitions, 3);
    assert.ok(manager.getLog('a', 2));
    await manager.deleteTopic('b');
    await assert.rejects(manager.deleteTopic('b'), codeOf(3));
    assert.equal(manager.getLog('b', 0), undefined);
    assert.ok(!existsSync(join(dataDir, 'b-0')));
    await manager.close();
    const stored = JSON.parse(readFileSync(join(dataDir, 'topics.json'), 'utf8')) as { topics: { name: string; partitions: number }[] };
    assert.deepEqual(stored.topics.map((t) => [t.name, t.partitions]), [['a', 3]]);
    const again = await LogManager.open({ dataDir });
    assert.deepEqual(again.listTopics().map((t) => t.name), ['a']);
    assert.ok(again.getLog('a', 2));
    await again.close();
  });

  it('applies config changes to open logs and runs retention over all of them', async () => {
    let now = 10_000;
    const manager = await LogManager.open({ dataDir: join(temp.path, `data-${counter++}`), clock: () => now, config: { segmentBytes: 100 } });
    await manager.createTopic('t', { partitions: 1 });
    const log = manager.getLog('t', 0);
    assert.ok(log);
    for (let i = 0; i < 3; i++) {
      const { lastOffset } = log.append(simpleBatch(1, BigInt(i)));
      await log.waitDurable(lastOffset);
    }
    assert.equal(log.segmentCount, 3);
    assert.equal(manager.runRetention(), 0, 'default retention is 7 days');
    await manager.setTopicConfigs('t', { 'retention.ms': '1000' });
    assert.equal(manager.topic('t')?.configs['retention.ms'], '1000');
    now = 20_000;
    // All three segments are past retention, the active one included (it is rolled first, as Kafka does).
    assert.equal(manager.runRetention(), 3);
    assert.equal(log.logStartOffset, 3n);
    assert.equal(log.logEndOffset, 3n);
    await manager.close();
  });
});
