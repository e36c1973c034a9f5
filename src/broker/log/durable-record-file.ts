// An append-only file of framed records made durable by a shared fsync, replayed on open and compacted by
// rewriting the live records: the storage under the group coordinator's offsets store and the transaction
// coordinator's log. Kafka keeps both in compacted internal topics (`__consumer_offsets`,
// `__transaction_state`); a single node keeps each in one file, and this is the part they have in common.
//
// Frame: `int32 length, uint32 crc32c(payload), payload`; what the payload holds is the owner's business.
// Appends are staged with a synchronous positional write, in call order, and settle when an fsync covers them
// (concurrent appends share fsyncs: the partition log's GroupCommit over a logical byte position that never
// goes back, also across compactions). A torn or corrupt tail (a crash mid-append) is cut at the last whole
// frame on open; nothing in it was acknowledged. Compaction rewrites the live frames atomically (temp file,
// fsync, rename, directory fsync: Kafka's `CheckpointFile` steps); it runs only between fsyncs, and since the
// live set includes everything staged, the rewrite makes every staged record durable.
import { join } from 'node:path';
import { crc32c } from '../../protocol/wire/crc32c.ts';
import type { BrokerLogger } from '../logger.ts';
import { readSmallFile, removeIfExists, writeFully } from './checkpoint-file.ts';
import { TEMP_FILE_SUFFIX } from './file-names.ts';
import { GroupCommit } from './group-commit.ts';
import type { LogFileSystem } from './log-file-system.ts';

export const FRAME_HEADER_BYTES = 8;
/** A frame larger than this is corruption, not data (coordinator records are small). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** When appends are acknowledged: the broker's `fsync` policy. */
export type RecordFileDurability = 'always' | 'interval' | 'never';

/** What the owner logs and throws, so each store keeps its own wording. */
export interface RecordFileMessages {
  readonly tornTail: string;
  readonly fsyncFailed: string;
  readonly finalFsyncFailed: string;
  readonly compactionFailed: string;
  readonly closed: string;
  /** Logged when the directory fsync after a compaction fails; unset: not logged (the failure still sticks). */
  readonly directoryFsyncFailed?: string;
}

export interface DurableRecordFileOptions<T> {
  dataDir: string;
  /** Subdirectory of `dataDir` holding the file. */
  directoryName: string;
  fileName: string;
  fs: LogFileSystem;
  logger: BrokerLogger;
  durability: RecordFileDurability;
  /** Compact when the file exceeds this many bytes and is more than twice its live content. */
  compactionMinBytes: number;
  /** Decodes a payload; a throw marks the frame (and everything after it) as a corrupt tail. */
  decode: (payload: Buffer) => T;
  messages: RecordFileMessages;
  /** How an error is rendered in log lines. */
  errorText: (error: unknown) => string;
}

export interface ReplayedRecord<T> {
  readonly record: T;
  /** The whole frame, copied: owners keep it as a live frame without pinning the file buffer. */
  readonly frame: Buffer;
}

/** Frames `payload` (header + payload in one buffer). */
export function encodeRecordFrame(payload: Buffer): Buffer {
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return sealRecordFrame(frame);
}

/** Fills in the header of a frame whose payload follows `FRAME_HEADER_BYTES` reserved bytes. */
export function sealRecordFrame(frame: Buffer): Buffer {
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  frame.writeInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32c(payload), 4);
  return frame;
}

export class DurableRecordFile<T> {
  private fd: number;
  private writePosition: number;
  /** Logical end of everything staged (never goes back, also across compactions), for GroupCommit. */
  private stagedEnd = 0n;
  private durableEnd = 0n;
  private readonly groupCommit: GroupCommit;
  private flushing = false;
  private compactionMinBytes: number;
  private failed: unknown = null;
  private closed = false;

  private constructor(
    /** The file's path. */
    readonly path: string,
    private readonly directory: string,
    private readonly options: DurableRecordFileOptions<T>,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this.writePosition = size;
    this.compactionMinBytes = options.compactionMinBytes;
    this.groupCommit = new GroupCommit(0n, {
      needsFlush: () => this.stagedEnd > this.durableEnd,
      flush: async () => {
        const end = this.stagedEnd;
        this.flushing = true;
        try {
          await this.options.fs.fsync(this.fd);
        } finally {
          this.flushing = false;
        }
        return end;
      },
      onDurable: (end) => {
        this.durableEnd = end;
      },
      onFailure: (error) => {
        this.failed = error;
        this.options.logger.error({ err: this.options.errorText(error) }, this.options.messages.fsyncFailed);
      },
    });
  }

  /** Opens (creating if needed) the file, cuts a torn tail, and returns it with its records in file order. */
  static open<T>(options: DurableRecordFileOptions<T>): { file: DurableRecordFile<T>; records: ReplayedRecord<T>[] } {
    const { fs } = options;
    const directory = join(options.dataDir, options.directoryName);
    fs.mkdir(directory);
    const path = join(directory, options.fileName);
    // A compaction that crashed before its rename leaves a temp file; the old file is still whole.
    removeIfExists(fs, path + TEMP_FILE_SUFFIX);
    const data = readSmallFile(fs, path) ?? Buffer.alloc(0);
    const { records, validBytes } = readFrames(data, options.decode);
    if (validBytes < data.length) {
      options.logger.warn({ path, validBytes, fileBytes: data.length }, options.messages.tornTail);
    }
    const created = fs.stat(path) === null;
    const fd = fs.open(path, created ? 'w+' : 'r+');
    if (created) {
      // The new file's directory entry (and the directory's) must survive a power cut before any append does.
      fs.fsyncDirectorySync(directory);
      fs.fsyncDirectorySync(options.dataDir);
    }
    if (validBytes < data.length) {
      fs.truncate(fd, validBytes);
      fs.fsyncSync(fd);
    }
    return { file: new DurableRecordFile(path, directory, options, fd, validBytes), records };
  }

  /** Why an append would be refused (closed, or a failed fsync), or null when it would not. */
  writeRefusal(): unknown {
    if (this.closed) return new Error(this.options.messages.closed);
    return this.failed;
  }

  /** Stages `bytes` (whole frames) with a synchronous write; returns their logical end. Throws when the write fails. */
  append(bytes: Buffer): bigint {
    const start = this.writePosition;
    try {
      writeFully(this.options.fs, this.fd, bytes, start);
    } catch (error) {
      // Cut a partial write off, or a later append would land behind garbage and be lost on replay.
      try {
        this.options.fs.truncate(this.fd, start);
      } catch (truncateError) {
        this.failed = truncateError;
      }
      throw error;
    }
    this.writePosition += bytes.length;
    this.stagedEnd += BigInt(bytes.length);
    return this.stagedEnd;
  }

  /** Settles when everything up to `end` is durable under the durability policy. */
  waitDurable(end: bigint): Promise<void> {
    if (this.options.durability === 'always') return this.groupCommit.wait(end);
    if (this.options.durability === 'interval') this.groupCommit.request();
    return Promise.resolve();
  }

  /** Settles when everything staged so far is durable (a read that must not return unflushed data). */
  flushed(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    if (this.options.durability !== 'always') return Promise.resolve();
    return this.groupCommit.wait(this.stagedEnd);
  }

  get fileBytes(): number {
    return this.writePosition;
  }

  /**
   * Rewrites the file as `liveFrames` once it is mostly superseded (more than twice `liveBytes`, their total
   * size); true when it did. Runs only between fsyncs (the fd is swapped).
   */
  compact(liveBytes: number, liveFrames: () => Buffer[]): boolean {
    if (this.flushing || this.closed || this.failed !== null) return false;
    if (this.writePosition < this.compactionMinBytes || this.writePosition <= 2 * liveBytes) return false;
    const snapshot = Buffer.concat(liveFrames());
    const { fs } = this.options;
    const temp = this.path + TEMP_FILE_SUFFIX;
    try {
      const tempFd = fs.open(temp, 'w+');
      try {
        writeFully(fs, tempFd, snapshot, 0);
        fs.fsyncSync(tempFd);
      } finally {
        fs.close(tempFd);
      }
      fs.rename(temp, this.path);
    } catch (error) {
      // The old file is intact; try again once the file has grown as much again.
      try {
        removeIfExists(fs, temp);
      } catch {
        // Left for the next open to remove.
      }
      this.compactionMinBytes = this.writePosition * 2;
      this.options.logger.warn({ err: this.options.errorText(error) }, this.options.messages.compactionFailed);
      return false;
    }
    // From the rename on, the new file is the log.
    const oldFd = this.fd;
    this.fd = fs.open(this.path, 'r+');
    this.writePosition = snapshot.length;
    fs.close(oldFd);
    try {
      fs.fsyncDirectorySync(this.directory);
    } catch (error) {
      // Unless the rename is durable, a crash brings the old file back without what is appended from now on.
      this.failed = error;
      this.groupCommit.rejectAll(error);
      const message = this.options.messages.directoryFsyncFailed;
      if (message !== undefined) this.options.logger.error({ err: this.options.errorText(error) }, message);
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failed === null) await this.groupCommit.drain();
    } catch (error) {
      this.options.logger.error({ err: this.options.errorText(error) }, this.options.messages.finalFsyncFailed);
    } finally {
      this.closed = true;
      this.groupCommit.rejectAll(new Error(this.options.messages.closed));
      this.options.fs.close(this.fd);
    }
  }
}

/** The whole, decodable frames of `data` and where the last one ends; a short or corrupt frame ends the file. */
function readFrames<T>(data: Buffer, decode: (payload: Buffer) => T): { records: ReplayedRecord<T>[]; validBytes: number } {
  const records: ReplayedRecord<T>[] = [];
  let position = 0;
  while (position + FRAME_HEADER_BYTES <= data.length) {
    const length = data.readInt32BE(position);
    if (length <= 0 || length > MAX_FRAME_BYTES || position + FRAME_HEADER_BYTES + length > data.length) break;
    const payload = data.subarray(position + FRAME_HEADER_BYTES, position + FRAME_HEADER_BYTES + length);
    if (crc32c(payload) !== data.readUInt32BE(position + 4)) break;
    let record: T;
    try {
      record = decode(payload);
    } catch {
      break;
    }
    records.push({ record, frame: Buffer.from(data.subarray(position, position + FRAME_HEADER_BYTES + length)) });
    position += FRAME_HEADER_BYTES + length;
  }
  return { records, validBytes: position };
}
