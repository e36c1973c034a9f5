// Producer-state snapshots on disk: the file format, and reloading from them (Kafka's `ProducerStateManagerTest`
// snapshot and recovery cases).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../../protocol/wire/crc32c.ts';
import { nodeFileSystem } from '../log/log-file-system.ts';
import { BatchMetadata } from './batch-metadata.ts';
import { ProducerStateEntry } from './producer-state-entry.ts';
import { ProducerStateManager } from './producer-state-manager.ts';
import {
  CorruptSnapshotError,
  decodeProducerSnapshotFile,
  encodeProducerSnapshotFile,
  producerSnapshotFileName,
  readProducerSnapshot,
  writeProducerSnapshot,
} from './producer-snapshot-file.ts';
import { ABORT, COMMIT, appendClientEntry, appendEndTxnMarker, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

const producerId = 1n;
const epoch = 0;

/** An existing partition directory, as the log creates it. */
function newDirectory(): string {
  const directory = join(temp.path, `p-${counter++}`);
  mkdirSync(directory);
  return directory;
}

function newManager(directory = newDirectory(), expirationMs = 86_400_000): ProducerStateManager {
  return new ProducerStateManager({ directory, config: { producerIdExpirationMs: expirationMs } });
}

function snapshotFiles(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory).filter((name) => name.endsWith('.snapshot')).sort() : [];
}

function snapshotOffsets(directory: string): bigint[] {
  return snapshotFiles(directory).map((name) => BigInt(name.slice(0, 20)));
}

describe('producer snapshot file', () => {
  it('testReadWriteSnapshot', () => {
    const expected = [
      new ProducerStateEntry(1n, 2, 3, -1n, 100n, new BatchMetadata(1, 2n, 3, -1n)),
      new ProducerStateEntry(11n, 12, 13, 123456n, null, null),
    ];
    const path = join(temp.path, `testReadWriteSnapshot-${counter++}`);
    writeProducerSnapshot(nodeFileSystem, path, expected);
    const actual = readProducerSnapshot(nodeFileSystem, path);
    assert.equal(actual.length, 2);
    for (const [i, entry] of actual.entries()) {
      const want = expected[i];
      assert.equal(entry.producerId, want.producerId);
      assert.equal(entry.producerEpoch, want.producerEpoch);
      assert.equal(entry.coordinatorEpoch, want.coordinatorEpoch);
      assert.equal(entry.lastTimestamp, want.lastTimestamp);
      assert.equal(entry.currentTxnFirstOffset, want.currentTxnFirstOffset);
      assert.deepEqual(entry.batchMetadata, want.batchMetadata);
    }
  });

  it('is Kafka\'s layout: int16 version 1, CRC-32C of the bytes after the CRC, then the entries', () => {
    const entry = new ProducerStateEntry(0x0102030405060708n, 9, 10, 11n, null, new BatchMetadata(12, 13n, 0, 11n));
    const bytes = encodeProducerSnapshotFile([entry]);
    assert.equal(bytes.length, 2 + 4 + 4 + 46);
    assert.equal(bytes.readInt16BE(0), 1);
    assert.equal(bytes.readUInt32BE(2), crc32c(bytes.subarray(6)));
    assert.equal(bytes.readInt32BE(6), 1);
    assert.equal(bytes.readBigInt64BE(10), 0x0102030405060708n);
    assert.equal(bytes.readInt16BE(18), 9); // epoch
    assert.equal(bytes.readInt32BE(20), 12); // lastSequence
    assert.equal(bytes.readBigInt64BE(24), 13n); // lastOffset
    assert.equal(bytes.readInt32BE(32), 0); // offsetDelta
    assert.equal(bytes.readBigInt64BE(36), 11n); // timestamp
    assert.equal(bytes.readInt32BE(44), 10); // coordinatorEpoch
    assert.equal(bytes.readBigInt64BE(48), -1n); // currentTxnFirstOffset
  });

  it('rejects a bad CRC, another version, or a short file', () => {
    const good = encodeProducerSnapshotFile([new ProducerStateEntry(5n, 0, -1, 0n, null, new BatchMetadata(0, 0n, 0, 0n))]);
    const flipped = Buffer.from(good);
    flipped[20] ^= 0xff;
    assert.throws(() => decodeProducerSnapshotFile(flipped), CorruptSnapshotError);
    const version = Buffer.from(good);
    version.writeInt16BE(2, 0);
    assert.throws(() => decodeProducerSnapshotFile(version), /unknown file version 2/);
    assert.throws(() => decodeProducerSnapshotFile(Buffer.alloc(0)), CorruptSnapshotError);
    assert.equal(decodeProducerSnapshotFile(good).length, 1);
  });
});

describe('ProducerStateManager snapshots and reload', () => {
  it('testTakeSnapshot and testSkipSnapshotIfOffsetUnchanged', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    appendClientEntry(manager, producerId, epoch, 1, 1n);
    assert.equal(manager.takeSnapshot(), true);
    assert.deepEqual(snapshotFiles(directory), [producerSnapshotFileName(2n)]);
    assert.ok(readFileSync(join(directory, producerSnapshotFileName(2n))).length > 0);
    assert.equal(manager.takeSnapshot(), false);
    assert.deepEqual(snapshotOffsets(directory), [2n]);
    assert.ok(!readdirSync(directory).some((name) => name.endsWith('.tmp')), 'the temp file was renamed into place');
  });

  it('testRecoverFromSnapshotUnfinishedTransaction', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 0n, { isTransactional: true });
    appendClientEntry(manager, producerId, epoch, 1, 1n, { isTransactional: true });
    manager.takeSnapshot();
    const recovered = newManager(directory);
    recovered.truncateAndReload(0n, 3n, 0);
    const entry = recovered.lastEntry(producerId);
    assert.ok(entry);
    // Only the last batch is in the snapshot.
    assert.deepEqual([entry.firstDataOffset, entry.firstSeq, entry.lastDataOffset, entry.lastSeq], [1n, 1, 1n, 1]);
    assert.equal(entry.currentTxnFirstOffset, 0n);
    assert.equal(recovered.firstUndecidedOffset(), 0n);
    appendClientEntry(recovered, producerId, epoch, 2, 2n, { isTransactional: true });
    assert.equal(recovered.lastEntry(producerId)?.lastSeq, 2);
  });

  it('testRecoverFromSnapshotFinishedTransaction', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 0n, { isTransactional: true });
    appendClientEntry(manager, producerId, epoch, 1, 1n, { isTransactional: true });
    appendEndTxnMarker(manager, producerId, epoch, ABORT, 2n);
    manager.takeSnapshot();
    const recovered = newManager(directory);
    recovered.truncateAndReload(0n, 3n, 0);
    const entry = recovered.lastEntry(producerId);
    assert.ok(entry);
    assert.deepEqual([entry.firstDataOffset, entry.firstSeq, entry.lastDataOffset, entry.lastSeq], [1n, 1, 1n, 1]);
    assert.equal(entry.currentTxnFirstOffset, null);
    assert.equal(recovered.firstUndecidedOffset(), null);
  });

  it('testRecoverFromSnapshotEmptyTransaction', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendEndTxnMarker(manager, producerId, epoch, ABORT, 0n, { timestamp: 777n });
    manager.takeSnapshot();
    const recovered = newManager(directory);
    recovered.truncateAndReload(0n, 1n, 0);
    assert.equal(recovered.lastEntry(producerId)?.lastTimestamp, 777n);
    assert.equal(recovered.lastEntry(producerId)?.currentTxnFirstOffset, null);
  });

  it('testCoordinatorFencedAfterReload', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 99n, { isTransactional: true });
    appendEndTxnMarker(manager, producerId, epoch, COMMIT, 100n, { coordinatorEpoch: 1 });
    manager.takeSnapshot();
    const recovered = newManager(directory);
    recovered.truncateAndReload(0n, 101n, 0);
    assert.equal(recovered.lastEntry(producerId)?.coordinatorEpoch, 1);
    assert.throws(() => appendEndTxnMarker(recovered, producerId, epoch, COMMIT, 101n, { coordinatorEpoch: 0 }), /zombie/);
  });

  it('testRemoveExpiredPidsOnReload', () => {
    const directory = newDirectory();
    const manager = newManager(directory, 60_000);
    appendClientEntry(manager, producerId, epoch, 0, 0n, { timestamp: 0n });
    appendClientEntry(manager, producerId, epoch, 1, 1n, { timestamp: 1n });
    manager.takeSnapshot();
    const recovered = newManager(directory, 60_000);
    recovered.truncateAndReload(0n, 1n, 70_000);
    assert.equal(recovered.activeProducers().size, 0);
    // Expired, hence unknown: the next batch is accepted whatever its sequence.
    appendClientEntry(recovered, producerId, epoch, 2, 2n, { timestamp: 70_001n });
    assert.equal(recovered.activeProducers().size, 1);
    assert.equal(recovered.lastEntry(producerId)?.lastSeq, 2);
    assert.equal(recovered.mapEndOffset, 3n);
  });

  it('testLoadFromSnapshotRetainsNonExpiredProducers', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, 1n, epoch, 0, 0n);
    appendClientEntry(manager, 2n, epoch, 0, 1n);
    manager.takeSnapshot();
    manager.truncateAndReload(1n, 2n, 0);
    assert.equal(manager.activeProducers().size, 2);
    assert.equal(manager.lastEntry(1n)?.lastDataOffset, 0n);
    assert.equal(manager.lastEntry(2n)?.lastDataOffset, 1n);
  });

  for (const [name, damage] of [
    ['testLoadFromEmptySnapshotFile', (path: string) => truncateSync(path, 0)],
    ['testLoadFromTruncatedSnapshotFile', (path: string) => truncateSync(path, Math.floor(readFileSync(path).length / 2))],
    [
      'testLoadFromCorruptSnapshotFile',
      (path: string) => {
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.alloc(37), 0, 37, 0);
        closeSync(fd);
      },
    ],
  ] as const) {
    it(name, () => {
      const directory = newDirectory();
      const manager = newManager(directory);
      appendClientEntry(manager, producerId, epoch, 0, 0n);
      manager.takeSnapshot();
      appendClientEntry(manager, producerId, epoch, 1, 1n);
      manager.takeSnapshot();
      assert.equal(manager.latestSnapshotOffset(), 2n);
      const damaged = join(directory, producerSnapshotFileName(2n));
      damage(damaged);
      const reloaded = newManager(directory);
      reloaded.truncateAndReload(0n, 20n, 0);
      assert.ok(!existsSync(damaged), 'the bad snapshot is deleted');
      // Loaded from the next older one.
      assert.equal(reloaded.lastEntry(producerId)?.lastDataOffset, 0n);
      assert.equal(reloaded.mapEndOffset, 1n);
    });
  }

  it('testTruncateAndReloadRemovesOutOfRangeSnapshots', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    for (let i = 0; i < 5; i++) {
      appendClientEntry(manager, producerId, epoch, i, BigInt(i));
      manager.takeSnapshot();
    }
    manager.truncateAndReload(1n, 3n, 0);
    assert.equal(manager.oldestSnapshotOffset(), 2n);
    assert.equal(manager.latestSnapshotOffset(), 3n);
    assert.deepEqual(snapshotOffsets(directory), [2n, 3n]);
  });

  it('testDeleteSnapshotsBefore', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    appendClientEntry(manager, producerId, epoch, 1, 1n);
    manager.takeSnapshot();
    appendClientEntry(manager, producerId, epoch, 2, 2n);
    manager.takeSnapshot();
    assert.deepEqual(snapshotOffsets(directory), [2n, 3n]);
    manager.deleteSnapshotsBefore(3n);
    assert.deepEqual(snapshotOffsets(directory), [3n]);
    manager.deleteSnapshotsBefore(4n);
    assert.deepEqual(snapshotOffsets(directory), []);
  });

  it('testTruncateFullyAndStartAt', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    appendClientEntry(manager, producerId, epoch, 1, 1n);
    manager.takeSnapshot();
    appendClientEntry(manager, producerId, epoch, 2, 2n);
    manager.takeSnapshot();
    assert.deepEqual(snapshotOffsets(directory), [2n, 3n]);
    manager.truncateFullyAndStartAt(0n);
    assert.deepEqual(snapshotOffsets(directory), []);
    assert.equal(manager.activeProducers().size, 0);
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    manager.takeSnapshot();
    assert.deepEqual(snapshotOffsets(directory), [1n]);
  });

  it('testFirstUnstableOffsetAfterTruncation', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    appendClientEntry(manager, producerId, epoch, 0, 99n, { isTransactional: true });
    assert.equal(manager.firstUnstableOffset(), 99n);
    manager.takeSnapshot();
    appendEndTxnMarker(manager, producerId, epoch, COMMIT, 105n);
    manager.onHighWatermarkUpdated(106n);
    assert.equal(manager.firstUnstableOffset(), null);
    manager.takeSnapshot();
    appendClientEntry(manager, producerId, epoch, 1, 106n);
    manager.truncateAndReload(0n, 106n, 0);
    assert.equal(manager.firstUnstableOffset(), null);
    manager.truncateAndReload(0n, 100n, 0);
    assert.equal(manager.firstUnstableOffset(), 99n);
  });

  it('testRemoveStraySnapshotsKeepCleanShutdownSnapshot', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    for (const offset of [5n, 2n, 42n]) writeFileSync(join(directory, producerSnapshotFileName(offset)), '');
    manager.removeStraySnapshots([5n]);
    assert.equal(manager.latestSnapshotOffset(), 42n);
    assert.equal(manager.oldestSnapshotOffset(), 5n);
    assert.deepEqual(snapshotOffsets(directory), [5n, 42n]);
  });

  it('testRemoveAllStraySnapshots', () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    for (const offset of [5n, 2n, 42n]) writeFileSync(join(directory, producerSnapshotFileName(offset)), '');
    manager.removeStraySnapshots([42n]);
    assert.deepEqual(snapshotOffsets(directory), [42n]);
  });

  it('testHasLateTransactionInitializedAfterReload', () => {
    const directory = newDirectory();
    const manager = new ProducerStateManager({ directory, config: { maxTransactionTimeoutMs: 1_000 } });
    appendClientEntry(manager, 39n, 2, 0, 100n, { isTransactional: true, timestamp: 10_000n });
    manager.takeSnapshot();
    const late = 10_000 + 1_000 + 5 * 60 * 1000 + 1;
    assert.equal(manager.hasLateTransaction(late), true);
    const reloaded = new ProducerStateManager({ directory, config: { maxTransactionTimeoutMs: 1_000 } });
    reloaded.truncateAndReload(0n, manager.mapEndOffset, late);
    assert.equal(reloaded.hasLateTransaction(late), true);
    assert.equal(reloaded.hasLateTransaction(late - 2), false);
  });
});

describe('compact entries and background snapshots', () => {
  it('encodes byte for byte as the generated ProducerSnapshot codec, int64s beyond 2^53 included', async () => {
    const { encodeProducerSnapshot } = await import('../../protocol/messages/generated/internal/producer-snapshot.ts');
    const { Writer } = await import('../../protocol/wire/writer.ts');
    const huge = (1n << 62n) + 3n;
    const entries = [
      new ProducerStateEntry(huge, 7, 8, -huge, huge + 1n, new BatchMetadata(0x7fffffff, huge - 1n, 2, -(1n << 60n) - 1n)),
      new ProducerStateEntry(3n, 1, -1, 1_700_000_000_000n, null, new BatchMetadata(4, 99n, 0, 1_700_000_000_000n)),
      new ProducerStateEntry(4n, 0, -1, -1n, null, null),
    ];
    const writer = new Writer(64);
    writer.int16(1);
    encodeProducerSnapshot(
      writer,
      {
        crc: 0,
        producerEntries: entries.map((entry) => ({
          producerId: entry.producerId,
          epoch: entry.producerEpoch,
          lastSequence: entry.lastSeq,
          lastOffset: entry.lastDataOffset,
          offsetDelta: entry.lastOffsetDelta,
          timestamp: entry.lastTimestamp,
          coordinatorEpoch: entry.coordinatorEpoch,
          currentTxnFirstOffset: entry.currentTxnFirstOffset ?? -1n,
        })),
      },
      1,
    );
    const generated = writer.finish();
    const direct = encodeProducerSnapshotFile(entries);
    assert.deepEqual(direct.subarray(6), generated.subarray(6));
    const [first] = decodeProducerSnapshotFile(direct);
    assert.equal(first.producerId, huge);
    assert.equal(first.lastDataOffset, huge - 1n);
    assert.equal(first.lastTimestamp, -huge);
    assert.equal(first.currentTxnFirstOffset, huge + 1n);
  });

  it('keeps the last 5 batches exactly, the oldest dropped first, and answers a retry of any of them', () => {
    const manager = newManager();
    for (let seq = 0; seq < 8; seq++) appendClientEntry(manager, producerId, epoch, seq, BigInt(100 + seq), { timestamp: BigInt(seq) });
    const entry = manager.lastEntry(producerId);
    assert.ok(entry);
    assert.deepEqual(entry.batchMetadata.map((batch) => batch.lastSeq), [3, 4, 5, 6, 7]);
    assert.equal(manager.findDuplicateBatch(producerId, epoch, 2, 2), null);
    assert.deepEqual(manager.findDuplicateBatch(producerId, epoch, 4, 4), new BatchMetadata(4, 104n, 0, 4n));
  });

  it('a roll snapshot written in the background is the state at the roll, whatever is appended meanwhile', async () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    const producers = 10_000; // more than one encoding slice
    for (let id = 0; id < producers; id++) appendClientEntry(manager, BigInt(id), epoch, 0, BigInt(id));
    assert.equal(manager.takeSnapshotInBackground(), true);
    // Before any slice ran: change producers early and late in the list, and add a new one.
    appendClientEntry(manager, 0n, epoch, 1, BigInt(producers));
    appendClientEntry(manager, BigInt(producers - 1), epoch, 1, BigInt(producers + 1));
    appendClientEntry(manager, BigInt(producers), epoch, 0, BigInt(producers + 2));
    assert.deepEqual(manager.snapshotOffsets(), [], 'not listed before the file is in place');
    await manager.drainBackgroundSnapshots();
    assert.deepEqual(manager.snapshotOffsets(), [BigInt(producers)]);
    assert.deepEqual(snapshotOffsets(directory), [BigInt(producers)]);
    const recovered = newManager(directory);
    recovered.truncateAndReload(0n, BigInt(producers), 0);
    assert.equal(recovered.producerIdCount, producers);
    assert.equal(recovered.lastEntry(0n)?.lastSeq, 0);
    assert.equal(recovered.lastEntry(BigInt(producers - 1))?.lastDataOffset, BigInt(producers - 1));
    assert.equal(recovered.lastEntry(BigInt(producers)), undefined);
  });

  it('a background snapshot cancelled by truncation never appears', async () => {
    const directory = newDirectory();
    const manager = newManager(directory);
    for (let id = 0; id < 10_000; id++) appendClientEntry(manager, BigInt(id), epoch, 0, BigInt(id));
    assert.equal(manager.takeSnapshotInBackground(), true);
    manager.truncateFullyAndStartAt(0n);
    await manager.drainBackgroundSnapshots();
    assert.deepEqual(readdirSync(directory), []);
  });
});
