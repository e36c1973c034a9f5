// Peak broker RSS under hostile clients, one fresh broker (a child process) per attack, with a well-behaved
// producer running alongside: how long its answers took and whether every record it got acknowledged is kept.
//
//   npm run bench:attack                       this checkout's broker
//   npm run bench:attack -- --root /path/to/other/checkout   another checkout's broker (e.g. before a change)
//   npm run bench:attack -- --set queued.max.request.bytes=33554432
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readLog } from '../src/testkit/log-reader.ts';
import { BrokerConnection } from '../src/client/connection/broker-connection.ts';
import {
  RssSampler,
  bigProduces,
  closeSockets,
  createTopic,
  duplicatedPartitionFetch,
  fillPartition,
  halfFrames,
  neverReadingFetchers,
  allAtOnce,
  rssMiB,
  wellBehavedProbe,
  type Attack,
} from '../test/fault/connection-attacks.ts';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: resolve(new URL('..', import.meta.url).pathname) },
    set: { type: 'string', multiple: true, default: [] },
    seconds: { type: 'string', default: '8' },
  },
});
const root = values.root as string;
const attackMs = Number(values.seconds) * 1000;

interface Broker {
  child: ChildProcess;
  port: number;
  dataDir: string;
}

async function startBroker(): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-attack-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--listeners', `PLAINTEXT://127.0.0.1:${port}`, '--data', dataDir, '--log-level', 'info'];
  for (const setting of values.set as string[]) args.push('--set', setting);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('broker not ready')), 30000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('seqlog broker ready')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', () => fail(new Error('broker exited')));
  });
  return { child, port, dataDir };
}

async function stopBroker(broker: Broker): Promise<void> {
  if (broker.child.exitCode === null && broker.child.signalCode === null) {
    const exited = new Promise((done) => broker.child.once('exit', done));
    broker.child.kill('SIGKILL');
    await exited;
  }
  rmSync(broker.dataDir, { recursive: true, force: true });
}

async function brokerAnswers(address: { host: string; port: number }): Promise<boolean> {
  try {
    const connection = await BrokerConnection.open(address);
    connection.close();
    return true;
  } catch {
    return false;
  }
}

const single: Attack[] = [duplicatedPartitionFetch('big'), neverReadingFetchers('big'), halfFrames(), bigProduces('sink')];
const attacks: Attack[] = [...single, allAtOnce(single)];

console.log(`broker from ${root}${(values.set as string[]).length > 0 ? ` with ${(values.set as string[]).join(' ')}` : ''}; ${attackMs / 1000} s per attack`);
const rows: string[][] = [];
for (const attack of attacks) {
  const broker = await startBroker();
  const address = { host: '127.0.0.1', port: broker.port };
  const pid = broker.child.pid as number;
  try {
    await createTopic(address, 'big');
    await createTopic(address, 'good');
    await createTopic(address, 'sink');
    await fillPartition(address, 'big', 1);
    const baseline = rssMiB(pid);
    const sampler = new RssSampler(pid);
    const probe = wellBehavedProbe(address, 'good', attackMs);
    const sockets = await attack.start(address);
    const result = await probe;
    const peak = sampler.stop();
    closeSockets(sockets);
    const alive = broker.child.exitCode === null && broker.child.signalCode === null && (await brokerAnswers(address));
    let kept = 'broker down';
    if (alive) {
      const scan = await readLog({ bootstrap: `127.0.0.1:${broker.port}`, topic: 'good', partitions: [0] });
      const stored = new Set((scan.get(0) ?? []).map((record) => record.value));
      kept = `${result.acked.filter((value) => stored.has(value)).length}/${result.acked.length}`;
    }
    rows.push([attack.name.startsWith('all at once') ? 'all four at once' : attack.name, baseline.toFixed(0), peak.toFixed(0), String(result.maxPingMs), String(result.maxProduceMs), String(result.unanswered), kept]);
  } catch (error) {
    rows.push([attack.name, '-', '-', '-', '-', '-', `failed: ${(error as Error).message}`]);
  } finally {
    await stopBroker(broker);
  }
  console.log(rows[rows.length - 1].join(' | '));
}
console.log('\n| attack | RSS before (MiB) | peak RSS (MiB) | slowest Metadata (ms) | slowest acks=all Produce (ms) | unanswered | acked records kept |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
