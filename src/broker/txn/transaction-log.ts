// The coordinator's durable transaction log, in `<dataDir>/__transaction_state/transactions.log`.
//
// Kafka keeps this in the compacted `__transaction_state` topic. Like the group coordinator's offsets store, a
// single node keeps it in its own file instead of a partition log (no topic to hide from Metadata, no
// compaction in the partition log), but each record is exactly Kafka's: the key is `int16 version (0)` +
// `TransactionLogKey`, the value `int16 version` + `TransactionLogValue` (version 1, flexible, as brokers with
// `transaction.version` >= 1 write it), and an expired transactional id is a tombstone (no value).
//
// Frame: `int32 length, uint32 crc32c(payload), payload`, payload = `int32 keyLength, key, int32 valueLength
// (-1 = tombstone), value`. Appends are staged synchronously and settle when an fsync covers them (shared by
// concurrent appends); a torn tail is cut at the last whole frame on open — nothing in it was acknowledged.
// When the file is mostly superseded it is rewritten with the latest value of each live id (temp, fsync, rename).
import { join } from 'node:path';
import { crc32c } from '../../protocol/wire/crc32c.ts';
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../../protocol/messages/generated/internal/transaction-log-key.ts';
import { decodeTransactionLogValue, encodeTransactionLogValue, type TransactionLogValue } from '../../protocol/messages/generated/internal/transaction-log-value.ts';
import { readSmallFile, removeIfExists, writeFully } from '../log/checkpoint-file.ts';
import { TEMP_FILE_SUFFIX } from '../log/file-names.ts';
import { GroupCommit } from '../log/group-commit.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import type { BrokerLogger } from '../logger.ts';

export const TRANSACTION_LOG_DIRECTORY = '__transaction_state';
export const TRANSACTION_LOG_FILE = 'transactions.log';
const KEY_VERSION = 0;
/** Flexible values (`transaction.version` 1): the tagged previous/next producer ids survive a restart. */
const VALUE_VERSION = 1;
const FRAME_HEADER_BYTES = 8;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface TransactionLogRecord {
  readonly transactionalId: string;
  /** null: a tombstone (the transactional id expired). */
  readonly value: TransactionLogValue | null;
}

export interface TransactionLogOptions {
  dataDir: string;
  fs: LogFileSystem;
  logger: BrokerLogger;
  /** The broker's `fsync` policy: `always` settles appends after an fsync. */
  durability: 'always' | 'interval' | 'never';
  compactionMinBytes?: number;
}

export class TransactionLog {
  private fd: number;
  private writePosition: number;
  private stagedEnd = 0n;
  private durableEnd = 0n;
  private readonly groupCommit: GroupCommit;
  private flushing = false;
  /** The latest frame of each live transactional id: what a compacted file holds. */
  private readonly live = new Map<string, Buffer>();
  private liveBytes = 0;
  private compactionMinBytes: number;
  private failed: unknown = null;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly directory: string,
    private readonly options: TransactionLogOptions,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this.writePosition = size;
    this.compactionMinBytes = options.compactionMinBytes ?? 1024 * 1024;
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
        this.options.logger.error({ err: String(error) }, 'fsync of the transaction log failed; transactional requests are refused from now on');
      },
    });
  }

  /** Opens (creating if needed) the log; returns it with the latest value of every live transactional id. */
  static open(options: TransactionLogOptions): { log: TransactionLog; transactions: Map<string, TransactionLogValue> } {
    const { fs } = options;
    const directory = join(options.dataDir, TRANSACTION_LOG_DIRECTORY);
    fs.mkdir(directory);
    const path = join(directory, TRANSACTION_LOG_FILE);
    removeIfExists(fs, path + TEMP_FILE_SUFFIX);
    const data = readSmallFile(fs, path) ?? Buffer.alloc(0);
    const { frames, validBytes } = readFrames(data);
    if (validBytes < data.length) {
      options.logger.warn({ path, validBytes, fileBytes: data.length }, 'transaction log has a torn or corrupt tail; truncating it');
    }
    const created = fs.stat(path) === null;
    const fd = fs.open(path, created ? 'w+' : 'r+');
    if (created) {
      fs.fsyncDirectorySync(directory);
      fs.fsyncDirectorySync(options.dataDir);
    }
    if (validBytes < data.length) {
      fs.truncate(fd, validBytes);
      fs.fsyncSync(fd);
    }
    const log = new TransactionLog(path, directory, options, fd, validBytes);
    const transactions = new Map<string, TransactionLogValue>();
    for (const frame of frames) {
      const record = decodeRecord(frame.payload);
      log.track(record.transactionalId, record.value === null ? null : frame.bytes);
      if (record.value === null) transactions.delete(record.transactionalId);
      else transactions.set(record.transactionalId, record.value);
    }
    log.maybeCompact();
    return { log, transactions };
  }

  /** Stages one record synchronously; the promise settles when it is durable (under the broker's fsync policy). */
  append(record: TransactionLogRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the transaction log is closed'));
    if (this.failed !== null) return Promise.reject(this.failed);
    const frame = encodeFrame(record);
    const start = this.writePosition;
    try {
      writeFully(this.options.fs, this.fd, frame, start);
    } catch (error) {
      try {
        this.options.fs.truncate(this.fd, start);
      } catch (truncateError) {
        this.failed = truncateError;
      }
      return Promise.reject(error);
    }
    this.writePosition += frame.length;
    this.stagedEnd += BigInt(frame.length);
    this.track(record.transactionalId, record.value === null ? null : frame);
    const end = this.stagedEnd;
    this.maybeCompact();
    if (this.options.durability === 'always') return this.groupCommit.wait(end);
    if (this.options.durability === 'interval') this.groupCommit.request();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failed === null) await this.groupCommit.drain();
    } catch (error) {
      this.options.logger.error({ err: String(error) }, 'final fsync of the transaction log failed');
    } finally {
      this.closed = true;
      this.groupCommit.rejectAll(new Error('the transaction log is closed'));
      this.options.fs.close(this.fd);
    }
  }

  private track(transactionalId: string, frame: Buffer | null): void {
    const old = this.live.get(transactionalId);
    if (old !== undefined) this.liveBytes -= old.length;
    if (frame === null) {
      this.live.delete(transactionalId);
      return;
    }
    this.live.set(transactionalId, frame);
    this.liveBytes += frame.length;
  }

  private maybeCompact(): void {
    if (this.flushing || this.closed || this.failed !== null) return;
    if (this.writePosition < this.compactionMinBytes || this.writePosition <= 2 * this.liveBytes) return;
    const snapshot = Buffer.concat([...this.live.values()]);
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
      try {
        removeIfExists(fs, temp);
      } catch {
        // Removed by the next open.
      }
      this.compactionMinBytes = this.writePosition * 2;
      this.options.logger.warn({ err: String(error) }, 'compacting the transaction log failed');
      return;
    }
    const oldFd = this.fd;
    this.fd = fs.open(this.path, 'r+');
    this.writePosition = snapshot.length;
    fs.close(oldFd);
    try {
      fs.fsyncDirectorySync(this.directory);
    } catch (error) {
      this.failed = error;
      this.groupCommit.rejectAll(error);
    }
  }
}

export function encodeFrame(record: TransactionLogRecord): Buffer {
  const key = new Writer(64).int16(KEY_VERSION);
  encodeTransactionLogKey(key, { transactionalId: record.transactionalId }, KEY_VERSION);
  let value: Buffer | null = null;
  if (record.value !== null) {
    const writer = new Writer(128).int16(VALUE_VERSION);
    encodeTransactionLogValue(writer, record.value, VALUE_VERSION);
    value = writer.finish();
  }
  const payload = new Writer(256).bytes(key.finish()).bytes(value).finish();
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
  frame.writeInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32c(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function decodeRecord(payload: Buffer): TransactionLogRecord {
  const reader = new Reader(payload);
  const keyBytes = reader.bytes();
  if (keyBytes === null) throw new Error('transaction log record without a key');
  const keyReader = new Reader(keyBytes);
  const keyVersion = keyReader.int16();
  const { transactionalId } = decodeTransactionLogKey(keyReader, keyVersion);
  const valueBytes = reader.bytes();
  if (valueBytes === null) return { transactionalId, value: null };
  const valueReader = new Reader(valueBytes);
  const valueVersion = valueReader.int16();
  return { transactionalId, value: decodeTransactionLogValue(valueReader, valueVersion) };
}

function readFrames(data: Buffer): { frames: { payload: Buffer; bytes: Buffer }[]; validBytes: number } {
  const frames: { payload: Buffer; bytes: Buffer }[] = [];
  let position = 0;
  while (position + FRAME_HEADER_BYTES <= data.length) {
    const length = data.readInt32BE(position);
    if (length <= 0 || length > MAX_FRAME_BYTES || position + FRAME_HEADER_BYTES + length > data.length) break;
    const payload = data.subarray(position + FRAME_HEADER_BYTES, position + FRAME_HEADER_BYTES + length);
    if (crc32c(payload) !== data.readUInt32BE(position + 4)) break;
    try {
      decodeRecord(payload);
    } catch {
      break;
    }
    frames.push({ payload, bytes: Buffer.from(data.subarray(position, position + FRAME_HEADER_BYTES + length)) });
    position += FRAME_HEADER_BYTES + length;
  }
  return { frames, validBytes: position };
}
