// Log cleaner throughput and what a cleaning costs concurrent appends, in one process (the broker's event loop):
// a compacted partition log of N MiB (1000 keys updated over and over, 1 MiB segments) is cleaned once while a
// timer appends a 1 KiB batch every millisecond; printed: MB/s read by the cleaner, and the p50/p99/max latency
// of those appends (time from when the timer should have fired to when the append returned) with and without
// the cleaning running.  Usage: npm run bench:log-cleaner -- [MiB, default 64]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../src/protocol/records/record-batch-encoder.ts';
import { PartitionLog } from '../src/broker/log/partition-log.ts';
import { LogCleaner } from '../src/broker/log/cleaner/log-cleaner.ts';

const mebibytes = Number(process.argv[2] ?? 64);
const directory = mkdtempSync(join(tmpdir(), 'seqlog-cleaner-bench-'));

function keyedBatch(round: number, first: number): Buffer {
  return encodeRecordBatch({
    records: Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from(`key-${(first + i) % 1000}`), value: Buffer.alloc(90, round % 256), timestamp: BigInt(Date.now()) })),
  });
}

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
  const cleaner = new LogCleaner({ logs: () => [{ topic: 'bench', partition: 0, log }], dedupeBufferSize: 16 * 1024 * 1024 });

  const idle = await appendLoad(log, () => false, 2000);
  let cleaning = true;
  const started = performance.now();
  const cleaned = cleaner.cleanOnce().finally(() => {
    cleaning = false;
  });
  const busy = await appendLoad(log, () => cleaning, 0);
  const run = await cleaned;
  const seconds = (performance.now() - started) / 1000;
  if (run === null) throw new Error('nothing was cleaned');
  const mb = run.bytesRead / 1e6;
  console.log(`| log | read by cleaner | written | time | throughput |`);
  console.log(`| ${mebibytes} MiB | ${mb.toFixed(1)} MB | ${(run.bytesWritten / 1e6).toFixed(1)} MB | ${seconds.toFixed(2)} s | ${(mb / seconds).toFixed(1)} MB/s |`);
  console.log();
  console.log(`| appends every 1 ms | count | p50 ms | p99 ms | max ms |`);
  for (const [name, list] of [['cleaner idle', idle], ['cleaner running', busy]] as const) {
    console.log(`| ${name} | ${list.length} | ${percentile(list, 50).toFixed(2)} | ${percentile(list, 99).toFixed(2)} | ${list[list.length - 1].toFixed(2)} |`);
  }
  await cleaner.close();
  await log.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
