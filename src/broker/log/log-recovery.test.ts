// Recovery on open, mirroring Kafka's `LogLoaderTest` (testCorruptLog, testCleanShutdownFile,
// testCorruptIndexRebuild) and `LogSegmentTest.testRecoveryWithCorruptMessage`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, openSync, readSync, writeSync, closeSync, truncateSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { isCrcValid } from '../../protocol/records/batch-header.ts';
import { PartitionLog } from './partition-log.ts';
import type { PartitionLogOptions } from './partition-log.ts';
import { batchesIn, makeBatch, simpleBatch, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

function segmentFile(directory: string, base: bigint, suffix = '.log'): string {
  return join(directory, base.toString().padStart(20, '0') + suffix);
}

/** Appends `count` batches of 3 records each and waits until durable; the log is then left open ("crash"). */
async function filledLog(count: number, options: Partial<PartitionLogOptions> = {}): Promise<{ log: PartitionLog; sizes: number[] }> {
  const log = await PartitionLog.open({ directory: join(temp.path, `recover-${counter++}`), ...options });
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const batch = makeBatch([0, 1, 2].map((j) => ({ timestamp: 1000n + BigInt(i * 3 + j), value: `b${i}r${j}` })));
    sizes.push(batch.length);
    log.append(batch);
  }
  await log.waitDurable(BigInt(count * 3 - 1));
  return { log, sizes };
}

/** Every offset below the log end reads back as a CRC-valid batch containing it. */
function assertReadable(log: PartitionLog): void {
  for (let offset = log.logStartOffset; offset < log.logEndOffset; offset++) {
    const { records } = log.read(offset, 1);
    const [batch] = batchesIn(records);
    assert.ok(batch.baseOffset <= offset && offset <= batch.lastOffset, `offset ${offset} in ${batch.baseOffset}..${batch.lastOffset}`);
    assert.ok(isCrcValid(records, 0, batch.size));
  }
}

describe('PartitionLog recovery', () => {
  it('cuts a torn tail at the last whole batch and rebuilds the indexes (unclean stop)', async () => {
    const { log, sizes } = await filledLog(20, { config: { indexIntervalBytes: 100 } });
    const path = segmentFile(log.directory, 0n);
    const wholeSize = sizes.slice(0, 17).reduce((a, b) => a + b, 0);
    truncateSync(path, wholeSize + 30); // mid-batch 17
    const reopened = await PartitionLog.open({ directory: log.directory, config: { indexIntervalBytes: 100 } });
    assert.equal(reopened.recoveryReport.cleanShutdown, false);
    assert.equal(reopened.recoveryReport.truncatedBytes, 30);
    assert.equal(reopened.logEndOffset, 51n);
    assert.equal(reopened.highWatermark, 51n);
    assert.equal(statSync(path).size, wholeSize);
    assertReadable(reopened);
    const next = reopened.append(simpleBatch(1));
    assert.equal(next.baseOffset, 51n);
    await reopened.close();
  });

  it('a cut inside the 12-byte log overhead is torn too', async () => {
    const { log, sizes } = await filledLog(3);
    truncateSync(segmentFile(log.directory, 0n), sizes[0] + sizes[1] + 5);
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.logEndOffset, 6n);
    await reopened.close();
  });

  it('truncates at a CRC mismatch in the middle of the last segment', async () => {
    const { log, sizes } = await filledLog(10);
    const position = sizes.slice(0, 6).reduce((a, b) => a + b, 0) + 70; // inside batch 6's records
    const fd = openSync(segmentFile(log.directory, 0n), 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, position);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, position);
    closeSync(fd);
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.logEndOffset, 18n);
    assert.equal(reopened.recoveryReport.corruption?.reason, 'CRC mismatch');
    assert.equal(reopened.recoveryReport.corruption?.position, position - 70);
    assertReadable(reopened);
    await reopened.close();
  });

  it('a corrupt batch in an earlier segment drops the segments after it', async () => {
    const { log, sizes } = await filledLog(12, { config: { segmentBytes: sizes0() * 4 + 1 } });
    const bases = log.segmentBaseOffsets;
    assert.ok(bases.length >= 3);
    // Corrupt the second batch of the second segment (a baseOffset flip: not covered by the CRC).
    const fd = openSync(segmentFile(log.directory, bases[1]), 'r+');
    const patched = Buffer.alloc(8);
    patched.writeBigInt64BE(999n);
    writeSync(fd, patched, 0, 8, sizes[0]);
    closeSync(fd);
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.logEndOffset, bases[1] + 3n);
    assert.deepEqual(reopened.segmentBaseOffsets, [bases[0], bases[1]]);
    assert.deepEqual(reopened.recoveryReport.deletedSegments, bases.slice(2));
    assert.ok(!existsSync(segmentFile(log.directory, bases[2])));
    assertReadable(reopened);
    await reopened.close();
  });

  it('after a clean shutdown, loads indexes without scanning and serves the same data', async () => {
    const { log } = await filledLog(30, { config: { segmentBytes: 1000, indexIntervalBytes: 100 } });
    const before = log.read(0n, 1 << 20).records;
    await log.close();
    assert.ok(existsSync(join(log.directory, 'clean-shutdown')));
    const reopened = await PartitionLog.open({ directory: log.directory, config: { segmentBytes: 1000, indexIntervalBytes: 100 } });
    assert.equal(reopened.recoveryReport.cleanShutdown, true);
    assert.deepEqual(reopened.recoveryReport.recoveredSegments, []);
    assert.ok(!existsSync(join(log.directory, 'clean-shutdown')), 'the marker is removed once opened');
    assert.equal(reopened.logEndOffset, 90n);
    assert.ok(reopened.read(0n, 1 << 20).records.equals(before));
    assertReadable(reopened);
    assert.deepEqual(reopened.offsetForTimestamp(1050n), { timestamp: 1050n, offset: 50n });
    assert.deepEqual(reopened.maxTimestampOffset(), { timestamp: 1089n, offset: 89n });
    await reopened.close();
  });

  // `LogLoaderTest.testCleanShutdownFile` for a partition closed before its first batch (a topic auto-created by
  // a producer's metadata request just before the broker stopped): its index files are empty, and after the
  // restart the first append that earns an index entry failed with KAFKA_STORAGE_ERROR, forever, with the batch
  // bytes already written (the producer then retried the same sequence until delivery.timeout.ms).
  it('after a clean shutdown of an empty log, appends past index.interval.bytes still work', async () => {
    const options = { config: { indexIntervalBytes: 100 } };
    const log = await PartitionLog.open({ directory: join(temp.path, `recover-${counter++}`), ...options });
    await log.close();
    const reopened = await PartitionLog.open({ directory: log.directory, ...options });
    assert.equal(reopened.recoveryReport.cleanShutdown, true);
    for (let i = 0; i < 30; i++) {
      reopened.append(makeBatch([0, 1, 2].map((j) => ({ timestamp: 1000n + BigInt(i * 3 + j), value: `b${i}r${j}` }))));
    }
    await reopened.waitDurable(89n);
    assert.equal(reopened.logEndOffset, 90n);
    assertReadable(reopened);
    assert.deepEqual(reopened.offsetForTimestamp(1050n), { timestamp: 1050n, offset: 50n });
    await reopened.close();
    const again = await PartitionLog.open({ directory: log.directory, ...options });
    assert.deepEqual(again.recoveryReport.recoveredSegments, []);
    assert.equal(again.logEndOffset, 90n);
    assert.deepEqual(again.maxTimestampOffset(), { timestamp: 1089n, offset: 89n });
    await again.close();
  });

  it('rebuilds an index that fails its sanity check, and one that points at the wrong place', async () => {
    const options = { config: { segmentBytes: 1000, indexIntervalBytes: 100 } };
    const { log } = await filledLog(30, options);
    await log.close();
    const bases = log.segmentBaseOffsets;
    // Not a whole number of entries.
    writeFileSync(segmentFile(log.directory, bases[0], '.index'), Buffer.alloc(5));
    // Plausible entries (increasing), but positions that do not start the batches they name.
    const bogus = Buffer.alloc(16);
    bogus.writeInt32BE(4, 0);
    bogus.writeInt32BE(7, 4);
    bogus.writeInt32BE(9, 8);
    bogus.writeInt32BE(300, 12);
    writeFileSync(segmentFile(log.directory, bases[1], '.index'), bogus);
    const reopened = await PartitionLog.open({ directory: log.directory, ...options });
    // The malformed one is caught on open; the misleading one passes the sanity check and is caught on use.
    assert.deepEqual(reopened.recoveryReport.rebuiltIndexes, [bases[0]]);
    assert.deepEqual(reopened.recoveryReport.recoveredSegments, [bases[0]]);
    assertReadable(reopened);
    await reopened.close();
  });

  it('an unclean start scans only from the segment holding the recovery point', async () => {
    const { log } = await filledLog(30, { config: { segmentBytes: 1000 } });
    log.checkpointRecoveryPoint();
    const bases = log.segmentBaseOffsets;
    const reopened = await PartitionLog.open({ directory: log.directory, config: { segmentBytes: 1000 } });
    assert.equal(reopened.recoveryReport.cleanShutdown, false);
    assert.equal(reopened.recoveryReport.recoveryPoint, 90n);
    assert.deepEqual(reopened.recoveryReport.recoveredSegments, [bases[bases.length - 1]]);
    assert.equal(reopened.logEndOffset, 90n);
    assertReadable(reopened);
    await reopened.close();
  });

  it('a crash after a clean open does not look clean on the next start', async () => {
    const { log } = await filledLog(2);
    await log.close();
    const reopened = await PartitionLog.open({ directory: log.directory });
    reopened.append(simpleBatch(1));
    await reopened.waitDurable(6n);
    // No close: a crash.
    const third = await PartitionLog.open({ directory: log.directory });
    assert.equal(third.recoveryReport.cleanShutdown, false);
    assert.equal(third.logEndOffset, 7n);
    await third.close();
  });

  it('removes leftover temp files and orphan indexes', async () => {
    const { log } = await filledLog(2);
    await log.close();
    writeFileSync(join(log.directory, 'recovery-point.tmp'), 'x');
    writeFileSync(segmentFile(log.directory, 500n, '.index'), Buffer.alloc(8));
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.deepEqual(reopened.recoveryReport.removedFiles.sort(), ['00000000000000000500.index', 'recovery-point.tmp']);
    assert.ok(!readdirSync(log.directory).some((name) => name.endsWith('.tmp')));
    await reopened.close();
  });

  it('any cut point: the log ends at the last whole batch before it (property)', async () => {
    const { log, sizes } = await filledLog(8);
    await log.close();
    const total = sizes.reduce((a, b) => a + b, 0);
    const path = segmentFile(log.directory, 0n);
    const original = Buffer.alloc(total);
    const fd = openSync(path, 'r');
    readSync(fd, original, 0, total, 0);
    closeSync(fd);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: total }), async (cut) => {
        writeFileSync(path, original.subarray(0, cut));
        // Make the start unclean: drop the marker left by the previous close.
        truncateSync(join(log.directory, 'clean-shutdown'), 0);
        const reopened = await PartitionLog.open({ directory: log.directory });
        let whole = 0;
        let batches = 0;
        while (batches < sizes.length && whole + sizes[batches] <= cut) whole += sizes[batches++];
        assert.equal(reopened.logEndOffset, BigInt(batches * 3));
        assert.equal(statSync(path).size, whole);
        await reopened.close();
      }),
      { numRuns: 25 },
    );
  });
});

/** Size of one batch made by filledLog. */
function sizes0(): number {
  return makeBatch([0, 1, 2].map((j) => ({ timestamp: 1000n + BigInt(j), value: `b0r${j}` }))).length;
}
