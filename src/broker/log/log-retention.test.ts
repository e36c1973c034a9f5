// Retention (Kafka's `UnifiedLog.deleteOldSegments`: `testRetentionByTime`-, `testSizeBasedLogRetention`-style).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { PartitionLog } from './partition-log.ts';
import type { PartitionLogOptions } from './partition-log.ts';
import { OffsetOutOfRangeError } from './log-errors.ts';
import { makeBatch, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

/** Six one-record batches, timestamps 1000, 2000, ...; with segmentBytes 150 every segment holds two. */
async function sixBatches(options: Partial<PartitionLogOptions>): Promise<PartitionLog> {
  const log = await PartitionLog.open({ directory: join(temp.path, `retention-${counter++}`), ...options });
  for (let i = 0; i < 6; i++) {
    const { lastOffset } = log.append(makeBatch([{ timestamp: BigInt((i + 1) * 1000), value: `value-${i}` }]));
    await log.waitDurable(lastOffset);
  }
  return log;
}

describe('PartitionLog retention', () => {
  it('deletes whole segments older than retention.ms by their largest timestamp, the active one too after a roll', async () => {
    let now = 4_500;
    const deletions: bigint[][] = [];
    const log = await sixBatches({
      clock: () => now,
      config: { segmentBytes: 150, retentionMs: 2_000 },
      hooks: { onSegmentsDeleted: (bases) => deletions.push([...bases]) },
    });
    assert.deepEqual(log.segmentBaseOffsets, [0n, 2n, 4n]);
    // Segment 0's largest timestamp is 2000: 4500 - 2000 > 2000. Segment 2's is 4000: kept.
    assert.equal(log.deleteOldSegments(), 1);
    assert.deepEqual(log.segmentBaseOffsets, [2n, 4n]);
    assert.equal(log.logStartOffset, 2n);
    assert.ok(!existsSync(join(log.directory, '00000000000000000000.log')));
    assert.throws(() => log.read(1n, 100), OffsetOutOfRangeError);
    now = 1_000_000;
    // Everything is past retention: the active segment goes too, after a roll leaves an empty one at the log end
    // (Kafka's `deletableSegments` with `roll()` when all segments are deletable).
    assert.equal(log.deleteOldSegments(), 2);
    assert.deepEqual(log.segmentBaseOffsets, [6n]);
    assert.deepEqual(deletions, [[0n], [2n, 4n]]);
    assert.equal(log.logStartOffset, 6n);
    assert.equal(log.logEndOffset, 6n);
    assert.throws(() => log.read(4n, 100), OffsetOutOfRangeError);
    assert.equal(log.deleteOldSegments(), 0, 'an empty active segment is never deleted');
    const { baseOffset } = log.append(makeBatch([{ timestamp: 1_000_000n, value: 'after' }]));
    assert.equal(baseOffset, 6n);
    await log.waitDurable(6n);
    await log.close();
    const reopened = await PartitionLog.open({ directory: log.directory });
    assert.equal(reopened.logStartOffset, 6n);
    assert.equal(reopened.read(6n, 1 << 20).firstOffset, 6n);
    await reopened.close();
  });

  it('segment deletion renames the files to .deleted at once and unlinks them off the event loop; a crash leftover goes at the next load', async () => {
    let now = 4_500;
    const log = await sixBatches({ clock: () => now, config: { segmentBytes: 150, retentionMs: 2_000 } });
    const name = join(log.directory, '00000000000000000000.log');
    assert.equal(log.deleteOldSegments(), 1);
    assert.ok(!existsSync(name), 'the name is free as soon as retention returns');
    for (let i = 0; i < 200 && existsSync(`${name}.deleted`); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(!existsSync(`${name}.deleted`), 'the renamed file is unlinked in the background');
    // As if a crash came between the rename and the unlink.
    const leftover = join(log.directory, '00000000000000000002.timeindex.deleted');
    writeFileSync(leftover, 'x');
    await log.close();
    now = 4_600;
    const reopened = await PartitionLog.open({ directory: log.directory, clock: () => now, config: { segmentBytes: 150, retentionMs: 2_000 } });
    assert.ok(!existsSync(leftover), 'the next load removes .deleted files');
    assert.deepEqual(reopened.segmentBaseOffsets, [2n, 4n]);
    await reopened.close();
  });

  it('retention.ms -1 keeps everything', async () => {
    const log = await sixBatches({ clock: () => 1e12, config: { segmentBytes: 150, retentionMs: -1 } });
    assert.equal(log.deleteOldSegments(), 0);
    await log.close();
  });

  it('deletes the oldest segments while the log exceeds retention.bytes', async () => {
    const log = await sixBatches({ config: { segmentBytes: 150, retentionMs: -1 } });
    const segmentSize = log.size / 3;
    log.updateConfig({ retentionBytes: Math.floor(segmentSize * 2) });
    // Three equal segments over a two-segment limit: exactly the oldest one goes.
    assert.equal(log.deleteOldSegments(), 1);
    assert.deepEqual(log.segmentBaseOffsets, [2n, 4n]);
    log.updateConfig({ retentionBytes: 0 });
    assert.equal(log.deleteOldSegments(), 2);
    assert.deepEqual(log.segmentBaseOffsets, [6n]);
    await log.close();
  });

  it('never deletes a segment above the high watermark', async () => {
    const log = await PartitionLog.open({
      directory: join(temp.path, `retention-${counter++}`),
      clock: () => 1e12,
      config: { segmentBytes: 150, retentionMs: 1 },
    });
    // Appended but not yet durable: the high watermark is still 0.
    for (let i = 0; i < 4; i++) log.append(makeBatch([{ timestamp: 1n, value: `value-${i}` }]));
    assert.equal(log.highWatermark, 0n);
    assert.equal(log.deleteOldSegments(), 0);
    await log.waitDurable(3n);
    assert.equal(log.deleteOldSegments(), 2);
    assert.equal(log.logStartOffset, 4n);
    await log.close();
  });
});
