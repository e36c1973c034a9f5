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
// The file mechanics are the offsets store's too: `DurableRecordFile`.
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../../protocol/messages/generated/internal/transaction-log-key.ts';
import { decodeTransactionLogValue, encodeTransactionLogValue, type TransactionLogValue } from '../../protocol/messages/generated/internal/transaction-log-value.ts';
import { DurableRecordFile, encodeRecordFrame } from '../log/durable-record-file.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import type { BrokerLogger } from '../logger.ts';

export const TRANSACTION_LOG_DIRECTORY = '__transaction_state';
export const TRANSACTION_LOG_FILE = 'transactions.log';
const KEY_VERSION = 0;
/** Flexible values (`transaction.version` 1): the tagged previous/next producer ids survive a restart. */
const VALUE_VERSION = 1;

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
  /** The latest frame of each live transactional id: what a compacted file holds. */
  private readonly live = new Map<string, Buffer>();
  private liveBytes = 0;

  private constructor(private readonly file: DurableRecordFile<TransactionLogRecord>) {}

  /** Opens (creating if needed) the log; returns it with the latest value of every live transactional id. */
  static open(options: TransactionLogOptions): { log: TransactionLog; transactions: Map<string, TransactionLogValue> } {
    const { file, records } = DurableRecordFile.open({
      dataDir: options.dataDir,
      directoryName: TRANSACTION_LOG_DIRECTORY,
      fileName: TRANSACTION_LOG_FILE,
      fs: options.fs,
      logger: options.logger,
      durability: options.durability,
      compactionMinBytes: options.compactionMinBytes ?? 1024 * 1024,
      decode: decodeRecord,
      messages: {
        tornTail: 'transaction log has a torn or corrupt tail; truncating it',
        fsyncFailed: 'fsync of the transaction log failed; transactional requests are refused from now on',
        finalFsyncFailed: 'final fsync of the transaction log failed',
        compactionFailed: 'compacting the transaction log failed',
        closed: 'the transaction log is closed',
      },
      errorText: String,
    });
    const log = new TransactionLog(file);
    const transactions = new Map<string, TransactionLogValue>();
    for (const { record, frame } of records) {
      log.track(record.transactionalId, record.value === null ? null : frame);
      if (record.value === null) transactions.delete(record.transactionalId);
      else transactions.set(record.transactionalId, record.value);
    }
    log.maybeCompact();
    return { log, transactions };
  }

  /** Stages one record synchronously; the promise settles when it is durable (under the broker's fsync policy). */
  append(record: TransactionLogRecord): Promise<void> {
    const refusal = this.file.writeRefusal();
    if (refusal !== null) return Promise.reject(refusal);
    const frame = encodeFrame(record);
    let end: bigint;
    try {
      end = this.file.append(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    this.track(record.transactionalId, record.value === null ? null : frame);
    this.maybeCompact();
    return this.file.waitDurable(end);
  }

  /** Where the log lives. */
  get path(): string {
    return this.file.path;
  }

  close(): Promise<void> {
    return this.file.close();
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
    this.file.compact(this.liveBytes, () => [...this.live.values()]);
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
  return encodeRecordFrame(new Writer(256).bytes(key.finish()).bytes(value).finish());
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
