// Every peer client against seqlog's broker: an idempotent produce (or a plain one) read back by the same client
// and by another client, and each peer's full transactional run (mode `all`: idempotent records, an aborted
// transaction, a committed one, then a read_committed read that must see exactly the idempotent and committed
// records). This is how the broker is proven: real clients, unchanged, over the Kafka protocol.
import { after, before, describe, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { assertPeerSucceeded, peerNames, runPeer } from '../peers/run-peer.ts';
import type { PeerRunOptions } from '../peers/run-peer.ts';

const count = 100;

describe('peers against seqlog', { timeout: 600_000 }, () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker();
  });

  after(async () => {
    await broker?.close();
  });

  for (const name of peerNames) {
    test(`${name}: idempotent produce, then read back`, { timeout: 120_000 }, async () => {
      const topic = `own-${name}`;
      const produce: PeerRunOptions = { bootstrap: broker.bootstrap, topic, count, mode: 'produce', idempotence: true };
      assertPeerSucceeded(await runPeer(name, produce), produce);
      const consume: PeerRunOptions = { bootstrap: broker.bootstrap, topic, count, mode: 'consume' };
      assertPeerSucceeded(await runPeer(name, consume), consume);
    });
  }

  for (const name of peerNames) {
    test(`${name}: transactions (idempotent, aborted, committed, read_committed read)`, { timeout: 180_000 }, async () => {
      const all: PeerRunOptions = { bootstrap: broker.bootstrap, topic: `txn-${name}`, count, mode: 'all' };
      assertPeerSucceeded(await runPeer(name, all), all);
    });
  }

  peerNames.forEach((producer, i) => {
    const consumer = peerNames[(i + 1) % peerNames.length];
    const idempotence = i % 2 === 1;
    test(`${producer} produces (idempotence ${idempotence ? 'on' : 'off'}), ${consumer} reads`, { timeout: 120_000 }, async () => {
      const topic = `cross-${producer}-${consumer}`;
      const produce: PeerRunOptions = { bootstrap: broker.bootstrap, topic, count, mode: 'produce', idempotence };
      assertPeerSucceeded(await runPeer(producer, produce), produce);
      const consume: PeerRunOptions = { bootstrap: broker.bootstrap, topic, count, mode: 'consume' };
      assertPeerSucceeded(await runPeer(consumer, consume), consume);
    });
  });
});
