// Durable storage for the group coordinator: committed offsets and a little group metadata, in
// `<dataDir>/__consumer_offsets/offsets.log`.
//
// Why not a `PartitionLog` topic like Kafka's `__consumer_offsets`: that would show up as a topic in Metadata
// and ListOffsets, tie the coordinator to the record-batch format and the partition log's retention and
// compaction (which this broker does not have), and buy nothing a single node needs. What we keep from Kafka is
// the shape: an append-only log of key/value records (offset commit, offset tombstone, group metadata, group
// tombstone, transactional offsets, and the KIP-848 consumer-group records of consumer-group-records.ts),
// replayed on start, compacted by rewriting the latest value of each key.
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
// rewrite makes every staged record durable. The file mechanics are shared with the transaction log:
// `DurableRecordFile`.
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { DurableRecordFile, FRAME_HEADER_BYTES, sealRecordFrame } from '../log/durable-record-file.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import type { BrokerLogger } from '../logger.ts';
import {
  readConsumerGroupMember,
  readConsumerGroupMetadata,
  writeConsumerGroupMember,
  writeConsumerGroupMetadata,
  type StoredConsumerGroupMember,
  type StoredConsumerGroupMetadata,
} from './consumer-group-records.ts';

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
  /**
   * Whether the group had members when this was written (Kafka's GroupMetadataValue lists them); false means it
   * was Empty since `currentStateTimestampMs`. Null in records written before the field existed.
   */
  readonly hasMembers: boolean | null;
}

export type OffsetStoreRecord =
  | { readonly type: 'offset-commit'; readonly groupId: string; readonly topic: string; readonly partition: number; readonly offset: OffsetAndMetadata }
  | { readonly type: 'offset-tombstone'; readonly groupId: string; readonly topic: string; readonly partition: number }
  | { readonly type: 'group-metadata'; readonly groupId: string; readonly metadata: StoredGroupMetadata }
  | { readonly type: 'group-tombstone'; readonly groupId: string }
  /** A TxnOffsetCommit (KIP-98/447): pending, invisible to OffsetFetch, until the producer's transaction ends. */
  | { readonly type: 'txn-offset-commit'; readonly groupId: string; readonly producerId: bigint; readonly topic: string; readonly partition: number; readonly offset: OffsetAndMetadata }
  /** The COMMIT/ABORT marker of a producer's transaction reaching the group: pending offsets become committed or are dropped. */
  | { readonly type: 'txn-end'; readonly groupId: string; readonly producerId: bigint; readonly commit: boolean }
  /** KIP-848: a consumer group's epochs (Kafka's ConsumerGroupMetadata and target assignment metadata). */
  | { readonly type: 'consumer-group-metadata'; readonly groupId: string; readonly metadata: StoredConsumerGroupMetadata }
  /** KIP-848: one member of a consumer group, with its current and target assignment. */
  | { readonly type: 'consumer-group-member'; readonly groupId: string; readonly stored: StoredConsumerGroupMember }
  | { readonly type: 'consumer-group-member-tombstone'; readonly groupId: string; readonly memberId: string }
  /** The consumer-group state of a group id goes (a classic group takes the id over); its offsets stay. */
  | { readonly type: 'consumer-group-tombstone'; readonly groupId: string };

/** Record type codes on disk. */
const RecordType = {
  offsetCommit: 1,
  offsetTombstone: 2,
  groupMetadata: 3,
  groupTombstone: 4,
  txnOffsetCommit: 5,
  txnEnd: 6,
  consumerGroupMetadata: 7,
  consumerGroupMember: 8,
  consumerGroupMemberTombstone: 9,
  consumerGroupTombstone: 10,
} as const;
const FORMAT_VERSION = 0;
const GROUP_METADATA_KEY = '';
// Live-set keys of consumer-group state; the control characters keep them apart from `topic\0partition` keys.
const CONSUMER_GROUP_METADATA_KEY = '\u0002';
const CONSUMER_GROUP_MEMBER_KEY_PREFIX = '\u0003';

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
  /** The KIP-848 consumer group of this id, when there is one. */
  consumerGroup: LoadedConsumerGroup | null;
}

export interface LoadedConsumerGroup {
  metadata: StoredConsumerGroupMetadata | null;
  members: Map<string, StoredConsumerGroupMember>;
}

export interface PendingTransactionalOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: OffsetAndMetadata;
}

export class OffsetStore {
  /** The latest frame of each key, by group: exactly what a compacted file holds. */
  private readonly live = new Map<string, Map<string, Buffer>>();
  private liveBytes = 0;
  /** Compactions done, for tests and metrics. */
  compactions = 0;

  private constructor(private readonly file: DurableRecordFile<OffsetStoreRecord>) {}

  /** Opens (creating if needed) the store and replays it: the groups with their metadata and offsets. */
  static open(options: OffsetStoreOptions): { store: OffsetStore; groups: Map<string, LoadedGroup> } {
    const { file, records } = DurableRecordFile.open({
      dataDir: options.dataDir,
      directoryName: OFFSETS_DIRECTORY,
      fileName: OFFSETS_FILE,
      fs: options.fs,
      logger: options.logger,
      durability: options.durability ?? 'always',
      compactionMinBytes: options.compactionMinBytes ?? 1024 * 1024,
      decode: decodeRecord,
      messages: {
        tornTail: 'offsets log has a torn or corrupt tail; truncating it',
        fsyncFailed: 'fsync of the offsets log failed; offset commits are refused from now on',
        finalFsyncFailed: 'final fsync of the offsets log failed',
        compactionFailed: 'compacting the offsets log failed',
        closed: 'the offsets log is closed',
        directoryFsyncFailed: 'fsync of the offsets directory failed; offset commits are refused from now on',
      },
      errorText,
    });
    const store = new OffsetStore(file);
    const groups = new Map<string, LoadedGroup>();
    for (const { record, frame } of records) {
      store.track(record, frame);
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
    const refusal = this.file.writeRefusal();
    if (refusal !== null) throw refusal;
    if (records.length === 0) return Promise.resolve();
    const frames = records.map((record) => encodeFrame(record));
    const end = this.file.append(Buffer.concat(frames));
    records.forEach((record, i) => this.track(record, frames[i]));
    this.maybeCompact();
    return this.file.waitDurable(end);
  }

  /** Settles when everything staged so far is durable (a read that must not return unflushed data). */
  flushed(): Promise<void> {
    return this.file.flushed();
  }

  get fileBytes(): number {
    return this.file.fileBytes;
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private track(record: OffsetStoreRecord, frame: Buffer): void {
    if (record.type === 'group-tombstone') {
      const entries = this.live.get(record.groupId);
      if (entries !== undefined) for (const old of entries.values()) this.liveBytes -= old.length;
      this.live.delete(record.groupId);
      return;
    }
    let entries = this.live.get(record.groupId);
    if (record.type === 'consumer-group-tombstone' || record.type === 'consumer-group-member-tombstone') {
      const remove = (key: string) => {
        const old = entries?.get(key);
        if (old === undefined) return;
        this.liveBytes -= old.length;
        entries?.delete(key);
      };
      if (record.type === 'consumer-group-member-tombstone') remove(CONSUMER_GROUP_MEMBER_KEY_PREFIX + record.memberId);
      else for (const key of [...(entries?.keys() ?? [])]) if (key === CONSUMER_GROUP_METADATA_KEY || key.startsWith(CONSUMER_GROUP_MEMBER_KEY_PREFIX)) remove(key);
      if (entries !== undefined && entries.size === 0) this.live.delete(record.groupId);
      return;
    }
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
    const key = liveKey(record);
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

  /** Rewrites the live records into a new file once the log is mostly superseded (see `DurableRecordFile.compact`). */
  private maybeCompact(): void {
    const compacted = this.file.compact(this.liveBytes, () => {
      const chunks: Buffer[] = [];
      for (const entries of this.live.values()) for (const frame of entries.values()) chunks.push(frame);
      return chunks;
    });
    if (compacted) this.compactions++;
  }
}

function liveKey(record: Exclude<OffsetStoreRecord, { type: 'group-tombstone' | 'txn-end' | 'consumer-group-tombstone' | 'consumer-group-member-tombstone' }>): string {
  switch (record.type) {
    case 'group-metadata':
      return GROUP_METADATA_KEY;
    case 'txn-offset-commit':
      return `${pendingKeyPrefix(record.producerId)}${record.topic}\u0000${record.partition}`;
    case 'consumer-group-metadata':
      return CONSUMER_GROUP_METADATA_KEY;
    case 'consumer-group-member':
      return CONSUMER_GROUP_MEMBER_KEY_PREFIX + record.stored.member.memberId;
    default:
      return `${record.topic}\u0000${record.partition}`;
  }
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
      // Appended later: older records end before it.
      if (metadata.hasMembers !== null) writer.int8(metadata.hasMembers ? 1 : 0);
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
    case 'consumer-group-metadata':
      writer.int8(RecordType.consumerGroupMetadata).compactString(record.groupId);
      writeConsumerGroupMetadata(writer, record.metadata);
      break;
    case 'consumer-group-member':
      writer.int8(RecordType.consumerGroupMember).compactString(record.groupId);
      writeConsumerGroupMember(writer, record.stored);
      break;
    case 'consumer-group-member-tombstone':
      writer.int8(RecordType.consumerGroupMemberTombstone).compactString(record.groupId).compactString(record.memberId);
      break;
    case 'consumer-group-tombstone':
      writer.int8(RecordType.consumerGroupTombstone).compactString(record.groupId);
      break;
  }
  return sealRecordFrame(Buffer.from(writer.finish()));
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
      const hasMembers = reader.remaining > 0 ? reader.int8() === 1 : null;
      return { type: 'group-metadata', groupId, metadata: { protocolType, generationId, currentStateTimestampMs: timestamp < 0 ? null : timestamp, hasMembers } };
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
    case RecordType.consumerGroupMetadata:
      return { type: 'consumer-group-metadata', groupId, metadata: readConsumerGroupMetadata(reader) };
    case RecordType.consumerGroupMember:
      return { type: 'consumer-group-member', groupId, stored: readConsumerGroupMember(reader) };
    case RecordType.consumerGroupMemberTombstone:
      return { type: 'consumer-group-member-tombstone', groupId, memberId: requireString(reader.compactString()) };
    case RecordType.consumerGroupTombstone:
      return { type: 'consumer-group-tombstone', groupId };
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
    if (record.type === 'offset-tombstone' || record.type === 'txn-end' || record.type === 'consumer-group-tombstone' || record.type === 'consumer-group-member-tombstone') return;
    group = { metadata: null, offsets: new Map(), pendingTransactionalOffsets: new Map(), consumerGroup: null };
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
    case 'consumer-group-metadata':
      group.consumerGroup ??= { metadata: null, members: new Map() };
      group.consumerGroup.metadata = record.metadata;
      break;
    case 'consumer-group-member':
      group.consumerGroup ??= { metadata: null, members: new Map() };
      group.consumerGroup.members.set(record.stored.member.memberId, record.stored);
      break;
    case 'consumer-group-member-tombstone':
      group.consumerGroup?.members.delete(record.memberId);
      break;
    case 'consumer-group-tombstone':
      group.consumerGroup = null;
      break;
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
