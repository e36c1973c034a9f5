// Every peer program against a three-node Apache Kafka cluster (combined broker+controller nodes; topics and the
// internal topics at replication factor 3, min ISR 2). Then a node is killed: the cluster fences it, and a
// topic written before the kill is still read in full and written to with acks=all by other peers; the node
// then restarts on its old data and rejoins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka } from '../reference/kafka.ts';
import type { ReferenceKafka } from '../reference/kafka.ts';
import { assertPeerSucceeded, peerNames, runPeer } from '../peers/run-peer.ts';
import type { PeerRunOptions } from '../peers/run-peer.ts';

const count = 100;

describe('peers against reference Kafka, three nodes', { timeout: 600_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 3 });
  });

  after(async () => {
    await kafka?.stop();
  });

  test('the cluster lists three brokers', async () => {
    assert.deepEqual(kafka.brokers.map((b) => b.id), [1, 2, 3]);
    assert.equal(kafka.bootstrap.split(',').length, 3);
    const metadata = await kafka.waitForLiveBrokers(3);
    assert.deepEqual(metadata.brokers.map((b) => b.port), kafka.brokers.map((b) => b.port));
    assert.equal(metadata.clusterId, kafka.clusterId);
  });

  for (const name of peerNames) {
    test(`${name}: idempotent produce, aborted + committed transaction, read_committed read (RF 3)`, { timeout: 120_000 }, async () => {
      const options: PeerRunOptions = { bootstrap: kafka.bootstrap, topic: `all-${name}`, count, replicationFactor: 3 };
      assertPeerSucceeded(await runPeer(name, options), options);
    });
  }

  test('after a node is killed, an RF 3 topic is still read in full and written with acks=all', { timeout: 180_000 }, async () => {
    const topic = 'survives-a-kill';
    const first: PeerRunOptions = { bootstrap: kafka.bootstrap, topic, count, mode: 'produce', replicationFactor: 3 };
    assertPeerSucceeded(await runPeer('franz-go', first), first);

    const victim = kafka.brokers[2];
    await kafka.killBroker(victim.id);
    assert.equal(victim.alive, false);
    const metadata = await kafka.waitForLiveBrokers(2);
    assert.ok(!metadata.brokers.some((b) => b.nodeId === victim.id), 'the killed node is still listed');

    const more: PeerRunOptions = { bootstrap: kafka.bootstrap, topic, count, mode: 'produce', replicationFactor: 3 };
    assertPeerSucceeded(await runPeer('java', more), more);
    const read: PeerRunOptions = { bootstrap: kafka.bootstrap, topic, count: 2 * count, mode: 'consume' };
    assertPeerSucceeded(await runPeer('python-pypi', read), read);

    const oldPid = victim.pid;
    await kafka.restartBroker(victim.id);
    assert.equal(victim.alive, true);
    assert.notEqual(victim.pid, oldPid);
    assert.equal((await kafka.waitForLiveBrokers(3)).brokers.length, 3);
  });
});
