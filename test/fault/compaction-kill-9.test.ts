// kill -9 during log compaction: a broker in a child process cleans a compacted topic continuously (tiny
// segments, a 5 ms cleaner backoff) while our producer keeps updating keys; the broker is SIGKILLed at random
// moments, until at least one kill left a cleaning half-done on disk (.cleaned, .swap or .deleted files), and
// restarted on the same data dir. At the end a consumer reads the partition from the start: every key's final
// value is at least as new as its last acknowledged write (compaction lost nothing committed), no value was
// invented, offsets only increase, and after a clean stop no cleaner file is left behind.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection, Consumer, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ChildBroker } from '../../src/testkit/child-broker.ts';
import { mulberry32 } from '../../src/testkit/random.ts';

const topic = 'compacted-crash';
let broker: ChildBroker | null = null;
after(async () => {
  await broker?.close();
});

const cleanerFiles = (directory: string) => readdirSync(directory).filter((name) => /\.(cleaned|swap|deleted|swap-end)$/.test(name));

it('kill -9 at any point of a cleaning leaves a log that recovers with nothing acknowledged lost', { timeout: 300_000 }, async () => {
  broker = await ChildBroker.start({ configs: { 'log.cleaner.backoff.ms': '5' } });
  const running = broker;
  const [host, port] = running.bootstrap.split(':');
  const admin = await BrokerConnection.open({ host, port: Number(port) });
  try {
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': '8192', 'min.cleanable.dirty.ratio': '0.01' };
    const created = await admin.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0);
  } finally {
    admin.close();
  }

  const random = mulberry32(16);
  const keys = 40;
  const sentCounter = new Array<number>(keys).fill(0);
  const ackedCounter = new Array<number>(keys).fill(-1);
  let lastAckedOffset = -1n;
  const producer = new Producer({ bootstrap: running.bootstrap, lingerMs: 2 });
  const stop = { now: false };
  const producing = (async () => {
    while (!stop.now) {
      const batch = Array.from({ length: 25 }, () => {
        const key = Math.floor(random() * keys);
        return { key, counter: sentCounter[key]++ };
      });
      const results = await producer.send(batch.map(({ key, counter }) => ({ topic, partition: 0, key: `key-${key}`, value: `${counter}`.padEnd(50, '.') })));
      batch.forEach(({ key, counter }, i) => {
        if (counter > ackedCounter[key]) ackedCounter[key] = counter;
        if (results[i].offset > lastAckedOffset) lastAckedOffset = results[i].offset;
      });
    }
  })();

  const partitionDirectory = join(running.dataDir, `${topic}-0`);
  let crashes = 0;
  let crashesMidCleaning = 0;
  while (crashesMidCleaning === 0 || crashes < 3) {
    assert.ok(crashes < 40, `no kill landed during a cleaning in ${crashes} tries`);
    // Up to 2 s: after each restart the cleaner first starts its thread, and only then cleans.
    await sleep(200 + Math.floor(random() * 1800));
    await running.crash();
    crashes++;
    // What a kill leaves on disk is exactly what the next start recovers.
    if (cleanerFiles(partitionDirectory).length > 0) crashesMidCleaning++;
    await running.restart();
  }
  stop.now = true;
  await producing;
  await producer.close();
  // A last cleaning after the final restart, so that recovered logs are also cleaned again.
  await sleep(300);

  const latest = new Map<string, number>();
  let previous = -1n;
  const consumer = new Consumer({ bootstrap: running.bootstrap, fetchMaxWaitMs: 50, autoOffsetReset: 'earliest' });
  try {
    consumer.assign([{ topic, partition: 0 }]);
    for await (const record of consumer) {
      assert.ok(record.offset > previous, `offsets increase: ${record.offset} after ${previous}`);
      previous = record.offset;
      latest.set(record.keyString() ?? '', Number((record.valueString() ?? '').replace(/\.+$/, '')));
      if (record.offset >= lastAckedOffset) break;
    }
  } finally {
    await consumer.close();
  }
  for (let key = 0; key < keys; key++) {
    if (ackedCounter[key] < 0) continue;
    const value = latest.get(`key-${key}`);
    assert.ok(value !== undefined, `key-${key} lost (acknowledged up to ${ackedCounter[key]})`);
    assert.ok(value >= ackedCounter[key], `key-${key}: read ${value}, but ${ackedCounter[key]} was acknowledged`);
    assert.ok(value < sentCounter[key], `key-${key}: read ${value}, never sent`);
  }
  // A clean stop ends an ongoing cleaning by dropping its .cleaned files.
  await running.stop();
  assert.deepEqual(cleanerFiles(partitionDirectory), [], 'no cleaning left half-done');
  console.log(`# ${crashes} kills, ${crashesMidCleaning} during a cleaning; ${sentCounter.reduce((a, b) => a + b, 0)} records sent`);
});
