// An acknowledged acks=all write survives kill -9 of the broker: a broker in a child process (`seqlog serve`,
// default fsync policy) takes pipelined produce load from several connections, is killed with SIGKILL mid-stream,
// and is restarted on the same data dir. Every acknowledged batch must be there at its acknowledged offset, the
// log must decode from start to end, and offsets must be dense.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';
import { readLog } from '../../src/testkit/log-reader.ts';

const root = new URL('../..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-kill9-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function startChildBroker(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listeners', 'PLAINTEXT://127.0.0.1:0', '--data', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; bootstrap?: string };
      if (entry.msg === 'seqlog broker ready' && entry.bootstrap) resolve({ child, port: Number(entry.bootstrap.split(':')[1]) });
    });
    child.once('exit', (code) => reject(new Error(`broker exited early with ${code}`)));
  });
}

interface Acked {
  baseOffset: bigint;
  values: string[];
}

async function produceUntilKilled(port: number, connectionId: number, acked: Acked[], stop: { now: boolean }): Promise<void> {
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port });
  let sequence = 0;
  const inFlight = new Set<Promise<void>>();
  try {
    while (!stop.now) {
      const values = Array.from({ length: 10 }, (_, i) => `c${connectionId}-b${sequence}-r${i}`);
      sequence++;
      const records = encodeRecordBatch({ records: values.map((value) => ({ key: null, value: Buffer.from(value), timestamp: BigInt(Date.now()) })) });
      const request = connection
        .send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10000, topicData: [{ name: 'durable', partitionData: [{ index: 0, records }] }] })
        .then((response) => {
          const partition = response.responses[0].partitionResponses[0];
          if (partition.errorCode === 0) acked.push({ baseOffset: partition.baseOffset, values });
          else throw new Error(`produce failed with error ${partition.errorCode}`);
        })
        .catch(() => {
          // The broker was killed: this request's fate is unknown, so it is not counted, and this producer stops
          // (a closed connection rejects at once, so looping on would never yield to the event loop).
          stop.now = true;
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
      if (inFlight.size >= 5) await Promise.race(inFlight);
    }
  } finally {
    await Promise.allSettled(inFlight);
    connection.close();
  }
}

it('every acknowledged batch survives SIGKILL at its acknowledged offset', { timeout: 120000 }, async () => {
  const { child, port } = await startChildBroker();
  const setup = await BrokerConnection.open({ host: '127.0.0.1', port });
  const created = await setup.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'durable', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '65536' }] }], timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics[0].errorCode, 0);
  setup.close();

  const acked: Acked[] = [];
  const stop = { now: false };
  const producers = [0, 1, 2, 3].map((id) => produceUntilKilled(port, id, acked, stop));
  while (acked.length < 300 && !stop.now) await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  stop.now = true;
  await Promise.all(producers);
  assert.ok(acked.length >= 300, `acknowledged ${acked.length} batches before the kill`);

  const restarted = await startBroker({ dataDir });
  try {
    // The testkit's reader fetches to the high watermark, checking every batch's CRC as it decodes.
    const records = (await readLog({ bootstrap: restarted.bootstrap, topic: 'durable' })).get(0) ?? [];
    records.forEach((record, i) => assert.equal(record.offset, BigInt(i), 'offsets are dense from 0'));
    const stored = new Map(records.map((record) => [record.offset, record.value ?? '']));
    for (const batch of acked) {
      batch.values.forEach((value, i) => {
        assert.equal(stored.get(batch.baseOffset + BigInt(i)), value, `acknowledged record ${value} at offset ${batch.baseOffset + BigInt(i)}`);
      });
    }
  } finally {
    await restarted.close();
  }
});
