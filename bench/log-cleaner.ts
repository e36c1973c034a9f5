// Log cleaner throughput and what a cleaning costs produce, in two parts:
// 1. in one process (a partition log and its cleaner as the broker runs them, no network): a compacted
//    partition log of N MiB (1000 keys updated over and over, 1 MiB segments) is cleaned once while a timer
//    appends a 1 KiB batch every millisecond; printed: MB/s read by the cleaner, and the p50/p99/max lateness
//    of those appends (from when the timer should have fired to when the append returned) with and without the
//    cleaning running;
// 2. through a broker (in this process) and a producer in a child process (bench/log-cleaner-producer.ts, one
//    100-byte record every ms, acks=all, fsync per request as by default): the produce latency to a plain topic
//    while an N MiB topic is not compacted (cleanup.policy=delete), then while the broker's cleaner compacts it
//    after IncrementalAlterConfigs switches it to compact; with the cleaner's MB/s from `cleanerStats()`.
// Both parts also print the CPU time of the event loop's own thread (the broker's, in part 2) and of the whole
// process over the idle and the cleaning windows (Linux: /proc/self/task/<pid>/stat), which CPU starvation of a
// shared machine moves far less than latencies: the cleaner's work belongs to the process, not to the event loop.
// Usage: npm run bench:log-cleaner -- [MiB, default 64] [log.cleaner.io.max.bytes.per.second, default unlimited]
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeRecordBatch } from '../src/protocol/records/record-batch-encoder.ts';
import { PartitionLog } from '../src/broker/log/partition-log.ts';
import { LogCleaner } from '../src/broker/log/cleaner/log-cleaner.ts';
import { startBroker } from '../src/broker/index.ts';
import { Admin, Producer } from '../src/client/index.ts';

const mebibytes = Number(process.argv[2] ?? 64);
const ioMaxBytesPerSecond = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const directory = mkdtempSync(join(tmpdir(), 'seqlog-cleaner-bench-'));

function keyedBatch(round: number, first: number): Buffer {
  return encodeRecordBatch({
    records: Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from(`key-${(first + i) % 1000}`), value: Buffer.alloc(90, round % 256), timestamp: BigInt(Date.now()) })),
  });
}

/** CPU seconds of this process's main thread (the event loop) so far: utime + stime of its task, in 10 ms ticks. */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of the whole process (every thread) so far. */
function processCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Measures a window: wall seconds, event-loop thread and process CPU seconds. */
function cpuWindow(): () => { wall: number; mainCpu: number; processCpu: number } {
  const wall = performance.now();
  const main = mainThreadCpuSeconds();
  const all = processCpuSeconds();
  return () => ({ wall: (performance.now() - wall) / 1000, mainCpu: mainThreadCpuSeconds() - main, processCpu: processCpuSeconds() - all });
}

function cpuRows(windows: readonly (readonly [string, { wall: number; mainCpu: number; processCpu: number }])[]): void {
  console.log(`| window | wall s | event-loop thread CPU s | per wall s | process CPU s | per wall s |`);
  for (const [name, w] of windows) {
    console.log(`| ${name} | ${w.wall.toFixed(2)} | ${w.mainCpu.toFixed(2)} | ${(w.mainCpu / w.wall).toFixed(2)} | ${w.processCpu.toFixed(2)} | ${(w.processCpu / w.wall).toFixed(2)} |`);
  }
}

const loadAverage = () => loadavg().map((value) => value.toFixed(2)).join(' ');
console.log(`load average at start: ${loadAverage()}`);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** Appends every ms for as long as `running()` holds; returns the sorted lateness of each append in ms. */
async function appendLoad(log: PartitionLog, running: () => boolean, minimumMs: number): Promise<number[]> {
  const latencies: number[] = [];
  const started = performance.now();
  let round = 0;
  while (running() || performance.now() - started < minimumMs) {
    const due = performance.now() + 1;
    await new Promise((resolve) => setTimeout(resolve, 1));
    log.append(keyedBatch(round++, 0));
    latencies.push(performance.now() - due);
  }
  return latencies.sort((a, b) => a - b);
}

try {
  const log = await PartitionLog.open({
    directory: join(directory, 'bench-0'),
    config: { segmentBytes: 1024 * 1024, cleanupPolicy: ['compact'], minCleanableDirtyRatio: 0, fsync: 'never' },
  });
  let round = 0;
  while (log.size < mebibytes * 1024 * 1024) log.append(keyedBatch(round++, (round * 10) % 1000));
  const cleaner = new LogCleaner({
    logs: () => [{ topic: 'bench', partition: 0, log }],
    dedupeBufferSize: 16 * 1024 * 1024,
    ...(ioMaxBytesPerSecond === undefined ? {} : { ioMaxBytesPerSecond }),
  });

  const idleWindow = cpuWindow();
  const idle = await appendLoad(log, () => false, 2000);
  const idleCpu = idleWindow();
  let cleaning = true;
  const started = performance.now();
  const busyWindow = cpuWindow();
  const cleaned = cleaner.cleanOnce().finally(() => {
    cleaning = false;
  });
  const busy = await appendLoad(log, () => cleaning, 0);
  const run = await cleaned;
  const busyCpu = busyWindow();
  const seconds = (performance.now() - started) / 1000;
  if (run === null) throw new Error('nothing was cleaned');
  const mb = run.bytesRead / 1e6;
  console.log(`## 1. partition log in process${ioMaxBytesPerSecond === undefined ? '' : `, cleaner I/O capped at ${ioMaxBytesPerSecond} B/s`}`);
  console.log(`| log | read by cleaner | written | time | throughput |`);
  console.log(`| ${mebibytes} MiB | ${mb.toFixed(1)} MB | ${(run.bytesWritten / 1e6).toFixed(1)} MB | ${seconds.toFixed(2)} s | ${(mb / seconds).toFixed(1)} MB/s |`);
  console.log();
  console.log(`| appends every 1 ms | count | p50 ms | p99 ms | max ms |`);
  for (const [name, list] of [['cleaner idle', idle], ['cleaner running', busy]] as const) row(name, list);
  console.log();
  cpuRows([['cleaner idle (appends only)', idleCpu], ['cleaner running', busyCpu]]);
  await cleaner.close();
  await log.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}

function row(name: string, list: readonly number[]): void {
  console.log(`| ${name} | ${list.length} | ${percentile(list, 50).toFixed(2)} | ${percentile(list, 99).toFixed(2)} | ${list[list.length - 1].toFixed(2)} |`);
}

// Part 2: through the broker.
const broker = await startBroker({ logCleanerBackoffMs: 50, ...(ioMaxBytesPerSecond === undefined ? {} : { logCleanerIoMaxBytesPerSecond: ioMaxBytesPerSecond }) });
const admin = new Admin({ bootstrap: broker.bootstrap });
try {
  const compacted = 'changelog';
  await admin.createTopics([
    { name: compacted, partitions: 1, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'segment.bytes': String(1024 * 1024), 'min.cleanable.dirty.ratio': '0.01' } },
    { name: 'load', partitions: 1 },
  ]);
  const filler = new Producer({ bootstrap: broker.bootstrap, lingerMs: 5, batchSize: 64 * 1024 });
  let written = 0;
  let lastOffset = -1n;
  const value = Buffer.alloc(100, 1);
  while (written < mebibytes * 1024 * 1024) {
    const sent = await filler.send(Array.from({ length: 500 }, (_, i) => ({ topic: compacted, partition: 0, key: `key-${(written / 100 + i) % 1000}`, value })));
    lastOffset = sent[sent.length - 1].offset;
    written += 500 * 120;
  }
  // One record after a roll-worthy pause is not needed: 1 MiB segments leave at most the last one active.
  await filler.close();

  const child = fork(new URL('./log-cleaner-producer.ts', import.meta.url).pathname, [broker.bootstrap, 'load'], { execArgv: ['--import', 'tsx'] });
  const next = () => new Promise<unknown>((resolve) => child.once('message', resolve));
  const report = async () => {
    const answer = next();
    child.send('report');
    return ((await answer) as number[]).sort((a, b) => a - b);
  };
  await next(); // ready
  await sleep(1000);
  await report();
  const idleWindow = cpuWindow();
  await sleep(3000);
  const idleProduce = await report();
  const idleCpu = idleWindow();
  const busyWindow = cpuWindow();
  await admin.incrementalAlterConfigs({ type: 'topic', name: compacted }, [{ name: 'cleanup.policy', operation: 'set', value: 'compact' }]);
  const started = performance.now();
  const cleanedTo = () => broker.cleanerStats().partitions.find((entry) => entry.topic === compacted)?.lastRun?.endOffset ?? -1n;
  // Cleaned up to the active segment, which holds at most the last MiB.
  while (cleanedTo() < lastOffset - BigInt(Math.ceil((1024 * 1024) / 120)) * 2n) {
    if (performance.now() - started > 600_000) throw new Error(`the cleaner did not finish (at ${cleanedTo()} of ${lastOffset})`);
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  const busyProduce = await report();
  const busyCpu = busyWindow();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  const stats = broker.cleanerStats();
  const partition = stats.partitions.find((entry) => entry.topic === compacted);
  const readMb = (partition?.bytesRead ?? 0) / 1e6;
  console.log();
  console.log(`## 2. through the broker (fsync per request), ${(written / 1e6).toFixed(0)} MB compacted topic`);
  console.log(`| cleaner | read | written | cleaning time | throughput (read / cleaning time) | wall time to clean |`);
  console.log(
    `| ${partition?.runs ?? 0} run(s) | ${readMb.toFixed(1)} MB | ${((partition?.bytesWritten ?? 0) / 1e6).toFixed(1)} MB | ${((partition?.cleaningTimeMs ?? 0) / 1000).toFixed(2)} s | ${(readMb / ((partition?.cleaningTimeMs ?? 1) / 1000)).toFixed(1)} MB/s | ${seconds.toFixed(2)} s |`,
  );
  console.log();
  console.log(`| produce (child process, 1 record/ms, acks=all) | count | p50 ms | p99 ms | max ms |`);
  row('cleaner idle', idleProduce);
  row('cleaner running', busyProduce);
  console.log();
  cpuRows([['cleaner idle (produce only)', idleCpu], ['cleaner running', busyCpu]]);
  console.log();
  console.log(`load average at end: ${loadAverage()}`);
} finally {
  await admin.close();
  await broker.close();
}
