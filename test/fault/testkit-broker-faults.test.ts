// Broker fault hooks: an embedded broker that crashes (no clean shutdown) and restarts keeps every acked record
// and still deduplicates; fsync failure and a full disk are never acked; a paused broker answers nothing until
// resumed; a child-process broker killed with SIGKILL comes back on the same port with its data.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosFault, ChaosProxy, ChildBroker, EmbeddedBroker, History, RawProducer, checkHistory, readLog } from '../../src/testkit/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const at = bootstrap.lastIndexOf(':');
  const connection = await BrokerConnection.open({ host: bootstrap.slice(0, at), port: Number(bootstrap.slice(at + 1)) });
  const response = await connection.send(ApiKey.CreateTopics, 5, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10000, validateOnly: false });
  connection.close();
  assert.equal(response.topics[0].errorCode, 0);
}

async function produce(producer: RawProducer, history: History, topic: string, from: number, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const value = `v${from + i}`;
      const op = history.invokeSend('p0', topic, value, 0);
      return producer.send(0, value).then(
        (meta) => history.ok(op, meta.partition, meta.offset),
        (error: Error) => history.info(op, { code: null, name: error.name, message: error.message }),
      );
    }),
  );
}

it('embedded crash leaves no clean-shutdown marker; restart keeps acked data and deduplicates lost acks', { timeout: 60_000 }, async () => {
  const broker = await EmbeddedBroker.start();
  try {
    await createTopic(broker.bootstrap, 'crash');
    const history = new History();
    const producer = new RawProducer({ bootstrap: broker.bootstrap, topic: 'crash', requestTimeoutMs: 2000 });
    await produce(producer, history, 'crash', 0, 200);
    await broker.crash();
    assert.equal(broker.crashes, 1);
    const partitionDir = join(broker.dataDir, 'crash-0');
    assert.ok(!readdirSync(partitionDir).some((name) => name.includes('clean')), `files: ${readdirSync(partitionDir).join(', ')}`);
    await broker.restart();
    await produce(producer, history, 'crash', 200, 200);
    await producer.close();
    const scan = await readLog({ bootstrap: broker.bootstrap, topic: 'crash' });
    const result = checkHistory(history.events, [{ name: 'final', topic: 'crash', scan }], { idempotent: true });
    assert.equal(result.counts.acknowledged, 400);
    assert.equal(result.counts.stored, 400);
    assert.equal(result.valid, true, JSON.stringify(result.anomalies.slice(0, 3)));
  } finally {
    await broker.close();
  }
  assert.equal(existsSync(broker.dataDir), false);
});

it('fsync failure and a full disk are not acked; pause holds answers until resume', { timeout: 60_000 }, async () => {
  const broker = await EmbeddedBroker.start({ fsync: 'always' });
  try {
    await createTopic(broker.bootstrap, 'disk');
    const producer = new RawProducer({ bootstrap: broker.bootstrap, topic: 'disk', idempotent: false, deliveryTimeoutMs: 1, requestTimeoutMs: 2000 });
    broker.disk.failFsync(1);
    await assert.rejects(producer.send(0, 'fsync-failed'));
    assert.equal(broker.disk.injected.fsyncFailures, 1);
    broker.disk.heal();
    await broker.crash();
    await broker.restart();
    const producer2 = new RawProducer({ bootstrap: broker.bootstrap, topic: 'disk', idempotent: false, deliveryTimeoutMs: 1, requestTimeoutMs: 2000 });
    broker.disk.setDiskFull(true);
    await assert.rejects(producer2.send(0, 'disk-full'));
    assert.ok(broker.disk.injected.diskFullWrites > 0);
    broker.disk.heal();
    await broker.crash();
    await broker.restart();

    const producer3 = new RawProducer({ bootstrap: broker.bootstrap, topic: 'disk', requestTimeoutMs: 10_000 });
    await producer3.send(0, 'warm-up');
    broker.pause();
    let answered = false;
    const pending = producer3.send(0, 'paused').then((meta) => {
      answered = true;
      return meta;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(answered, false);
    broker.resume();
    const meta = await pending;
    assert.equal(answered, true);
    assert.ok(meta.offset >= 0n);
    await producer3.close();
  } finally {
    await broker.close();
  }
});

it('child broker: SIGKILL under idempotent load with lost acks, restart on the same port, exactly once', { timeout: 90_000 }, async () => {
  const proxyTarget = { host: '127.0.0.1', port: 0 };
  const proxy = await ChaosProxy.start({ target: proxyTarget, seed: 5, rewriteMetadata: true });
  const broker = await ChildBroker.start();
  try {
    proxyTarget.port = broker.port;
    await createTopic(broker.bootstrap, 'kill');
    proxy.setRules([{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.Produce], probability: 0.2 }]);
    const history = new History();
    const producer = new RawProducer({ bootstrap: proxy.address, topic: 'kill', requestTimeoutMs: 2000 });
    await produce(producer, history, 'kill', 0, 300);
    const port = broker.port;
    const writing = produce(producer, history, 'kill', 300, 300);
    await broker.crash();
    history.nemesis('crash');
    await broker.restart();
    assert.equal(broker.port, port);
    await writing;
    proxy.setEnabled(false);
    await producer.close();
    const scan = await readLog({ bootstrap: broker.bootstrap, topic: 'kill' });
    const result = checkHistory(history.events, [{ name: 'final', topic: 'kill', scan }], { idempotent: true });
    assert.ok(proxy.stats().faults[ChaosFault.dropResponse] > 0);
    assert.equal(result.valid, true, JSON.stringify(result.anomalies.slice(0, 3)));
    assert.equal(result.counts.lost, 0);
    assert.equal(result.counts.duplicates, 0);
  } finally {
    await proxy.close();
    await broker.close();
  }
});
