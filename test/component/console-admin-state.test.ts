// `seqlog console --bootstrap` reads a cluster through the admin APIs only; against seqlog its view must agree
// with what the broker reads from its own objects, field by field, wherever the admin APIs expose the field.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/broker/index.ts';
import { Admin, Producer } from '../../src/client/index.ts';
import { adminClusterState } from '../../src/console/admin-cluster-state.ts';

it('the admin-API view of a cluster matches the in-process view where the admin APIs expose it', async () => {
  const broker = await startBroker({ topics: [{ name: 'orders', partitions: 2 }] });
  const admin = new Admin({ bootstrap: broker.bootstrap });
  const idempotent = new Producer({ bootstrap: broker.bootstrap });
  const transactional = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'console-admin' });
  try {
    await idempotent.send(Array.from({ length: 6 }, (_, i) => ({ topic: 'orders', partition: i % 2, value: `v${i}` })));
    await transactional.beginTransaction();
    await transactional.send({ topic: 'orders', partition: 1, value: 'open' });
    await admin.alterConsumerGroupOffsets('billing', [{ topic: 'orders', partition: 0, offset: 1n }]);

    const local = await broker.describeState();
    const remote = await adminClusterState(admin, 'admin API');
    assert.equal(remote.clusterId, local.clusterId);
    const offsets = (state: typeof local) =>
      state.topics.flatMap((topic) => topic.partitions.map((p) => [topic.name, p.partition, p.logStartOffset, p.highWatermark, p.lastStableOffset]));
    assert.deepEqual(offsets(remote), offsets(local));
    // The open transaction pins orders-1's LSO at its first offset (3 idempotent records before it).
    assert.deepEqual(offsets(local)[1], ['orders', 1, '0', '4', '3']);
    const producers = (state: typeof local) =>
      state.topics.flatMap((topic) =>
        topic.partitions.flatMap((p) => p.producers.map((producer) => [p.partition, producer.producerId, producer.producerEpoch, producer.lastSequence, producer.openTransactionStartOffset])),
      );
    assert.deepEqual(producers(remote), producers(local));
    assert.equal(producers(local).length, 3);
    assert.deepEqual(remote.transactions, local.transactions);
    assert.deepEqual(local.transactions.map((t) => [t.transactionalId, t.state, t.partitions]), [['console-admin', 'Ongoing', ['orders-1']]]);
    assert.deepEqual(remote.groups.map((g) => [g.groupId, g.state, g.offsets]), local.groups.map((g) => [g.groupId, g.state, g.offsets]));
    assert.deepEqual(local.groups[0].offsets, [{ topic: 'orders', partition: 0, committedOffset: '1', lag: '2' }]);
    // What only the broker knows.
    assert.equal(remote.topics[0].partitions[0].logEndOffset, '—');
    assert.equal(remote.topics[0].partitions[0].producers[0].dedupWindow, null);
    assert.equal(remote.counters.duplicateBatches, null);
  } finally {
    await transactional.close();
    await idempotent.close();
    await admin.close();
    await broker.close();
  }
});
