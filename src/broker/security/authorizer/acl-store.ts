// The broker's ACLs, durable: an append-only record file in the data dir (`__acls/acls.log`) of "added" and
// "removed" bindings, fsynced before CreateAcls/DeleteAcls answer and replayed on start; compacted to the live
// bindings once mostly superseded. Kafka keeps ACLs as `AccessControlEntryRecord`s in the cluster metadata log;
// one node keeps them in one file of its own, the way its coordinators keep theirs (`DurableRecordFile`).
import { Reader } from '../../../protocol/wire/reader.ts';
import { Writer } from '../../../protocol/wire/writer.ts';
import { DurableRecordFile, sealRecordFrame, type RecordFileDurability } from '../../log/durable-record-file.ts';
import type { LogFileSystem } from '../../log/log-file-system.ts';
import type { BrokerLogger } from '../../logger.ts';
import { bindingKey, operationOf, patternTypeOf, permissionTypeOf, resourceTypeOf, type AclBinding, type AclBindingFilter } from './acl.ts';
import { StandardAuthorizer, type StandardAuthorizerConfig } from './standard-authorizer.ts';

export const ACLS_DIRECTORY = '__acls';
export const ACLS_FILE = 'acls.log';
const FORMAT_VERSION = 0;
const ADDED = 0;
const REMOVED = 1;

interface AclRecord {
  readonly added: boolean;
  readonly binding: AclBinding;
}

export interface AclStoreOptions extends StandardAuthorizerConfig {
  readonly dataDir: string;
  readonly fs: LogFileSystem;
  readonly logger: BrokerLogger;
  readonly durability: RecordFileDurability;
}

export class AclStore {
  /** The live bindings' frames, by binding identity (what a compaction keeps). */
  private readonly live = new Map<string, Buffer>();
  private liveBytes = 0;

  private constructor(
    private readonly file: DurableRecordFile<AclRecord>,
    /** The checks every request makes read this index. */
    readonly authorizer: StandardAuthorizer,
  ) {}

  static open(options: AclStoreOptions): AclStore {
    const { file, records } = DurableRecordFile.open({
      dataDir: options.dataDir,
      directoryName: ACLS_DIRECTORY,
      fileName: ACLS_FILE,
      fs: options.fs,
      logger: options.logger,
      durability: options.durability,
      compactionMinBytes: 64 * 1024,
      decode: decodeRecord,
      messages: {
        tornTail: 'ACL file has a torn or corrupt tail; truncating it',
        fsyncFailed: 'fsync of the ACL file failed; ACL changes are refused from now on',
        finalFsyncFailed: 'final fsync of the ACL file failed',
        compactionFailed: 'compacting the ACL file failed',
        closed: 'the ACL file is closed',
        directoryFsyncFailed: 'fsync of the ACL directory failed; ACL changes are refused from now on',
      },
      errorText: (error) => (error instanceof Error ? error.message : String(error)),
    });
    const store = new AclStore(file, new StandardAuthorizer(options));
    for (const { record, frame } of records) store.apply(record, frame);
    return store;
  }

  /**
   * Adds the bindings (an existing equal binding stays one ACL) and settles once they are durable. Staged and
   * visible to checks synchronously, in call order; throws at once when the file refuses writes.
   */
  create(bindings: readonly AclBinding[]): Promise<void> {
    return this.write(bindings.filter((binding) => !this.live.has(bindingKey(binding))).map((binding) => ({ added: true, binding })));
  }

  /** Removes every binding a filter matches; returns, per filter, what it removed, once durable. */
  async delete(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    const removed = new Set<string>();
    const perFilter = filters.map((filter) => this.authorizer.matching(filter));
    const records: AclRecord[] = [];
    for (const matched of perFilter) {
      for (const binding of matched) {
        const key = bindingKey(binding);
        if (removed.has(key)) continue;
        removed.add(key);
        records.push({ added: false, binding });
      }
    }
    await this.write(records);
    return perFilter;
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private write(records: readonly AclRecord[]): Promise<void> {
    const refusal = this.file.writeRefusal();
    if (refusal !== null) return Promise.reject(refusal);
    if (records.length === 0) return this.file.flushed();
    const frames = records.map(encodeFrame);
    const end = this.file.append(Buffer.concat(frames));
    records.forEach((record, i) => this.apply(record, frames[i]));
    this.file.compact(this.liveBytes, () => [...this.live.values()]);
    return this.file.waitDurable(end);
  }

  private apply(record: AclRecord, frame: Buffer): void {
    const key = bindingKey(record.binding);
    const old = this.live.get(key);
    if (old !== undefined) {
      this.liveBytes -= old.length;
      this.live.delete(key);
    }
    if (record.added) {
      this.live.set(key, frame);
      this.liveBytes += frame.length;
      this.authorizer.add(record.binding);
    } else this.authorizer.remove(record.binding);
  }
}

function encodeFrame(record: AclRecord): Buffer {
  const { binding } = record;
  const writer = new Writer(64);
  writer.int32(0).uint32(0);
  writer.int8(FORMAT_VERSION).int8(record.added ? ADDED : REMOVED);
  writer.int8(binding.resourceType).compactString(binding.resourceName).int8(binding.patternType);
  writer.compactString(binding.principal).compactString(binding.host).int8(binding.operation).int8(binding.permissionType);
  return sealRecordFrame(Buffer.from(writer.finish()));
}

function decodeRecord(payload: Buffer): AclRecord {
  const reader = new Reader(payload);
  const version = reader.int8();
  if (version !== FORMAT_VERSION) throw new Error(`unknown ACL record version ${version}`);
  const kind = reader.int8();
  if (kind !== ADDED && kind !== REMOVED) throw new Error(`unknown ACL record kind ${kind}`);
  const resourceType = resourceTypeOf(reader.int8());
  const resourceName = requireString(reader.compactString());
  const patternType = patternTypeOf(reader.int8());
  const principal = requireString(reader.compactString());
  const host = requireString(reader.compactString());
  const operation = operationOf(reader.int8());
  const permissionType = permissionTypeOf(reader.int8());
  return { added: kind === ADDED, binding: { resourceType, resourceName, patternType, principal, host, operation, permissionType } };
}

function requireString(value: string | null): string {
  if (value === null) throw new Error('null string in an ACL record');
  return value;
}
