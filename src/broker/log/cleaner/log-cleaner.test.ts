// The log cleaner, scenario by scenario after Kafka's `LogCleanerTest` / `LogCleanerManagerTest`: real
// partition logs in temp directories, tiny segments, a controllable clock.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../../protocol/records/record-batch-encoder.ts';
import { ControlRecordType, encodeEndTransactionMarkerBatch } from '../../../protocol/records/control-record.ts';
import { iterateRecordBatches } from '../../../protocol/records/record-batch-decoder.ts';
import { PartitionLog } from '../partition-log.ts';
import type { LogConfig } from '../log-config.ts';
import { nodeFileSystem } from '../log-file-system.ts';
import type { LogFileSystem } from '../log-file-system.ts';
import { tempDirectory } from '../test-support.ts';
import { LogCleaner } from './log-cleaner.ts';
import type { ProducerStateView } from './log-cleaner.ts';
import { OffsetMap } from './offset-map.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

interface Clock {
  now: number;
}

const compactConfig: Partial<LogConfig> = {
  segmentBytes: 400,
  cleanupPolicy: ['compact'],
  minCleanableDirtyRatio: 0,
  deleteRetentionMs: 1_000,
  fsync: 'never',
};

async function openLog(clock: Clock, config: Partial<LogConfig> = {}, fs: LogFileSystem = nodeFileSystem, directory?: string): Promise<PartitionLog> {
  return PartitionLog.open({ directory: directory ?? join(temp.path, `cleaner-${counter++}`), clock: () => clock.now, config: { ...compactConfig, ...config }, fs });
}

function cleanerFor(log: PartitionLog, clock: Clock, options: { producerState?: ProducerStateView; dedupeBufferSize?: number; fs?: LogFileSystem } = {}): LogCleaner {
  return new LogCleaner({ logs: () => [{ topic: 't', partition: 0, log }], clock: () => clock.now, yieldEveryBytes: 256, ...options });
}

/** Appends one batch of keyed records (null value: a tombstone) and returns its base offset. */
function put(log: PartitionLog, clock: Clock, entries: [string, string | null][], producer: { producerId: bigint; baseSequence: number; isTransactional?: boolean } | null = null): bigint {
  const batch = encodeRecordBatch({
    records: entries.map(([key, value]) => ({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: BigInt(clock.now) })),
    ...(producer === null ? {} : { producerId: producer.producerId, producerEpoch: 0, baseSequence: producer.baseSequence, isTransactional: producer.isTransactional ?? false }),
  });
  return log.append(batch).baseOffset;
}

function marker(log: PartitionLog, clock: Clock, producerId: bigint, result: 0 | 1): bigint {
  return log.append(encodeEndTransactionMarkerBatch({ producerId, producerEpoch: 0, coordinatorEpoch: 0, result, timestamp: BigInt(clock.now) })).baseOffset;
}

interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
}

/** Every record (control records included, as `<marker>`) and every batch's producer id and last offset. */
function readAll(log: PartitionLog): { records: ReadRecord[]; batches: { producerId: bigint; lastOffset: bigint; count: number; control: boolean }[] } {
  const records: ReadRecord[] = [];
  const batches: { producerId: bigint; lastOffset: bigint; count: number; control: boolean }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, 1 << 20, { maxOffset: log.logEndOffset });
    if (read.lastOffset === null) break;
    for (const batch of iterateRecordBatches(read.records)) {
      batches.push({ producerId: batch.producerId, lastOffset: batch.lastOffset, count: batch.records.length, control: batch.isControl });
      for (const record of batch.records) {
        records.push({ offset: record.offset, key: batch.isControl ? '<marker>' : (record.key?.toString() ?? null), value: record.value === null ? null : batch.isControl ? '' : record.value.toString() });
      }
    }
    offset = read.lastOffset + 1n;
  }
  return { records, batches };
}

/** Key -> latest value, by offset order (what a consumer reading the whole topic ends with). */
function latestByKey(records: readonly ReadRecord[]): Map<string, string | null> {
  const latest = new Map<string, string | null>();
  for (const record of records) if (record.key !== null && record.key !== '<marker>') latest.set(record.key, record.value);
  return latest;
}

/** Writes `rounds` updates of keys k0..k{keys-1}, one batch per update, so that several segments roll. */
function writeUpdates(log: PartitionLog, clock: Clock, keys: number, rounds: number): void {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < keys; k++) put(log, clock, [[`k${k}`, `v${round}`]]);
  }
}

describe('LogCleaner', () => {
  it('testCleanSegments: keeps only the latest value of each key below the active segment, offsets unchanged', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock);
    writeUpdates(log, clock, 5, 6);
    const before = readAll(log).records;
    assert.ok(log.segmentCount > 3, `expected several segments, got ${log.segmentCount}`);
    const cleaner = cleanerFor(log, clock);
    const run = await cleaner.cleanOnce();
    assert.ok(run !== null && run.segmentsCleaned > 0);
    const after = readAll(log).records;
    assert.deepEqual(latestByKey(after), latestByKey(before));
    assert.ok(after.length < before.length, 'superseded values are gone');
    // Every record left is the latest of its key or lies in the active segment.
    // (The active segment is not in the offset map: below it, a key's last record there is what stays.)
    const active = log.activeSegmentBaseOffset;
    const lastOffsetOfKey = new Map(before.filter((record) => record.offset < active).map((record) => [record.key, record.offset]));
    for (const record of after) {
      if (record.offset < active) assert.equal(record.offset, lastOffsetOfKey.get(record.key), `stale ${record.key} at ${record.offset}`);
    }
    // Offsets are never reassigned, and the log end does not move.
    const byOffset = new Map(before.map((record) => [record.offset, record]));
    for (const record of after) assert.deepEqual(byOffset.get(record.offset), record);
    assert.equal(log.logEndOffset, BigInt(before.length));
    assert.equal(readdirSync(log.directory).filter((name) => /\.(cleaned|swap|deleted)$/.test(name)).length, 0);
    await log.close();
  });

  it('the cleaned log survives a restart (indexes and gaps load, reads unchanged)', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock);
    writeUpdates(log, clock, 4, 8);
    await cleanerFor(log, clock).cleanOnce();
    const cleaned = readAll(log).records;
    await log.close();
    const reopened = await openLog(clock, {}, nodeFileSystem, log.directory);
    assert.deepEqual(readAll(reopened).records, cleaned);
    assert.equal(reopened.recoveryReport.corruption, null);
    assert.deepEqual(reopened.recoveryReport.deletedSegments, []);
    // An unclean stop (no marker) makes recovery validate the gapped segments batch by batch.
    await reopened.close();
    writeFileSync(join(log.directory, 'recovery-point'), '0\n0\n');
    rmSync(join(log.directory, 'clean-shutdown'));
    const recovered = await openLog(clock, {}, nodeFileSystem, log.directory);
    assert.ok(recovered.recoveryReport.recoveredSegments.length > 1);
    assert.deepEqual(recovered.recoveryReport.deletedSegments, []);
    assert.deepEqual(readAll(recovered).records, cleaned);
    await recovered.close();
  });

  it('testDirtyRatio: does not clean a log whose dirty ratio is below min.cleanable.dirty.ratio', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { minCleanableDirtyRatio: 0.5 });
    // Distinct keys: cleaning keeps them all, so the clean part stays large.
    for (let k = 0; k < 40; k++) put(log, clock, [[`distinct-${k}`, 'x']]);
    const cleaner = cleanerFor(log, clock);
    assert.ok((await cleaner.cleanOnce()) !== null, 'a never-cleaned log is all dirty');
    // Updates until one more segment rolls: a small dirty part next to the cleaned one.
    const segments = log.segmentCount;
    while (log.segmentCount === segments) put(log, clock, [['distinct-0', 'update']]);
    const measure = cleaner.measure(log);
    assert.ok(measure !== null && measure.cleanableBytes > 0 && measure.dirtyRatio < 0.5, `ratio ${measure?.dirtyRatio}`);
    assert.equal(await cleaner.cleanOnce(), null);
    log.updateConfig({ minCleanableDirtyRatio: measure.dirtyRatio / 2 });
    assert.ok((await cleaner.cleanOnce()) !== null, 'cleaned once the ratio is reached');
    await log.close();
  });

  it('testMinCompactionLag: segments holding records newer than min.compaction.lag.ms stay dirty', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { minCompactionLagMs: 10_000 });
    writeUpdates(log, clock, 5, 3);
    clock.now += 20_000;
    const oldEnd = log.logEndOffset;
    writeUpdates(log, clock, 5, 3);
    const before = readAll(log).records;
    const cleaner = cleanerFor(log, clock);
    const run = await cleaner.cleanOnce();
    assert.ok(run !== null);
    assert.ok(run.endOffset <= oldEnd + 1n, `cleaned up to ${run.endOffset}, beyond the old records ending at ${oldEnd}`);
    // Nothing at or after the first too-young segment was touched.
    const after = readAll(log).records;
    const young = before.filter((record) => record.offset >= run.endOffset);
    assert.deepEqual(after.filter((record) => record.offset >= run.endOffset), young);
    assert.ok(young.length >= 1);
    await log.close();
  });

  it('testTombstones: a tombstone is kept for delete.retention.ms after its first cleaning, then removed', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { deleteRetentionMs: 5_000 });
    writeUpdates(log, clock, 3, 3);
    put(log, clock, [['k1', null]]);
    writeUpdates(log, clock, 1, 8); // rolls the tombstone out of the active segment
    const cleaner = cleanerFor(log, clock);
    await cleaner.cleanOnce();
    let records = readAll(log).records;
    assert.ok(records.some((record) => record.key === 'k1' && record.value === null), 'tombstone kept within delete.retention.ms');
    assert.ok(!records.some((record) => record.key === 'k1' && record.value !== null), 'older k1 values removed');
    clock.now += 4_000;
    assert.equal(await cleaner.cleanOnce(), null, 'nothing dirty and the horizon has not passed');
    clock.now += 2_000;
    const run = await cleaner.cleanOnce();
    assert.ok(run !== null, 'the passed delete horizon triggers a cleaning');
    records = readAll(log).records;
    assert.ok(!records.some((record) => record.key === 'k1'), 'tombstone removed after delete.retention.ms');
    assert.equal(latestByKey(records).get('k0'), 'v7');
    await log.close();
  });

  it('testCleaningWithUncleanableSection / offset map bound: a tiny map cleans in several passes', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { segmentBytes: 300 });
    for (let round = 0; round < 3; round++) for (let k = 0; k < 12; k++) put(log, clock, [[`key-${k}`, `r${round}`]]);
    const before = readAll(log).records;
    // Four entries: far fewer than the twelve keys.
    const cleaner = cleanerFor(log, clock, { dedupeBufferSize: 28 * 5 });
    assert.equal(new OffsetMap(28 * 5).capacity, 4);
    let passes = 0;
    while ((await cleaner.cleanOnce()) !== null) {
      passes++;
      assert.ok(passes < 50, 'cleaning must make progress');
    }
    assert.ok(passes > 1, `expected several passes, got ${passes}`);
    assert.deepEqual(latestByKey(readAll(log).records), latestByKey(before));
    await log.close();
  });

  it('testAbortedTransactionsRemoved: aborted records go, the marker goes on a later pass, committed data stays', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { deleteRetentionMs: 0 });
    const first = put(log, clock, [['a', 'aborted-1']], { producerId: 7n, baseSequence: 0, isTransactional: true });
    put(log, clock, [['b', 'aborted-2']], { producerId: 7n, baseSequence: 1, isTransactional: true });
    const abort = marker(log, clock, 7n, ControlRecordType.abort);
    log.appendAbortedTransaction({ producerId: 7n, firstOffset: first, lastOffset: abort, lastStableOffset: abort + 1n });
    put(log, clock, [['a', 'committed']], { producerId: 7n, baseSequence: 2, isTransactional: true });
    marker(log, clock, 7n, ControlRecordType.commit);
    writeUpdates(log, clock, 2, 8);
    const cleaner = cleanerFor(log, clock);
    await cleaner.cleanOnce();
    let records = readAll(log).records;
    assert.ok(!records.some((record) => record.value?.startsWith('aborted')), 'aborted records removed');
    assert.ok(records.some((record) => record.offset === abort), 'abort marker kept while the pass removed its data');
    assert.deepEqual(
      log.collectAbortedTransactions(0n, log.logEndOffset).map((entry) => entry.lastOffset),
      [abort],
      'its aborted-index entry moves into the cleaned segment',
    );
    clock.now += 1;
    // The next pass sees no data of that transaction: the marker may go, its delete horizon (0 ms) has passed.
    put(log, clock, [['z', 'dirty']]);
    writeUpdates(log, clock, 1, 6);
    await cleaner.cleanOnce();
    await cleaner.cleanOnce();
    records = readAll(log).records;
    assert.ok(!records.some((record) => record.offset === abort), 'abort marker removed once its data is gone');
    assert.equal(latestByKey(records).get('a'), 'committed');
    await log.close();
  });

  it('testPreservesProducerState: the last batch of an active producer is kept (empty) when all its records go', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock);
    put(log, clock, [['p', 'one'], ['q', 'two']], { producerId: 42n, baseSequence: 0 });
    const last = put(log, clock, [['p', 'three']], { producerId: 42n, baseSequence: 2 });
    writeUpdates(log, clock, 1, 4);
    put(log, clock, [['p', 'newer'], ['q', 'newer']]);
    writeUpdates(log, clock, 1, 10);
    const producerState: ProducerStateView = {
      activeProducers: () => new Map([[42n, { lastDataOffset: last, producerEpoch: 0 }]]),
      firstUnstableOffset: () => null,
    };
    await cleanerFor(log, clock, { producerState }).cleanOnce();
    const { records, batches } = readAll(log);
    assert.ok(!records.some((record) => record.value === 'one' || record.value === 'three'));
    const kept = batches.filter((batch) => batch.producerId === 42n);
    assert.deepEqual(kept, [{ producerId: 42n, lastOffset: last, count: 0, control: false }], 'only its last batch, emptied');
    await log.close();
  });

  it('testMaxCompactionLag: the active segment rolls once its first record is older than max.compaction.lag.ms, and the log is cleaned whatever its ratio', async () => {
    const clock = { now: 1_000_000 };
    // Segments large enough never to fill here: only time rolls them.
    const log = await openLog(clock, { segmentBytes: 1 << 20, segmentMs: 3_600_000, maxCompactionLagMs: 5_000 });
    // A large clean part first (distinct keys survive cleaning), so the later dirty part has a small ratio.
    for (let k = 0; k < 50; k++) put(log, clock, [[`distinct-${k}`, 'x'.repeat(50)]]);
    clock.now += 5_001;
    put(log, clock, [['k', 'v0']]);
    assert.equal(log.segmentCount, 2, 'rolled by the lag');
    const cleaner = cleanerFor(log, clock);
    assert.ok((await cleaner.cleanOnce()) !== null);
    log.updateConfig({ minCleanableDirtyRatio: 0.9 });

    for (let round = 1; round < 4; round++) put(log, clock, [['k', `v${round}`]]);
    clock.now += 4_000;
    put(log, clock, [['k', 'within-the-lag']]);
    assert.equal(log.segmentCount, 2, 'no roll before the lag has passed');
    assert.equal(await cleaner.cleanOnce(), null, 'the active segment is never cleaned');
    clock.now += 1_001;
    const rolledAt = put(log, clock, [['k', 'after-the-lag']]);
    assert.equal(log.segmentCount, 3, 'the append after the lag rolls the active segment');
    assert.equal(log.activeSegmentBaseOffset, rolledAt);
    // The rolled segment is dirty and older than the lag: cleaned although its ratio is below 0.9.
    const measure = cleaner.measure(log);
    assert.ok(measure !== null && measure.dirtyRatio < 0.9 && measure.needsCompactionNow, `ratio ${measure?.dirtyRatio}`);
    assert.ok((await cleaner.cleanOnce()) !== null, 'cleaned because of the lag');
    assert.deepEqual(
      readAll(log).records.filter((record) => record.key === 'k').map((record) => record.value),
      ['within-the-lag', 'after-the-lag'],
    );

    // A delete-only log rolls by segment.ms alone (Kafka's LogConfig.maxSegmentMs).
    const plain = await openLog(clock, { cleanupPolicy: ['delete'], segmentBytes: 1 << 20, segmentMs: 3_600_000, maxCompactionLagMs: 5_000 });
    put(plain, clock, [['k', 'a']]);
    clock.now += 10_000;
    put(plain, clock, [['k', 'b']]);
    assert.equal(plain.segmentCount, 1);
    await plain.close();
    await log.close();
  });

  it('a topic config change takes effect at the next pass: cleanup.policy delete -> compact, then min.cleanable.dirty.ratio', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { cleanupPolicy: ['delete'] });
    writeUpdates(log, clock, 3, 6);
    const cleaner = cleanerFor(log, clock);
    assert.equal(await cleaner.cleanOnce(), null, 'delete policy: not the cleaner\'s');
    log.updateConfig({ cleanupPolicy: ['compact', 'delete'] });
    assert.ok((await cleaner.cleanOnce()) !== null, 'compact,delete: cleaned');
    writeUpdates(log, clock, 3, 2);
    log.updateConfig({ minCleanableDirtyRatio: 0.99 });
    assert.equal(await cleaner.cleanOnce(), null, 'the new dirty part is below the raised ratio');
    log.updateConfig({ minCleanableDirtyRatio: 0.01 });
    assert.ok((await cleaner.cleanOnce()) !== null, 'cleaned again once the ratio is lowered');
    await log.close();
  });

  it('does not clean a log whose cleanup.policy is delete', async () => {
    const clock = { now: 1_000_000 };
    const log = await openLog(clock, { cleanupPolicy: ['delete'] });
    writeUpdates(log, clock, 3, 6);
    assert.equal(await cleanerFor(log, clock).cleanOnce(), null);
    await log.close();
  });
});

const show = (record: ReadRecord) => `${record.offset}:${record.key}=${record.value}`;

/**
 * A file system whose Nth rename matching a pattern throws, as a crash at that point would stop the swap; from
 * then on, as in a dead process, no cleaner file is renamed or removed either (the cleaner's own clean-up fails).
 */
function crashingRenames(pattern: RegExp, nth: number): LogFileSystem & { crashed: boolean } {
  let seen = 0;
  const cleanerFile = /\.(cleaned|swap|deleted|swap-end)$/;
  const fs = {
    ...nodeFileSystem,
    crashed: false,
    rename(from: string, to: string) {
      if (fs.crashed && (cleanerFile.test(from) || cleanerFile.test(to))) throw new Error(`crashed: cannot rename ${from}`);
      if (pattern.test(to) && ++seen === nth) {
        fs.crashed = true;
        throw new Error(`simulated crash renaming ${from}`);
      }
      nodeFileSystem.rename(from, to);
    },
    unlink(path: string) {
      if (fs.crashed && cleanerFile.test(path)) throw new Error(`crashed: cannot remove ${path}`);
      nodeFileSystem.unlink(path);
    },
  };
  return fs;
}

describe('LogCleaner crash recovery (testRecoveryOfSwapFiles)', () => {
  const cases: { name: string; pattern: RegExp; nth: number; swapped: boolean; offline?: false }[] = [
    { name: 'after the index files became .swap, before the .log did: the cleaning is dropped', pattern: /\.timeindex\.swap$/, nth: 1, swapped: false, offline: false },
    { name: 'before the .log becomes .swap: the cleaning is dropped', pattern: /\.log\.swap$/, nth: 1, swapped: false },
    { name: 'after .swap, before the old segments are renamed: the swap completes', pattern: /\.deleted$/, nth: 1, swapped: true },
    { name: 'with some old segments renamed to .deleted: the swap completes', pattern: /\.deleted$/, nth: 6, swapped: true },
    { name: 'while renaming .swap files to their final names: the swap completes', pattern: /\d\.log$/, nth: 1, swapped: true },
  ];
  for (const { name, pattern, nth, swapped, offline } of cases) {
    it(name, async () => {
      const clock = { now: 1_000_000 };
      const fs = crashingRenames(pattern, nth);
      const log = await openLog(clock, {}, fs);
      writeUpdates(log, clock, 4, 8);
      const before = readAll(log).records;
      // The reference result: the same writes cleaned without a crash.
      const reference = await openLog(clock);
      writeUpdates(reference, clock, 4, 8);
      await cleanerFor(reference, clock).cleanOnce();
      const cleaned = readAll(reference).records;
      await reference.close();

      await cleanerFor(log, clock, { fs }).cleanOnce();
      assert.ok(fs.crashed, 'the crash point was reached');
      // A failure before the commit only fails this cleaning; from the commit on, the log goes offline until a restart.
      assert.equal(log.offline !== null, offline ?? true);
      await log.close(); // offline: no clean-shutdown marker, as after kill -9
      const names = readdirSync(log.directory);
      assert.ok(names.some((file) => /\.(cleaned|swap|deleted)$/.test(file)), `leftover files expected: ${names.join(' ')}`);

      const reopened = await openLog(clock, {}, nodeFileSystem, log.directory);
      assert.equal(readdirSync(log.directory).filter((file) => /\.(cleaned|swap|deleted|swap-end)$/.test(file)).length, 0);
      const records = readAll(reopened).records;
      if (!swapped) assert.deepEqual(records, before);
      // Completed: nothing but superseded records went (a subset of what was written, a superset of a full cleaning).
      const written = new Set(before.map((record) => show(record)));
      for (const record of records) assert.ok(written.has(show(record)));
      const present = new Set(records.map((record) => show(record)));
      for (const record of cleaned) assert.ok(present.has(show(record)), `lost ${show(record)}`);
      if (swapped) assert.ok(records.length < before.length, 'the interrupted group was swapped in');
      assert.deepEqual(latestByKey(records), latestByKey(before));
      // The recovered log cleans on to the same result.
      await cleanerFor(reopened, clock).cleanOnce();
      assert.deepEqual(latestByKey(readAll(reopened).records), latestByKey(before));
      await reopened.close();
      assert.ok(existsSync(join(log.directory, 'clean-shutdown')));
    });
  }
});
