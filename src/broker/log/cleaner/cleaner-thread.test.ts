// The log cleaner works in a thread of its own: a cleaning makes progress while this event loop is blocked, the
// log keeps taking appends while it runs (and they survive the swap), and closing the cleaner ends the thread
// and leaves an interrupted cleaning's log as it was.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../../protocol/records/record-batch-encoder.ts';
import { iterateRecordBatches } from '../../../protocol/records/record-batch-decoder.ts';
import { PartitionLog } from '../partition-log.ts';
import { tempDirectory } from '../test-support.ts';
import { LogCleaner } from './log-cleaner.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

const KEYS = 200;
const VALUE = 'v'.repeat(400);

async function openLog(): Promise<PartitionLog> {
  return PartitionLog.open({
    directory: join(temp.path, `thread-${counter++}`),
    config: { segmentBytes: 256 * 1024, cleanupPolicy: ['compact'], minCleanableDirtyRatio: 0, fsync: 'never' },
  });
}

/** Appends one batch of 10 updates, keys cycling over k0..k{KEYS-1}. */
function putBatch(log: PartitionLog, round: number, tag: string): void {
  const records = Array.from({ length: 10 }, (_, i) => {
    const key = `k${(round * 10 + i) % KEYS}`;
    return { key: Buffer.from(key), value: Buffer.from(`${tag}${round}:${VALUE}`), timestamp: BigInt(Date.now()) };
  });
  log.append(encodeRecordBatch({ records }));
}

/** Key -> latest value, and every record's offset -> key=value, read through the log. */
function contents(log: PartitionLog): { latest: Map<string, string>; records: Map<bigint, string> } {
  const latest = new Map<string, string>();
  const records = new Map<bigint, string>();
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, 1 << 20, { maxOffset: log.logEndOffset });
    if (read.lastOffset === null) break;
    for (const batch of iterateRecordBatches(read.records)) {
      for (const record of batch.records) {
        const key = String(record.key);
        latest.set(key, String(record.value));
        records.set(record.offset, `${key}=${String(record.value)}`);
      }
    }
    offset = read.lastOffset + 1n;
  }
  return { latest, records };
}

const cleanerFiles = (log: PartitionLog) => readdirSync(log.directory).filter((name) => /\.(cleaned|swap|swap-end|deleted)$/.test(name));
const threadCount = () => readdirSync('/proc/self/task').length;
const sleepBlocking = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('LogCleaner thread', () => {
  it('cleans while this event loop is blocked, and appends made during the cleaning survive it', async () => {
    const log = await openLog();
    for (let round = 0; round < 600; round++) putBatch(log, round, 'a');
    assert.ok(log.segmentCount > 6, `expected several segments, got ${log.segmentCount}`);
    const before = contents(log);
    const cleaner = new LogCleaner({ logs: () => [{ topic: 't', partition: 0, log }] });
    const cleaning = cleaner.cleanOnce();
    await new Promise((resolve) => setImmediate(resolve));
    // This thread now waits without ever returning to its event loop: only another thread can write the first
    // cleaned group and prepare its swap (the `.swap-end` file), which then waits for this thread to commit it.
    let prepared = false;
    for (let i = 0; i < 30_000 && !prepared; i++) {
      prepared = readdirSync(log.directory).some((name) => name.endsWith('.swap-end'));
      if (!prepared) sleepBlocking(1);
    }
    assert.ok(prepared, 'a cleaned group was prepared while the event loop was blocked');
    // Produce goes on while the cleaning does: these appends land in the active segment, which it never touches.
    for (let round = 600; round < 650; round++) putBatch(log, round, 'b');
    const run = await cleaning;
    assert.ok(run !== null && run.segmentsCleaned > 0, 'the cleaning completed');
    for (let round = 650; round < 700; round++) putBatch(log, round, 'c');

    const afterCleaning = contents(log);
    const expected = new Map(before.latest);
    for (const round of [600, 650]) {
      for (let r = round; r < round + 50; r++) for (let i = 0; i < 10; i++) expected.set(`k${(r * 10 + i) % KEYS}`, `${r < 650 ? 'b' : 'c'}${r}:${VALUE}`);
    }
    assert.deepEqual(afterCleaning.latest, expected);
    assert.ok(afterCleaning.records.size < before.records.size + 1000, 'superseded records went');
    // Offsets are never reassigned: every record left is the one written at its offset.
    for (const [offset, record] of afterCleaning.records) {
      if (offset < BigInt(before.records.size)) assert.equal(record, before.records.get(offset));
    }
    assert.equal(log.logEndOffset, BigInt(before.records.size + 1000));
    assert.deepEqual(cleanerFiles(log), []);
    assert.equal(cleaner.stats().totals.runs, 1);
    await cleaner.close();
    await log.close();
  });

  it('close ends the thread and drops a cleaning in progress, leaving the log as it was', async () => {
    const log = await openLog();
    for (let round = 0; round < 600; round++) putBatch(log, round, 'a');
    const before = contents(log);
    await readFile(new URL(import.meta.url)); // starts libuv's thread pool, so that only the cleaner's threads come and go
    const baseline = threadCount();
    // Slow enough (64 KiB/s) that the cleaning is still building its offset map when the cleaner closes.
    const cleaner = new LogCleaner({ logs: () => [{ topic: 't', partition: 0, log }], ioMaxBytesPerSecond: 64 * 1024 });
    const cleaning = cleaner.cleanOnce();
    while (threadCount() <= baseline) await new Promise((resolve) => setTimeout(resolve, 1));
    await cleaner.close();
    assert.equal(await cleaning, null, 'the interrupted cleaning reports nothing done');
    assert.equal(threadCount(), baseline, 'the cleaner thread is gone');
    assert.deepEqual(contents(log), before);
    assert.deepEqual(cleanerFiles(log), []);
    assert.equal(cleaner.stats().totals.failures, 0);
    await log.close();
  });

  it('abortCleaning (before a topic deletion) stops the cleaning of that log, so its directory can go', async () => {
    const log = await openLog();
    for (let round = 0; round < 600; round++) putBatch(log, round, 'a');
    const before = contents(log);
    const cleaner = new LogCleaner({ logs: () => [{ topic: 't', partition: 0, log }], ioMaxBytesPerSecond: 64 * 1024 });
    const cleaning = cleaner.cleanOnce();
    await new Promise((resolve) => setImmediate(resolve));
    await cleaner.abortCleaning([log]);
    assert.equal(await cleaning, null, 'the aborted cleaning reports nothing done');
    assert.deepEqual(contents(log), before);
    assert.deepEqual(cleanerFiles(log), []);
    await log.delete();
    assert.equal(existsSync(log.directory), false);
    // The cleaner itself goes on: the thread is kept for the next cleaning.
    assert.equal(cleaner.stats().deadThreadCount, 0);
    await cleaner.close();
  });
});
