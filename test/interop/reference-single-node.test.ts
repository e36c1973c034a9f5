// Every peer program against a one-node Apache Kafka: idempotent produce, an aborted and a committed
// transaction, and a read_committed read that sees exactly the committed and idempotent records. Then each
// peer reads what another peer produced (half with idempotence off), which exercises the produce and consume
// modes that tests against seqlog's broker use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka } from '../reference/kafka.ts';
import type { ReferenceKafka } from '../reference/kafka.ts';
import { assertPeerSucceeded, peerNames, runPeer } from '../peers/run-peer.ts';
import type { PeerRunOptions } from '../peers/run-peer.ts';

const count = 100;

describe('peers against reference Kafka, one node', { timeout: 600_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
  });

  after(async () => {
    await kafka?.stop();
  });

  test('the reference broker answers with one broker and a cluster id', () => {
    assert.equal(kafka.brokers.length, 1);
    assert.match(kafka.bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.ok(kafka.brokers[0].pid > 0);
    assert.match(kafka.clusterId, /^[A-Za-z0-9_-]{22}$/);
  });

  for (const name of peerNames) {
    test(`${name}: idempotent produce, aborted + committed transaction, read_committed read`, { timeout: 120_000 }, async () => {
      const options: PeerRunOptions = { bootstrap: kafka.bootstrap, topic: `all-${name}`, count };
      assertPeerSucceeded(await runPeer(name, options), options);
    });
  }

  for (const name of peerNames) {
    test(`${name}: a wrong read exits 1 and says why`, { timeout: 120_000 }, async () => {
      // all-<name> holds 2 x count committed records; expecting count must fail the peer's check.
      const options: PeerRunOptions = { bootstrap: kafka.bootstrap, topic: `all-${name}`, count, mode: 'consume' };
      const run = await runPeer(name, options);
      assert.equal(run.exitCode, 1, run.stdout + run.stderr);
      assert.equal(run.summary?.ok, false, run.stdout);
      assert.match(run.summary?.error ?? '', new RegExp(`expected ${count} records, read ${2 * count}`));
    });
  }

  peerNames.forEach((producer, i) => {
    const consumer = peerNames[(i + 1) % peerNames.length];
    const idempotence = i % 2 === 0;
    test(`${producer} produces (idempotence ${idempotence ? 'on' : 'off'}), ${consumer} reads`, { timeout: 120_000 }, async () => {
      const topic = `cross-${producer}-${consumer}`;
      const produce: PeerRunOptions = { bootstrap: kafka.bootstrap, topic, count, mode: 'produce', idempotence };
      assertPeerSucceeded(await runPeer(producer, produce), produce);
      const consume: PeerRunOptions = { bootstrap: kafka.bootstrap, topic, count, mode: 'consume' };
      assertPeerSucceeded(await runPeer(consumer, consume), consume);
    });
  });
});
