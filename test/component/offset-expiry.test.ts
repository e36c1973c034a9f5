// Group offset expiry (KIP-211, `offsets.retention.minutes` / `offsets.retention.check.interval.ms`) on a real
// broker with a short retention: the offsets of an Empty classic group expire and the group goes; a Stable
// classic group keeps the offsets of the topics it subscribes to but loses the others; a KIP-848 consumer group
// loses the offsets of topics no member subscribes to, and everything once it is Empty; and the expiry is
// written to the offsets log, so a restart with the default (7-day) retention does not bring anything back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, Consumer, type ConsumerOptions } from '../../src/client/index.ts';
import { createTopic, produce } from './consumer-group-protocol-scenario.ts';

const RETENTION_MS = 2_000;
const CHECK_INTERVAL_MS = 200;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('group offset expiry (offsets.retention.minutes) against seqlog', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-offset-expiry-'));
  let broker: RunningBroker;
  let admin: Admin;

  before(async () => {
    broker = await startBroker({
      dataDir,
      offsetsRetentionMs: RETENTION_MS,
      offsetsRetentionCheckIntervalMs: CHECK_INTERVAL_MS,
      groupConsumerHeartbeatIntervalMs: 250,
    });
    admin = new Admin({ bootstrap: broker.bootstrap });
  });

  after(async () => {
    await admin?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const offsetsOf = async (groupId: string): Promise<string[]> =>
    (await admin.listConsumerGroupOffsets(groupId)).map((offset) => `${offset.topic}-${offset.partition}@${offset.offset}`);
  const listed = async (groupId: string): Promise<string | undefined> => (await admin.listGroups()).find((group) => group.groupId === groupId)?.state;

  it('expires Empty groups, spares the subscribed topics of live groups, and a restart keeps it so', async () => {
    await createTopic(broker.bootstrap, 'exp-subscribed', 1);
    await createTopic(broker.bootstrap, 'exp-other', 1);
    await produce(broker.bootstrap, 'exp-subscribed', 1, 'r-', 5);
    const member = (groupId: string, options: Partial<ConsumerOptions> = {}): Consumer =>
      new Consumer({ bootstrap: broker.bootstrap, groupId, autoOffsetReset: 'earliest', enableAutoCommit: false, fetchMaxWaitMs: 50, ...options });
    const both = [{ topic: 'exp-subscribed', partition: 0, offset: 3n }, { topic: 'exp-other', partition: 0, offset: 7n }];

    // A classic group that stays Stable, a KIP-848 group with a live member, and a classic group that empties.
    const stable = member('exp-classic-stable');
    const kip848 = member('exp-consumer-group', { groupProtocol: 'consumer' });
    const emptied = member('exp-classic-emptied');
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const runs: Promise<void>[] = [];
    try {
      [stable, kip848, emptied].forEach((consumer, i) => {
        consumer.subscribe('exp-subscribed');
        runs.push(consumer.run({ signal: controllers[i].signal, eachRecord: () => undefined }));
      });
      await waitUntil('every member owning its partition', async () => [stable, kip848, emptied].every((consumer) => consumer.assignment().length === 1));
      // One commit each, of a subscribed and an unsubscribed topic: both offsets share their commit time.
      for (const consumer of [stable, kip848, emptied]) await consumer.commit(both);
      controllers[2].abort();
      await runs[2];
      await emptied.close();
      assert.equal(await listed('exp-classic-emptied'), 'Empty', 'the classic group is Empty once its member left');

      await waitUntil('the Empty classic group expired and deleted', async () => (await listed('exp-classic-emptied')) === undefined);
      assert.deepEqual(await offsetsOf('exp-classic-emptied'), [], 'no offsets left');
      await waitUntil('the unsubscribed topic expired in both live groups', async () =>
        (await offsetsOf('exp-classic-stable')).length < 2 && (await offsetsOf('exp-consumer-group')).length < 2);
      // The subscribed topic's offset was committed together with the expired one: only the subscription kept it.
      assert.deepEqual(await offsetsOf('exp-classic-stable'), ['exp-subscribed-0@3'], 'a Stable classic group keeps its subscribed topic');
      assert.deepEqual(await offsetsOf('exp-consumer-group'), ['exp-subscribed-0@3'], 'a consumer group keeps its subscribed topic');
      assert.equal(await listed('exp-classic-stable'), 'Stable');
      assert.equal(await listed('exp-consumer-group'), 'Stable');

      // The KIP-848 member leaves: the Empty consumer group loses every offset (counted from the commit) and goes.
      controllers[1].abort();
      await runs[1];
      await kip848.close();
      await waitUntil('the Empty consumer group expired and deleted', async () => (await listed('exp-consumer-group')) === undefined);
      assert.deepEqual(await offsetsOf('exp-consumer-group'), []);
      assert.deepEqual(await offsetsOf('exp-classic-stable'), ['exp-subscribed-0@3'], 'still kept while the group is Stable');
    } finally {
      for (const controller of controllers) controller.abort();
      await Promise.allSettled(runs);
      await Promise.all([stable, kip848, emptied].map((consumer) => consumer.close()));
    }

    // The stable group's member is gone too, but a restart with the default retention must neither expire its
    // offset nor bring back anything expired before: the tombstones are in the offsets log.
    await admin.close();
    await broker.close();
    broker = await startBroker({ dataDir });
    admin = new Admin({ bootstrap: broker.bootstrap });
    assert.deepEqual(await offsetsOf('exp-classic-stable'), ['exp-subscribed-0@3'], 'the kept offset survives; the expired one stays gone');
    assert.deepEqual(await offsetsOf('exp-classic-emptied'), []);
    assert.deepEqual(await offsetsOf('exp-consumer-group'), []);
    const groups = (await admin.listGroups()).map((group) => `${group.groupId}:${group.state}`);
    assert.deepEqual(groups.filter((group) => group.startsWith('exp-')), ['exp-classic-stable:Empty'], 'the expired groups stay deleted');
  });
});
