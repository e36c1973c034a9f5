// `seqlog verify` (and `--transactions`) timed where the time goes: each run's wall time split into the main
// thread's CPU time, its time waiting for a CPU (the run queue: other processes on a shared machine) and its idle
// time, waiting on timers and sockets — injected delays, broker outages, backoffs. Idle time is what the verify
// settings decide; it barely moves with the machine's load, while wall time does. Medians of several runs.
//
//   npm run bench:verify                      3 runs of each, default sizes
//   npm run bench:verify -- 5                 5 runs of each
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { verifyExactlyOnce, verifyTransactions } from '../src/testkit/index.ts';

const runs = Number(process.argv[2] ?? 3);

/** Nanoseconds on a CPU and waiting for one, of the calling thread (Linux schedstat). */
function schedstat(): { cpuMs: number; waitMs: number } {
  const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
  return { cpuMs: cpu / 1e6, waitMs: wait / 1e6 };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(name: string, run: () => Promise<{ ok: boolean }>): Promise<string[]> {
  const samples: { wall: number; cpu: number; wait: number; idle: number; processCpu: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const before = schedstat();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await run();
    const wall = performance.now() - started;
    const after = schedstat();
    const processCpu = process.cpuUsage(cpuBefore);
    if (!result.ok) throw new Error(`${name}: the run did not prove exactly-once`);
    const cpu = after.cpuMs - before.cpuMs;
    const wait = after.waitMs - before.waitMs;
    samples.push({ wall, cpu, wait, idle: wall - cpu - wait, processCpu: (processCpu.user + processCpu.system) / 1000 });
  }
  const s = (pick: (sample: (typeof samples)[number]) => number): string => (median(samples.map(pick)) / 1000).toFixed(2);
  return [name, s((x) => x.wall), s((x) => x.cpu), s((x) => x.wait), s((x) => x.idle), s((x) => x.processCpu)];
}

const load = loadavg()[0];
const rows = [
  await measure('verify (5,000 records, idempotence off and on)', () => verifyExactlyOnce({})),
  await measure('verify --transactions (1,500 inputs, both modes)', () => verifyTransactions({})),
];
const head = ['', 'wall s', 'main-thread CPU s', 'waiting for a CPU s', 'idle s', 'process CPU s'];
process.stdout.write(`medians of ${runs} runs; load average at start ${load.toFixed(2)}, at end ${loadavg()[0].toFixed(2)}\n`);
for (const row of [head, ...rows]) process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(50) : cell.padStart(20))).join('')}\n`);
