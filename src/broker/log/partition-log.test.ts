// Append/read behaviour of one partition log (mirrors Kafka's `UnifiedLogTest` / `LogSegmentTest` scenarios).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { BatchField, CompressionType, isCrcValid } from '../../protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../../protocol/records/record-batch-encoder.ts';
import { PartitionLog } from './partition-log.ts';
import type { PartitionLogOptions } from './partition-log.ts';
import { OffsetOutOfRangeError } from './log-errors.ts';
import { batchesIn, instrumentedFileSystem, makeBatch, simpleBatch, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

async function openLog(options: Partial<PartitionLogOptions> = {}): Promise<PartitionLog> {
  return PartitionLog.open({ directory: join(temp.path, `topic-${counter++}`), ...options });
}

async function appendDurable(log: PartitionLog, batch: Buffer) {
  const result = log.append(batch);
  await log.waitDurable(result.lastOffset);
  return result;
}

describe('PartitionLog append and read', () => {
  it('assigns contiguous offsets and patches the header in place', async () => {
    const log = await openLog();
    const first = simpleBatch(3);
    const a = log.append(first, { leaderEpoch: 7 });
    const b = log.append(simpleBatch(2));
    assert.deepEqual([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset], [0n, 2n, 3n, 4n]);
    assert.equal(a.logAppendTime, -1n);
    assert.equal(first.readBigInt64BE(BatchField.baseOffset), 0n);
    assert.equal(first.readInt32BE(BatchField.partitionLeaderEpoch), 7);
    assert.equal(log.logEndOffset, 5n);
    await log.waitDurable(4n);
    assert.equal(log.highWatermark, 5n);
    await log.close();
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const log = await openLog({ clock: () => 123_456 });
    const batch = simpleBatch(2);
    const result = log.append(batch, { timestampType: 'LogAppendTime' });
    assert.equal(result.logAppendTime, 123_456n);
    await log.waitDurable(result.lastOffset);
    const { records } = log.read(0n, 1 << 20);
    assert.equal(records.readBigInt64BE(BatchField.maxTimestamp), 123_456n);
    assert.equal(records.readInt16BE(BatchField.attributes) & 0x08, 0x08);
    assert.ok(isCrcValid(records, 0, records.length));
    await log.close();
  });

  it('never serves data above the high watermark (fsync always)', async () => {
    const log = await openLog();
    const result = log.append(simpleBatch(2));
    // Not yet fsynced: staged but invisible.
    assert.equal(log.highWatermark, 0n);
    assert.equal(log.read(0n, 1 << 20).records.length, 0);
    await log.waitDurable(result.lastOffset);
    assert.equal(log.read(0n, 1 << 20).records.length, simpleBatch(2).length);
    await log.close();
  });

  it('reads whole batches from the one containing the fetch offset, honouring maxBytes and maxOffset', async () => {
    const log = await openLog();
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = simpleBatch(5, 1000n + BigInt(i * 10));
      sizes.push(batch.length);
      await appendDurable(log, batch);
    }
    const fromMiddle = log.read(12n, 1 << 20);
    assert.equal(fromMiddle.firstOffset, 10n);
    assert.equal(fromMiddle.lastOffset, 49n);
    assert.deepEqual(batchesIn(fromMiddle.records).map((b) => b.baseOffset), [10n, 15n, 20n, 25n, 30n, 35n, 40n, 45n]);
    // maxBytes fits two batches and a bit: only whole batches come back.
    const limited = log.read(0n, sizes[0] * 2 + 10);
    assert.deepEqual(batchesIn(limited.records).map((b) => b.baseOffset), [0n, 5n]);
    // KIP-74: a batch larger than maxBytes is still returned when it is the first.
    assert.equal(batchesIn(log.read(0n, 1).records).length, 1);
    assert.equal(log.read(0n, 1, { minOneMessage: false }).records.length, 0);
    // maxOffset excludes batches that reach it.
    assert.deepEqual(batchesIn(log.read(0n, 1 << 20, { maxOffset: 15n }).records).map((b) => b.baseOffset), [0n, 5n, 10n]);
    assert.equal(log.read(50n, 1 << 20).records.length, 0);
    assert.throws(() => log.read(51n, 100), OffsetOutOfRangeError);
    await log.close();
  });

  it('rolls by size and reads across segments, using the offset index', async () => {
    const log = await openLog({ config: { segmentBytes: 2000, indexIntervalBytes: 200 } });
    const values: string[] = [];
    for (let i = 0; i < 60; i++) {
      const batch = makeBatch([{ timestamp: 5000n + BigInt(i), value: `value-${i}-${'x'.repeat(50)}` }]);
      values.push(`value-${i}-`);
      log.append(batch);
    }
    await log.waitDurable(59n);
    assert.ok(log.segmentCount > 3, `expected several segments, got ${log.segmentCount}`);
    const files = readdirSync(log.directory);
    assert.ok(files.includes('00000000000000000000.log'));
    assert.ok(files.some((f) => f.endsWith('.index') && !f.startsWith('00000000000000000000.')) || log.segmentCount > 1);
    for (let offset = 0n; offset < 60n; offset++) {
      const { records, firstOffset } = log.read(offset, 1);
      assert.equal(firstOffset, offset, `read at ${offset}`);
      assert.ok(records.toString('latin1').includes(values[Number(offset)]));
      assert.ok(isCrcValid(records, 0, records.length));
    }
    // A read stays within one segment, like Kafka's.
    const all = log.read(0n, 1 << 20);
    const segmentBases = log.segmentBaseOffsets;
    assert.equal(all.lastOffset, segmentBases[1] - 1n);
    await log.close();
  });

  it('writes index files at roll whose entries name the last offset of the batch at each position', async () => {
    const log = await openLog({ config: { segmentBytes: 3000, indexIntervalBytes: 250 } });
    for (let i = 0; i < 80; i++) log.append(simpleBatch(1 + (i % 3), BigInt(1000 + i)));
    await log.waitDurable(log.logEndOffset - 1n);
    const [first, second] = log.segmentBaseOffsets;
    const name = (base: bigint, suffix: string) => join(log.directory, base.toString().padStart(20, '0') + suffix);
    const index = readFileSync(name(first, '.index'));
    const segment = readFileSync(name(first, '.log'));
    assert.ok(index.length >= 8 * 5, `expected several entries, got ${index.length / 8}`);
    let previousPosition = -1;
    for (let at = 0; at < index.length; at += 8) {
      const relative = index.readInt32BE(at);
      const position = index.readInt32BE(at + 4);
      assert.ok(position > previousPosition);
      previousPosition = position;
      const batchLast = segment.readBigInt64BE(position) + BigInt(segment.readInt32BE(position + BatchField.lastOffsetDelta));
      assert.equal(batchLast, first + BigInt(relative));
    }
    // The time index ends with the segment's max timestamp and the last offset holding it.
    const timeIndex = readFileSync(name(first, '.timeindex'));
    const lastTimestamp = timeIndex.readBigInt64BE(timeIndex.length - 12);
    const lastOffset = first + BigInt(timeIndex.readInt32BE(timeIndex.length - 4));
    assert.equal(lastOffset, second - 1n);
    assert.equal(lastTimestamp, log.read(lastOffset, 1).records.readBigInt64BE(BatchField.maxTimestamp));
    await log.close();
  });

  it('rolls by time, judged by the first batch timestamp', async () => {
    const log = await openLog({ config: { segmentMs: 1000 } });
    await appendDurable(log, makeBatch([{ timestamp: 10_000n, value: 'a' }]));
    await appendDurable(log, makeBatch([{ timestamp: 10_500n, value: 'b' }]));
    assert.equal(log.segmentCount, 1);
    await appendDurable(log, makeBatch([{ timestamp: 11_001n, value: 'c' }]));
    assert.deepEqual(log.segmentBaseOffsets, [0n, 2n]);
    await log.close();
  });

  it('calls the roll hook with the new base offset and notifies high watermark listeners', async () => {
    const rolls: bigint[] = [];
    const log = await openLog({ config: { segmentBytes: 100 }, hooks: { onRoll: (base) => rolls.push(base) } });
    const seen: bigint[] = [];
    const unsubscribe = log.onHighWatermark((hw) => seen.push(hw));
    for (let i = 0; i < 4; i++) await appendDurable(log, simpleBatch(2));
    assert.deepEqual(rolls, [2n, 4n, 6n]);
    assert.equal(seen[seen.length - 1], 8n);
    assert.ok(seen.every((hw, i) => i === 0 || hw > seen[i - 1]));
    unsubscribe();
    await appendDurable(log, simpleBatch(1));
    assert.equal(seen[seen.length - 1], 8n);
    await log.close();
  });

  it('finds offsets by timestamp exactly, inside batches, and the max timestamp record', async () => {
    const log = await openLog({ config: { segmentBytes: 200, indexIntervalBytes: 1 } });
    // Timestamps not monotonic across batches; within a batch records have different timestamps.
    const batches = [
      [100n, 105n, 103n],
      [110n, 120n, 115n],
      [118n, 119n, 130n],
      [125n, 126n, 127n],
    ];
    for (const ts of batches) {
      await appendDurable(log, makeBatch(ts.map((timestamp, i) => ({ timestamp, value: `r${i}` }))));
    }
    assert.ok(log.segmentCount >= 2);
    assert.deepEqual(log.offsetForTimestamp(0n), { timestamp: 100n, offset: 0n });
    assert.deepEqual(log.offsetForTimestamp(104n), { timestamp: 105n, offset: 1n });
    assert.deepEqual(log.offsetForTimestamp(111n), { timestamp: 120n, offset: 4n });
    assert.deepEqual(log.offsetForTimestamp(121n), { timestamp: 130n, offset: 8n });
    assert.equal(log.offsetForTimestamp(131n), null);
    assert.deepEqual(log.maxTimestampOffset(), { timestamp: 130n, offset: 8n });
    // Answers are bounded by maxOffset (the high watermark or LSO).
    assert.equal(log.offsetForTimestamp(121n, { maxOffset: 8n }), null);
    await log.close();
  });

  it('finds exact offsets by timestamp inside compressed batches', async () => {
    const log = await openLog();
    for (const compression of [CompressionType.gzip, CompressionType.zstd]) {
      const records = [100n, 300n, 200n].map((timestamp) => ({ key: null, value: Buffer.from('v'), timestamp }));
      await appendDurable(log, encodeRecordBatch({ records, compression }));
    }
    assert.deepEqual(log.offsetForTimestamp(150n), { timestamp: 300n, offset: 1n });
    assert.deepEqual(log.offsetForTimestamp(250n), { timestamp: 300n, offset: 1n });
    assert.deepEqual(log.maxTimestampOffset(), { timestamp: 300n, offset: 1n });
    log.deleteRecordsBefore(2n);
    // Records below the log start offset are skipped, even inside a batch that straddles it.
    assert.deepEqual(log.offsetForTimestamp(150n), { timestamp: 200n, offset: 2n });
    assert.deepEqual(log.maxTimestampOffset(), { timestamp: 300n, offset: 4n });
    await log.close();
  });

  it('advances the log start offset with deleteRecordsBefore and rejects reads below it', async () => {
    const deleted: bigint[][] = [];
    const log = await openLog({ config: { segmentBytes: 200 }, hooks: { onSegmentsDeleted: (b) => deleted.push([...b]) } });
    for (let i = 0; i < 5; i++) await appendDurable(log, simpleBatch(2));
    assert.equal(log.deleteRecordsBefore(5n), 5n);
    assert.equal(log.logStartOffset, 5n);
    // Segments hold two batches: [0..3] [4..7] [8..9]; only the first lies wholly below offset 5.
    assert.deepEqual(deleted, [[0n]]);
    assert.deepEqual(log.segmentBaseOffsets, [4n, 8n]);
    assert.throws(() => log.read(3n, 100), OffsetOutOfRangeError);
    // The batch holding offset 5 starts at 4 and is returned whole.
    assert.equal(log.read(5n, 1 << 20).firstOffset, 4n);
    assert.throws(() => log.deleteRecordsBefore(11n), OffsetOutOfRangeError);
    await log.close();
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.logStartOffset, 5n);
    await reopened.close();
  });

  it('truncates to a batch boundary and rejects waiters above it', async () => {
    const truncated: bigint[] = [];
    const log = await openLog({ config: { segmentBytes: 200 }, hooks: { onTruncated: (end) => truncated.push(end) } });
    for (let i = 0; i < 5; i++) await appendDurable(log, simpleBatch(2));
    const pending = log.append(simpleBatch(2));
    const wait = log.waitDurable(pending.lastOffset);
    log.truncateTo(5n);
    await assert.rejects(wait);
    assert.equal(log.logEndOffset, 4n);
    assert.deepEqual(truncated, [4n]);
    assert.equal(log.read(2n, 1 << 20).lastOffset, 3n);
    const next = await appendDurable(log, simpleBatch(1));
    assert.equal(next.baseOffset, 4n);
    await log.close();
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.logEndOffset, 5n);
    await reopened.close();
  });

  it('replays batch headers from an offset (producer-state rebuild)', async () => {
    const log = await openLog({ config: { segmentBytes: 300 } });
    for (let i = 0; i < 6; i++) {
      log.append(makeBatch([{ timestamp: 1n, value: 'x' }, { timestamp: 2n, value: 'y' }], { producerId: 42n, producerEpoch: 0, baseSequence: i * 2 }));
    }
    await log.waitDurable(11n);
    const seen: [bigint, number][] = [];
    log.replay(5n, (header) => seen.push([header.baseOffset, header.baseSequence]));
    assert.deepEqual(seen, [[4n, 4], [6n, 6], [8n, 8], [10n, 10]]);
    await log.close();
  });
});

describe('PartitionLog durability', () => {
  it('group commit: many concurrent appends share few fsyncs', async () => {
    const fs = instrumentedFileSystem();
    // A slow fsync makes the appends pile up behind it.
    fs.beforeFsync = () => new Promise<void>((resolve) => setTimeout(resolve, 100));
    const log = await openLog({ fs });
    const before = fs.fsyncCount;
    const waits: Promise<void>[] = [];
    const appendMany = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const { lastOffset } = log.append(simpleBatch(1));
        waits.push(log.waitDurable(lastOffset));
      }
    };
    // 50 appends in one go share the first fsync; 50 more arrive while it runs and share the next one.
    appendMany(50);
    while (fs.fsyncCount === before) await new Promise((resolve) => setTimeout(resolve, 1));
    appendMany(50);
    await Promise.all(waits);
    const fsyncs = fs.fsyncCount - before;
    assert.equal(log.highWatermark, 100n);
    assert.ok(fsyncs >= 2 && fsyncs <= 4, `100 appends took ${fsyncs} fsyncs`);
    await log.close();
  });

  it('a failed fsync rejects waiters, never advances the high watermark, and takes the log offline', async () => {
    const fs = instrumentedFileSystem();
    const log = await openLog({ fs });
    await appendDurable(log, simpleBatch(1));
    fs.beforeFsync = () => {
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    };
    const { lastOffset } = log.append(simpleBatch(1));
    await assert.rejects(log.waitDurable(lastOffset), (error: Error & { code?: number }) => error.code === 56);
    assert.equal(log.highWatermark, 1n);
    assert.ok(log.offline);
    assert.throws(() => log.append(simpleBatch(1)), (error: Error & { code?: number }) => error.code === 56);
    fs.beforeFsync = null;
    await log.close();
    // No clean-shutdown marker: the next open recovers and keeps the staged batch that did reach the file.
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.recoveryReport.cleanShutdown, false);
    assert.equal(reopened.logEndOffset, 2n);
    await reopened.close();
  });

  it('a failed write leaves no partial batch and does not advance the log end', async () => {
    const fs = instrumentedFileSystem();
    const log = await openLog({ fs });
    await appendDurable(log, simpleBatch(2));
    fs.beforeWrite = () => 10; // writes 10 bytes, then "disk full"
    assert.throws(() => log.append(simpleBatch(3)), (error: Error & { code?: number }) => error.code === 56);
    fs.beforeWrite = null;
    assert.equal(log.logEndOffset, 2n);
    assert.equal(log.offline, null);
    const next = await appendDurable(log, simpleBatch(1));
    assert.equal(next.baseOffset, 2n);
    assert.deepEqual(batchesIn(log.read(0n, 1 << 20).records).map((b) => b.baseOffset), [0n, 2n]);
    await log.close();
  });

  it('a segment deleted while its fsync runs keeps its descriptor until the fsync ends', async () => {
    const fs = instrumentedFileSystem();
    // 'never': the high watermark is the log end, so retention may delete segments whose roll fsync still runs.
    const log = await openLog({ fs, config: { fsync: 'never', segmentBytes: 100, retentionMs: 0 }, clock: () => 1e12 });
    const releases: (() => void)[] = [];
    // Only segment fsyncs are held: the producer-state snapshots written at each roll fsync their own files.
    const segmentFds = new Set<number>();
    const open = fs.open.bind(fs);
    fs.open = (path, mode) => {
      const fd = open(path, mode);
      if (path.endsWith('.log')) segmentFds.add(fd);
      return fd;
    };
    fs.beforeFsync = (fd) => (segmentFds.has(fd) ? new Promise<void>((resolve) => releases.push(resolve)) : undefined);
    for (let i = 0; i < 4; i++) log.append(simpleBatch(2));
    for (let waited = 0; releases.length === 0 && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(releases.length, 1, 'the roll fsync is blocked');
    assert.equal(log.deleteOldSegments(), 4, 'the active segment too, after a roll');
    fs.beforeFsync = null;
    releases[0]();
    for (let waited = 0; log.recoveryPoint < 8n && log.offline === null && waited < 5000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(log.offline, null, 'the fsyncs of the deleted segments did not hit a closed descriptor');
    assert.equal(log.recoveryPoint, 8n);
    await log.close();
  });

  it('high watermark listeners fire on append without fsync and waitDurable rejects once offline', async () => {
    const log = await openLog({ config: { fsync: 'never' } });
    const seen: bigint[] = [];
    log.onHighWatermark((hw) => seen.push(hw));
    log.append(simpleBatch(2));
    log.append(simpleBatch(3));
    assert.deepEqual(seen, [2n, 5n]);
    await log.close();
    assert.throws(() => log.append(simpleBatch(1)), (error: Error & { code?: number }) => error.code === 56);
  });

  it("fsync 'never' and 'interval' acknowledge at once and expose the log end as high watermark", async () => {
    for (const fsync of ['never', 'interval'] as const) {
      const fs = instrumentedFileSystem();
      const log = await openLog({ fs, config: { fsync, fsyncIntervalMs: 10 } });
      const before = fs.fsyncCount;
      const { lastOffset } = log.append(simpleBatch(3));
      assert.equal(log.highWatermark, 3n);
      await log.waitDurable(lastOffset);
      if (fsync === 'interval') {
        await new Promise((resolve) => setTimeout(resolve, 40));
        assert.ok(fs.fsyncCount > before, 'the interval flush ran');
        assert.equal(log.recoveryPoint, 3n);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(fs.fsyncCount, before, 'never fsyncs on append');
      }
      await log.close();
    }
  });
});
