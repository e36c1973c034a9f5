// A producer-state snapshot written without holding the event loop (Kafka writes its snapshot at a segment roll
// on the request thread; with 100,000 producers that is tens of milliseconds in which this broker would serve
// nothing). The snapshot must still be the state exactly as of the roll offset, while appends keep changing it:
//   - at the roll, the job takes the list of entries (references only);
//   - it encodes them in slices, yielding to the event loop between slices;
//   - before an entry is changed in place, the manager hands it to `beforeChange`, which encodes it as it is
//     (copy on write) for the slice that reaches it, so later changes never reach the file; producers added after the roll
//     are not in the list, producers removed after it (expired, evicted) still are, as they were at the roll;
//   - the CRC is computed, the temp file written and fsynced off the loop, and only then, back on the loop and
//     only if the job was not cancelled meanwhile (truncation, segment deletion, close), renamed into place.
// A crash at any point leaves either no file (recovery replays from an older snapshot) or a complete one.
import { dirname } from 'node:path';
import { TEMP_FILE_SUFFIX } from '../log/file-names.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import { crc32c } from '../../protocol/wire/crc32c.ts';
import {
  PRODUCER_SNAPSHOT_CRC_OFFSET,
  PRODUCER_SNAPSHOT_ENTRIES_OFFSET,
  PRODUCER_SNAPSHOT_ENTRY_SIZE,
  encodeProducerSnapshotEntry,
  encodeProducerSnapshotHeader,
} from './producer-snapshot-file.ts';
import type { ProducerStateEntry } from './producer-state-entry.ts';

/** Entries encoded per turn of the event loop: about a millisecond of work. */
const ENTRIES_PER_SLICE = 2_048;
const WRITE_SLICE_BYTES = 256 * 1024;

export class BackgroundSnapshot {
  private readonly bytes: Buffer;
  private readonly view: DataView;
  /** Entries [0, encoded) are in `bytes`. */
  private encoded = 0;
  /** Entries changed since the roll, encoded as they were at the roll (their "pre-images"). */
  private readonly preImages = new Map<ProducerStateEntry, Buffer>();
  private cancelled = false;
  /** Settles once the file is in place, or the job was cancelled or failed (never rejects). */
  readonly done: Promise<boolean>;

  constructor(
    private readonly fs: LogFileSystem,
    readonly offset: bigint,
    private readonly path: string,
    private readonly entries: readonly ProducerStateEntry[],
    private readonly onWritten: (job: BackgroundSnapshot) => void,
    private readonly onFailed: (job: BackgroundSnapshot, error: unknown) => void,
  ) {
    this.bytes = Buffer.allocUnsafe(PRODUCER_SNAPSHOT_ENTRIES_OFFSET + 4 + entries.length * PRODUCER_SNAPSHOT_ENTRY_SIZE);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    encodeProducerSnapshotHeader(this.view, entries.length);
    this.done = this.run();
  }

  /**
   * Called by the manager before it changes `entry` in place while the job runs: keeps the entry as it was at the
   * roll (once; an entry already encoded or added after the roll gets a needless but harmless copy).
   */
  beforeChange(entry: ProducerStateEntry): void {
    if (this.cancelled || this.encoded === this.entries.length || this.preImages.has(entry)) return;
    const image = Buffer.allocUnsafe(PRODUCER_SNAPSHOT_ENTRY_SIZE);
    encodeProducerSnapshotEntry(new DataView(image.buffer, image.byteOffset, image.byteLength), entry, 0);
    this.preImages.set(entry, image);
  }

  /** The file will not be renamed into place (it no longer matches the log); the temp file is removed. */
  cancel(): void {
    this.cancelled = true;
  }

  private entryOffset(index: number): number {
    return PRODUCER_SNAPSHOT_ENTRIES_OFFSET + 4 + index * PRODUCER_SNAPSHOT_ENTRY_SIZE;
  }

  private async run(): Promise<boolean> {
    try {
      while (this.encoded < this.entries.length) {
        await yieldToEventLoop();
        if (this.cancelled) return false;
        const end = Math.min(this.entries.length, this.encoded + ENTRIES_PER_SLICE);
        for (let i = this.encoded; i < end; i++) {
          const entry = this.entries[i];
          const image = this.preImages.size === 0 ? undefined : this.preImages.get(entry);
          if (image === undefined) encodeProducerSnapshotEntry(this.view, entry, this.entryOffset(i));
          else image.copy(this.bytes, this.entryOffset(i));
        }
        this.encoded = end;
      }
      this.preImages.clear();
      this.bytes.writeUInt32BE(crc32c(this.bytes.subarray(PRODUCER_SNAPSHOT_ENTRIES_OFFSET)), PRODUCER_SNAPSHOT_CRC_OFFSET);
      if (this.cancelled) return false;
      const temp = this.path + TEMP_FILE_SUFFIX;
      const fd = this.fs.open(temp, 'w+');
      try {
        // In slices too: copying megabytes into the page cache is milliseconds of blocking.
        let written = 0;
        while (written < this.bytes.length) {
          written += this.fs.write(fd, this.bytes, written, Math.min(WRITE_SLICE_BYTES, this.bytes.length - written), written);
          if (written < this.bytes.length) await yieldToEventLoop();
        }
        await this.fs.fsync(fd);
      } finally {
        this.fs.close(fd);
      }
      if (this.cancelled) {
        this.fs.unlink(temp);
        return false;
      }
      this.fs.rename(temp, this.path);
      this.onWritten(this);
      await this.fs.fsyncDirectory(dirname(this.path));
      return true;
    } catch (error) {
      // A cancelled job may find its directory gone (topic deleted): nothing to report.
      if (!this.cancelled) this.onFailed(this, error);
      return false;
    }
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
