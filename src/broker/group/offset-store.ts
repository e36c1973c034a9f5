// Durable storage for the group coordinator: committed offsets and a little group metadata, in
// `<dataDir>/__consumer_offsets/offsets.log`.
//
// Why not a `PartitionLog` topic like Kafka's `__consumer_offsets`: that would show up as a topic in Metadata
// and ListOffsets, tie the coordinator to the record-batch format and the partition log's retention and
// compaction (which this broker does not have), and buy nothing a single node needs. What we keep from Kafka is
// the shape: an append-only log of key/value records (offset commit, offset tombstone, group metadata, group
// tombstone), replayed on start, compacted by rewriting the latest value of each key.
//
// Format: frames of `int32 length, uint32 crc32c(payload), payload`; payload = `int8 version (0), int8 type,
// fields` in Kafka's wire primitives (compact strings, so no length limit on group ids). A torn or corrupt
// tail (a crash mid-append) is cut off at the last whole frame on open; nothing in it was acknowledged,
// because a commit is answered only after its fsync.
//
// Writes: `append` stages the frames with a synchronous positional write, in call order, and returns a promise
// that settles when an fsync covers them. Concurrent appends share fsyncs (the partition log's GroupCommit over
// a logical byte position). Compaction rewrites the live records into a new file atomically (temp file, fsync,
// rename, directory fsync); it runs only between fsyncs, and since the live set includes everything staged, the
// rewrite makes every staged record durable.
import { join } from 'node:path';
import { crc32c } from '../../protocol/wire/crc32c.ts';
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { readSmallFile, removeIfExists, writeFully } from '../log/checkpoint-file.ts';
import { TEMP_FILE_SUFFIX } from '../log/file-names.ts';
import { GroupCommit } from '../log/group-commit.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import type { BrokerLogger } from '../logger.ts';

export const OFFSETS_DIRECTORY = '__consumer_offsets';
export const OFFSETS_FILE = 'offsets.log';

/** A committed offset (Kafka's `OffsetAndMetadata`). */
export interface OffsetAndMetadata {
  readonly committedOffset: bigint;
  /** -1 when the client did not send one. */
  readonly leaderEpoch: number;
  /** "" when the client sent null (`OffsetAndMetadata.NO_METADATA`). */
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /** Explicit expiry from OffsetCommit v2-4 `RetentionTimeMs`; null means the broker's retention applies. */
  readonly expireTimestampMs: number | null;
}

/** What survives a restart of a group besides its offsets (membership does not: members rejoin). */
export interface StoredGroupMetadata {
  readonly protocolType: string | null;
  readonly generationId: number;
  readonly currentStateTimestampMs: number | null;
}

export type OffsetStoreRecord =
  | { readonly type: 'offset-commit'; readonly groupId: string; readonly topic: string; readonly partition: number; readonly offset: OffsetAndMetadata }
  | { readonly type: 'offset-tombstone'; readonly groupId: string; readonly topic: string; readonly partition: number }
  | { readonly type: 'group-metadata'; readonly groupId: string; readonly metadata: StoredGroupMetadata }
  | { readonly type: 'group-tombstone'; readonly groupId: string }
  /** A TxnOffsetCommit (KIP-98/447): pending, invisible to OffsetFetch, until the producer's transaction ends. */
  | { readonly type: 'txn-offset-commit'; readonly groupId: string; readonly producerId: bigint; readonly topic: string; readonly partition: number; readonly offset: OffsetAndMetadata }
  /** The COMMIT/ABORT marker of a producer's transaction reaching the group: pending offsets become committed or are dropped. */
  | { readonly type: 'txn-end'; readonly groupId: string; readonly producerId: bigint; readonly commit: boolean };

/** Record type codes on disk. */
const RecordType = { offsetCommit: 1, offsetTombstone: 2, groupMetadata: 3, groupTombstone: 4, txnOffsetCommit: 5, txnEnd: 6 } as const;
const FORMAT_VERSION = 0;
const FRAME_HEADER_BYTES = 8;
/** A frame larger than this is corruption, not data (group ids, topics and metadata are small). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const GROUP_METADATA_KEY = '';

/** When offsets are acknowledged: the broker's `fsync` policy. */
export type OffsetStoreDurability = 'always' | 'interval' | 'never';

export interface OffsetStoreOptions {
  /** The broker's data directory; the store lives in `__consumer_offsets/` under it. */
  dataDir: string;
  fs: LogFileSystem;
  logger: BrokerLogger;
  /** `always` (default): `append` settles after an fsync. Otherwise it settles at once. */
  durability?: OffsetStoreDurability;
  /** Compact when the file exceeds this many bytes and is more than twice its live content. */
  compactionMinBytes?: number;
}

export interface LoadedGroup {
  metadata: StoredGroupMetadata | null;
  offsets: Map<string, Map<number, OffsetAndMetadata>>;
  /** Transactional offsets whose transaction had not ended: producer id -> entries. */
  pendingTransactionalOffsets: Map<bigint, PendingTransactionalOffset[]>;
}

export interface PendingTransactionalOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: OffsetAndMetadata;
}

export class OffsetStore {
  private fd: number;
  private writePosition: number;
  /** Logical end of everything staged (never goes back, also across compactions), for GroupCommit. */
  private stagedEnd = 0n;
  private durableEnd = 0n;
  private readonly groupCommit: GroupCommit;
  private flushing = false;
  /** The latest frame of each key, by group: exactly what a compacted file holds. */
  private readonly live = new Map<string, Map<string, Buffer>>();
  private liveBytes = 0;
  private compactionMinBytes: number;
  private failed: unknown = null;
  private closed = false;
  /** Compactions done, for tests and metrics. */
  compactions = 0;

  private constructor(
    private readonly path: string,
    private readonly directory: string,
    private readonly options: Required<OffsetStoreOptions>,
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
        this.options.logger.error({ err: errorText(error) }, 'fsync of the offsets log failed; offset commits are refused from now on');
      },
    });
  }

  /** Opens (creating if needed) the store and replays it: the groups with their metadata and offsets. */
  static open(options: OffsetStoreOptions): { store: OffsetStore; groups: Map<string, LoadedGroup> } {
    const resolved: Required<OffsetStoreOptions> = {
      durability: 'always',
      compactionMinBytes: 1024 * 1024,
      ...options,
    };
    const { fs } = resolved;
    const directory = join(options.dataDir, OFFSETS_DIRECTORY);
    fs.mkdir(directory);
    const path = join(directory, OFFSETS_FILE);
    // A compaction that crashed before its rename leaves a temp file; the old file is still whole.
    removeIfExists(fs, path + TEMP_FILE_SUFFIX);
    const data = readSmallFile(fs, path) ?? Buffer.alloc(0);
    const { frames, validBytes } = readFrames(data);
    if (validBytes < data.length) {
      resolved.logger.warn({ path, validBytes, fileBytes: data.length }, 'offsets log has a torn or corrupt tail; truncating it');
    }
    const created = fs.stat(path) === null;
    const fd = fs.open(path, created ? 'w+' : 'r+');
    if (created) {
      // The new file's directory entry (and the directory's) must survive a power cut before any commit does.
      fs.fsyncDirectorySync(directory);
      fs.fsyncDirectorySync(options.dataDir);
    }
    if (validBytes < data.length) {
      fs.truncate(fd, validBytes);
      fs.fsyncSync(fd);
    }
    const store = new OffsetStore(path, directory, resolved, fd, validBytes);
    const groups = new Map<string, LoadedGroup>();
    for (const frame of frames) {
      const record = decodeRecord(frame.payload);
      store.track(record, frame.bytes);
      applyRecord(groups, record);
    }
    store.maybeCompact();
    return { store, groups };
  }

  /**
   * Stages `records` (synchronously, in call order) and returns a promise settling when they are durable under
   * the store's policy. Throws at once when the write fails; then nothing was staged.
   */
  append(records: readonly OffsetStoreRecord[]): Promise<void> {
    if (this.closed) throw new Error('the offsets log is closed');
    if (this.failed !== null) throw this.failed;
    if (records.length === 0) return Promise.resolve();
    const frames = records.map((record) => encodeFrame(record));
    const bytes = Buffer.concat(frames);
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
    records.forEach((record, i) => this.track(record, frames[i]));
    const end = this.stagedEnd;
    this.maybeCompact();
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

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failed === null) await this.groupCommit.drain();
    } catch (error) {
      this.options.logger.error({ err: errorText(error) }, 'final fsync of the offsets log failed');
    } finally {
      this.closed = true;
      this.groupCommit.rejectAll(new Error('the offsets log is closed'));
      this.options.fs.close(this.fd);
    }
  }

  private track(record: OffsetStoreRecord, frame: Buffer): void {
    if (record.type === 'group-tombstone') {
      const entries = this.live.get(record.groupId);
      if (entries !== undefined) for (const old of entries.values()) this.liveBytes -= old.length;
      this.live.delete(record.groupId);
      return;
    }
    let entries = this.live.get(record.groupId);
    if (record.type === 'txn-end') {
      // The pending frames of this producer leave the live set; on commit each becomes a plain offset commit.
      const prefix = pendingKeyPrefix(record.producerId);
      for (const [key, frame] of [...(entries ?? [])]) {
        if (!key.startsWith(prefix)) continue;
        entries?.delete(key);
        this.liveBytes -= frame.length;
        if (record.commit) {
          const pending = decodeRecord(frame.subarray(FRAME_HEADER_BYTES));
          if (pending.type === 'txn-offset-commit') {
            this.track({ type: 'offset-commit', groupId: pending.groupId, topic: pending.topic, partition: pending.partition, offset: pending.offset }, encodeFrame({ type: 'offset-commit', groupId: pending.groupId, topic: pending.topic, partition: pending.partition, offset: pending.offset }));
            entries = this.live.get(record.groupId);
          }
        }
      }
      if (entries !== undefined && entries.size === 0) this.live.delete(record.groupId);
      return;
    }
    const key =
      record.type === 'group-metadata'
        ? GROUP_METADATA_KEY
        : record.type === 'txn-offset-commit'
          ? `${pendingKeyPrefix(record.producerId)}${record.topic}\u0000${record.partition}`
          : `${record.topic}\u0000${record.partition}`;
    const old = entries?.get(key);
    if (old !== undefined) this.liveBytes -= old.length;
    if (record.type === 'offset-tombstone') {
      entries?.delete(key);
      if (entries !== undefined && entries.size === 0) this.live.delete(record.groupId);
      return;
    }
    if (entries === undefined) {
      entries = new Map();
      this.live.set(record.groupId, entries);
    }
    entries.set(key, frame);
    this.liveBytes += frame.length;
  }

  /**
   * Rewrites the live records into a new file once the log is mostly superseded: temp file, fsync, rename over
   * the log, directory fsync (Kafka's `CheckpointFile` steps). Runs only between fsyncs (the fd is swapped).
   */
  private maybeCompact(): void {
    if (this.flushing || this.closed || this.failed !== null) return;
    if (this.writePosition < this.compactionMinBytes || this.writePosition <= 2 * this.liveBytes) return;
    const chunks: Buffer[] = [];
    for (const entries of this.live.values()) for (const frame of entries.values()) chunks.push(frame);
    const snapshot = Buffer.concat(chunks);
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
      this.options.logger.warn({ err: errorText(error) }, 'compacting the offsets log failed');
      return;
    }
    // From the rename on, the new file is the log.
    const oldFd = this.fd;
    this.fd = fs.open(this.path, 'r+');
    this.writePosition = snapshot.length;
    this.compactions++;
    fs.close(oldFd);
    try {
      fs.fsyncDirectorySync(this.directory);
    } catch (error) {
      // Unless the rename is durable, a crash brings the old file back without what is appended from now on.
      this.failed = error;
      this.groupCommit.rejectAll(error);
      this.options.logger.error({ err: errorText(error) }, 'fsync of the offsets directory failed; offset commits are refused from now on');
    }
  }
}

interface Frame {
  payload: Buffer;
  bytes: Buffer;
}

/** The whole frames of `data` and where the last one ends; a short or corrupt frame ends the log. */
function readFrames(data: Buffer): { frames: Frame[]; validBytes: number } {
  const frames: Frame[] = [];
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
    // Copy: `live` keeps frames for compaction, and they must not pin the whole file buffer.
    frames.push({ payload, bytes: Buffer.from(data.subarray(position, position + FRAME_HEADER_BYTES + length)) });
    position += FRAME_HEADER_BYTES + length;
  }
  return { frames, validBytes: position };
}

export function encodeFrame(record: OffsetStoreRecord): Buffer {
  const writer = new Writer(64);
  writer.int32(0).uint32(0);
  writer.int8(FORMAT_VERSION);
  switch (record.type) {
    case 'offset-commit': {
      const { offset } = record;
      writer.int8(RecordType.offsetCommit).compactString(record.groupId).compactString(record.topic).int32(record.partition);
      writer.int64(offset.committedOffset).int32(offset.leaderEpoch).compactString(offset.metadata);
      writer.int64(BigInt(offset.commitTimestampMs)).int64(BigInt(offset.expireTimestampMs ?? -1));
      break;
    }
    case 'offset-tombstone':
      writer.int8(RecordType.offsetTombstone).compactString(record.groupId).compactString(record.topic).int32(record.partition);
      break;
    case 'group-metadata': {
      const { metadata } = record;
      writer.int8(RecordType.groupMetadata).compactString(record.groupId).compactString(metadata.protocolType).int32(metadata.generationId);
      writer.int64(BigInt(metadata.currentStateTimestampMs ?? -1));
      break;
    }
    case 'group-tombstone':
      writer.int8(RecordType.groupTombstone).compactString(record.groupId);
      break;
    case 'txn-offset-commit': {
      const { offset } = record;
      writer.int8(RecordType.txnOffsetCommit).compactString(record.groupId).int64(record.producerId).compactString(record.topic).int32(record.partition);
      writer.int64(offset.committedOffset).int32(offset.leaderEpoch).compactString(offset.metadata);
      writer.int64(BigInt(offset.commitTimestampMs)).int64(BigInt(offset.expireTimestampMs ?? -1));
      break;
    }
    case 'txn-end':
      writer.int8(RecordType.txnEnd).compactString(record.groupId).int64(record.producerId).int8(record.commit ? 1 : 0);
      break;
  }
  const frame = Buffer.from(writer.finish());
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  frame.writeInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32c(payload), 4);
  return frame;
}

function decodeRecord(payload: Buffer): OffsetStoreRecord {
  const reader = new Reader(payload);
  const version = reader.int8();
  if (version !== FORMAT_VERSION) throw new Error(`unknown offsets record version ${version}`);
  const type = reader.int8();
  const groupId = requireString(reader.compactString());
  switch (type) {
    case RecordType.offsetCommit: {
      const topic = requireString(reader.compactString());
      const partition = reader.int32();
      const committedOffset = reader.int64();
      const leaderEpoch = reader.int32();
      const metadata = reader.compactString() ?? '';
      const commitTimestampMs = Number(reader.int64());
      const expire = Number(reader.int64());
      return {
        type: 'offset-commit',
        groupId,
        topic,
        partition,
        offset: { committedOffset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs: expire < 0 ? null : expire },
      };
    }
    case RecordType.offsetTombstone:
      return { type: 'offset-tombstone', groupId, topic: requireString(reader.compactString()), partition: reader.int32() };
    case RecordType.groupMetadata: {
      const protocolType = reader.compactString();
      const generationId = reader.int32();
      const timestamp = Number(reader.int64());
      return { type: 'group-metadata', groupId, metadata: { protocolType, generationId, currentStateTimestampMs: timestamp < 0 ? null : timestamp } };
    }
    case RecordType.groupTombstone:
      return { type: 'group-tombstone', groupId };
    case RecordType.txnOffsetCommit: {
      const producerId = reader.int64();
      const topic = requireString(reader.compactString());
      const partition = reader.int32();
      const committedOffset = reader.int64();
      const leaderEpoch = reader.int32();
      const metadata = reader.compactString() ?? '';
      const commitTimestampMs = Number(reader.int64());
      const expire = Number(reader.int64());
      return {
        type: 'txn-offset-commit',
        groupId,
        producerId,
        topic,
        partition,
        offset: { committedOffset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs: expire < 0 ? null : expire },
      };
    }
    case RecordType.txnEnd:
      return { type: 'txn-end', groupId, producerId: reader.int64(), commit: reader.int8() === 1 };
    default:
      throw new Error(`unknown offsets record type ${type}`);
  }
}

function applyRecord(groups: Map<string, LoadedGroup>, record: OffsetStoreRecord): void {
  if (record.type === 'group-tombstone') {
    groups.delete(record.groupId);
    return;
  }
  let group = groups.get(record.groupId);
  if (group === undefined) {
    if (record.type === 'offset-tombstone' || record.type === 'txn-end') return;
    group = { metadata: null, offsets: new Map(), pendingTransactionalOffsets: new Map() };
    groups.set(record.groupId, group);
  }
  switch (record.type) {
    case 'group-metadata':
      group.metadata = record.metadata;
      break;
    case 'offset-commit': {
      let partitions = group.offsets.get(record.topic);
      if (partitions === undefined) {
        partitions = new Map();
        group.offsets.set(record.topic, partitions);
      }
      partitions.set(record.partition, record.offset);
      break;
    }
    case 'offset-tombstone': {
      const partitions = group.offsets.get(record.topic);
      partitions?.delete(record.partition);
      if (partitions !== undefined && partitions.size === 0) group.offsets.delete(record.topic);
      break;
    }
    case 'txn-offset-commit': {
      const pending = group.pendingTransactionalOffsets.get(record.producerId) ?? [];
      group.pendingTransactionalOffsets.set(record.producerId, [
        ...pending.filter((entry) => entry.topic !== record.topic || entry.partition !== record.partition),
        { topic: record.topic, partition: record.partition, offset: record.offset },
      ]);
      break;
    }
    case 'txn-end': {
      const pending = group.pendingTransactionalOffsets.get(record.producerId) ?? [];
      group.pendingTransactionalOffsets.delete(record.producerId);
      if (record.commit) {
        for (const entry of pending) applyRecord(groups, { type: 'offset-commit', groupId: record.groupId, topic: entry.topic, partition: entry.partition, offset: entry.offset });
      }
      break;
    }
  }
}

/** Live-set key prefix of a producer's pending transactional offsets (never clashes with `topic\0partition`). */
function pendingKeyPrefix(producerId: bigint): string {
  return `\u0001${producerId}\u0000`;
}

function requireString(value: string | null): string {
  if (value === null) throw new Error('unexpected null string in the offsets log');
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
