// The offsets log: replay, torn tails, compaction, and acknowledgement only after fsync.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileSystem, type LogFileSystem } from '../log/log-file-system.ts';
import { silentLogger } from '../logger.ts';
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { readConsumerGroupMember, writeConsumerGroupMember } from './consumer-group-records.ts';
import { OFFSETS_DIRECTORY, OFFSETS_FILE, OffsetStore, encodeFrame, type OffsetStoreRecord } from './offset-store.ts';

const root = mkdtempSync(join(tmpdir(), 'seqlog-offset-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDataDir = () => join(root, `data-${dirs++}`);

function commitRecord(groupId: string, topic: string, partition: number, offset: bigint): OffsetStoreRecord {
  return {
    type: 'offset-commit',
    groupId,
    topic,
    partition,
    offset: { committedOffset: offset, leaderEpoch: 7, metadata: 'meta', commitTimestampMs: 1000, expireTimestampMs: null },
  };
}

function offsetsOf(groups: ReturnType<typeof OffsetStore.open>['groups'], groupId: string): [string, number, bigint][] {
  const out: [string, number, bigint][] = [];
  for (const [topic, partitions] of groups.get(groupId)?.offsets ?? []) {
    for (const [partition, offset] of partitions) out.push([topic, partition, offset.committedOffset]);
  }
  return out.sort();
}

/** A file system whose fsyncs wait for `release()` (or fail with `fail()`). */
function gatedFileSystem() {
  const waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let fsyncs = 0;
  const fs: LogFileSystem = {
    ...nodeFileSystem,
    fsync: async (fd) => {
      fsyncs++;
      await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      await nodeFileSystem.fsync(fd);
    },
  };
  return {
    fs,
    get fsyncs() {
      return fsyncs;
    },
    release() {
      for (const gate of waiting.splice(0)) gate.resolve();
    },
    fail() {
      for (const gate of waiting.splice(0)) gate.reject(new Error('EIO: fsync failed'));
    },
  };
}

async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('OffsetStore', () => {
  it('replays commits, tombstones, group metadata and group deletions in order', async () => {
    const dataDir = newDataDir();
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    await store.append([commitRecord('g1', 'orders', 0, 5n), commitRecord('g1', 'orders', 1, 6n), commitRecord('g2', 'orders', 0, 1n)]);
    await store.append([commitRecord('g1', 'orders', 0, 9n), { type: 'offset-tombstone', groupId: 'g1', topic: 'orders', partition: 1 }]);
    await store.append([{ type: 'group-metadata', groupId: 'g1', metadata: { protocolType: 'consumer', generationId: 4, currentStateTimestampMs: 123, hasMembers: false } }]);
    await store.append([{ type: 'group-tombstone', groupId: 'g2' }]);
    await store.close();

    const { store: reopened, groups } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(groups, 'g1'), [['orders', 0, 9n]]);
    assert.deepEqual(groups.get('g1')?.metadata, { protocolType: 'consumer', generationId: 4, currentStateTimestampMs: 123, hasMembers: false });
    const offset = groups.get('g1')?.offsets.get('orders')?.get(0);
    assert.deepEqual(offset, { committedOffset: 9n, leaderEpoch: 7, metadata: 'meta', commitTimestampMs: 1000, expireTimestampMs: null });
    assert.equal(groups.has('g2'), false);
    await reopened.close();
  });

  it('cuts a torn or corrupt tail off and keeps appending after the last whole record', async () => {
    const dataDir = newDataDir();
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    await store.append([commitRecord('g', 't', 0, 1n)]);
    await store.close();
    const path = join(dataDir, OFFSETS_DIRECTORY, OFFSETS_FILE);
    const whole = statSync(path).size;
    // Half a frame, as a crash in the middle of a write leaves it.
    appendFileSync(path, encodeFrame(commitRecord('g', 't', 0, 2n)).subarray(0, 20));

    const second = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(second.groups, 'g'), [['t', 0, 1n]]);
    assert.equal(statSync(path).size, whole);
    await second.store.append([commitRecord('g', 't', 1, 3n)]);
    await second.store.close();

    // A whole frame with a bad checksum ends the log too.
    const corrupt = encodeFrame(commitRecord('g', 't', 0, 99n));
    corrupt[corrupt.length - 1] ^= 0xff;
    appendFileSync(path, corrupt);
    const third = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(third.groups, 'g'), [
      ['t', 0, 1n],
      ['t', 1, 3n],
    ]);
    await third.store.close();
  });

  it('compacts the file to the latest record of each key once it is mostly superseded', async () => {
    const dataDir = newDataDir();
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger, compactionMinBytes: 4096 });
    for (let offset = 0n; offset < 500n; offset++) {
      await store.append([commitRecord('g', 'orders', 0, offset), commitRecord('g', 'orders', 1, offset * 2n)]);
    }
    assert.ok(store.compactions > 0);
    assert.ok(store.fileBytes < 4096 * 2, `file is ${store.fileBytes} bytes`);
    await store.close();
    assert.equal(existsSync(join(dataDir, OFFSETS_DIRECTORY, `${OFFSETS_FILE}.tmp`)), false);
    const { store: reopened, groups } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(groups, 'g'), [
      ['orders', 0, 499n],
      ['orders', 1, 998n],
    ]);
    await reopened.close();
  });

  it('settles an append only after an fsync covers it, sharing fsyncs between concurrent appends', async () => {
    const gate = gatedFileSystem();
    const { store } = OffsetStore.open({ dataDir: newDataDir(), fs: gate.fs, logger: silentLogger });
    const first = store.append([commitRecord('g', 't', 0, 1n)]);
    const second = store.append([commitRecord('g', 't', 0, 2n)]);
    assert.equal(await peek(first), 'pending');
    assert.equal(await peek(second), 'pending');
    assert.equal(gate.fsyncs, 1);
    gate.release();
    await first;
    await second;
    assert.equal(gate.fsyncs, 1);
    // A read barrier waits for nothing when everything is durable.
    assert.equal(await peek(store.flushed()), undefined);
    const third = store.append([commitRecord('g', 't', 0, 3n)]);
    const barrier = store.flushed();
    assert.equal(await peek(barrier), 'pending');
    gate.release();
    await third;
    await barrier;
    await store.close();
  });

  it('refuses appends for good after a failed fsync', async () => {
    const gate = gatedFileSystem();
    const { store } = OffsetStore.open({ dataDir: newDataDir(), fs: gate.fs, logger: silentLogger });
    const pending = store.append([commitRecord('g', 't', 0, 1n)]);
    await peek(pending);
    gate.fail();
    await assert.rejects(pending, /EIO/);
    assert.throws(() => store.append([commitRecord('g', 't', 0, 2n)]), /EIO/);
    await store.close();
  });

  it('uses compact strings, so a group id longer than an int16 string allows is stored', async () => {
    const dataDir = newDataDir();
    const groupId = 'g'.repeat(40_000);
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    await store.append([commitRecord(groupId, 't', 0, 1n)]);
    await store.close();
    const { store: reopened, groups } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(groups, groupId), [['t', 0, 1n]]);
    assert.ok(readFileSync(join(dataDir, OFFSETS_DIRECTORY, OFFSETS_FILE)).length > 40_000);
    await reopened.close();
  });
});

describe('OffsetStore: transactional offsets (KIP-98/447)', () => {
  const pending = (groupId: string, producerId: bigint, partition: number, offset: bigint): OffsetStoreRecord => ({
    type: 'txn-offset-commit',
    groupId,
    producerId,
    topic: 'orders',
    partition,
    offset: { committedOffset: offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1000, expireTimestampMs: null },
  });

  it('replays pending offsets: committed by their COMMIT, dropped by their ABORT, still pending without either', async () => {
    const dataDir = newDataDir();
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    await store.append([pending('g', 10n, 0, 5n), pending('g', 11n, 1, 6n), pending('g', 12n, 2, 7n)]);
    await store.append([{ type: 'txn-end', groupId: 'g', producerId: 10n, commit: true }, { type: 'txn-end', groupId: 'g', producerId: 11n, commit: false }]);
    await store.close();
    const { store: reopened, groups } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(groups, 'g'), [['orders', 0, 5n]]);
    assert.deepEqual([...(groups.get('g')?.pendingTransactionalOffsets.keys() ?? [])], [12n]);
    await reopened.close();
  });

  it('compaction keeps pending offsets pending and turns committed ones into plain commits', async () => {
    const dataDir = newDataDir();
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger, compactionMinBytes: 1 });
    await store.append([pending('g', 10n, 0, 5n), pending('g', 12n, 2, 7n)]);
    await store.append([{ type: 'txn-end', groupId: 'g', producerId: 10n, commit: true }]);
    // Superseding writes make the file mostly dead, so it is rewritten from the live set.
    for (let i = 0; i < 5; i++) await store.append([commitRecord('other', 'orders', 0, BigInt(i))]);
    assert.ok(store.compactions > 0, 'compacted');
    await store.close();
    const { store: reopened, groups } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.deepEqual(offsetsOf(groups, 'g'), [['orders', 0, 5n]]);
    assert.deepEqual(groups.get('g')?.pendingTransactionalOffsets.get(12n)?.map((entry) => entry.offset.committedOffset), [7n]);
    await reopened.close();
  });
});

describe('OffsetStore: KIP-848 consumer groups', () => {
  const member = (memberId: string, memberEpoch: number, partitions: number[]): OffsetStoreRecord => ({
    type: 'consumer-group-member',
    groupId: 'cg',
    stored: {
      member: {
        memberId,
        instanceId: memberId === 'static' ? 'instance-1' : null,
        rackId: null,
        clientId: 'client',
        clientHost: '/127.0.0.1',
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ['orders'],
        subscribedTopicRegex: null,
        serverAssignor: 'range',
        memberEpoch,
        previousMemberEpoch: memberEpoch - 1,
        state: 'unrevoked_partitions',
        assigned: new Map([['00ff', new Set(partitions)]]),
        pendingRevocation: new Map([['00ff', new Set([9])]]),
        assignmentEpochs: new Map([['00ff', new Map([...partitions.map((partition): [number, number] => [partition, memberEpoch - partition]), [9, 1]])]]),
        classic: null,
      },
      target: new Map([['00ff', new Set(partitions)]]),
    },
  });
  it('reads a member record written before assignment epochs (KIP-1251) with none: its partitions count at its epoch', () => {
    const record = member('m1', 5, [0, 1]);
    assert.equal(record.type, 'consumer-group-member');
    if (record.type !== 'consumer-group-member') return;
    const withoutEpochs = { ...record.stored, member: { ...record.stored.member, assignmentEpochs: new Map() } };
    const writer = new Writer();
    writeConsumerGroupMember(writer, withoutEpochs);
    const bytes = writer.finish();
    // The old format ended after the target: drop the empty epochs section (its topic count) and the classic
    // metadata flag that follows it.
    const old = readConsumerGroupMember(new Reader(bytes.subarray(0, bytes.length - 5)));
    assert.deepEqual(old, withoutEpochs);
    const current = readConsumerGroupMember(new Reader(withWriter(record.stored)));
    assert.deepEqual(current, record.stored);
  });
  it('keeps a classic member\'s JoinGroup metadata (online migration), and reads records written before it as KIP-848 members', () => {
    const record = member('m1', 5, [0, 1]);
    if (record.type !== 'consumer-group-member') throw new Error('unexpected record');
    const classic = { sessionTimeoutMs: 45_000, supportedProtocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }, { name: 'cooperative-sticky', metadata: Buffer.from([3]) }] };
    const stored = { ...record.stored, member: { ...record.stored.member, classic } };
    assert.deepEqual(readConsumerGroupMember(new Reader(withWriter(stored))), stored);
    const bytes = withWriter(record.stored);
    assert.deepEqual(readConsumerGroupMember(new Reader(bytes.subarray(0, bytes.length - 1))), record.stored);
  });
  const withWriter = (stored: Parameters<typeof writeConsumerGroupMember>[1]): Buffer => {
    const writer = new Writer();
    writeConsumerGroupMember(writer, stored);
    return writer.finish();
  };
  const metadata = (groupEpoch: number): OffsetStoreRecord => ({
    type: 'consumer-group-metadata',
    groupId: 'cg',
    metadata: { groupEpoch, assignmentEpoch: groupEpoch, assignorName: 'range', subscriptionSignature: 'orders/00ff/4' },
  });

  it('replays the latest of each member and the group epochs, through compaction; tombstones remove members, not offsets', async () => {
    const dataDir = newDataDir();
    const { store } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger, compactionMinBytes: 1 });
    await store.append([commitRecord('cg', 'orders', 0, 5n), metadata(2), member('m1', 2, [0, 1]), member('static', 2, [2])]);
    for (let epoch = 3; epoch < 40; epoch++) await store.append([metadata(epoch), member('m1', epoch, [0, 1, 3])]);
    await store.append([{ type: 'consumer-group-member-tombstone', groupId: 'cg', memberId: 'static' }]);
    assert.ok(store.compactions > 0);
    await store.close();

    const { store: reopened, groups } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    const loaded = groups.get('cg');
    assert.equal(loaded?.consumerGroup?.metadata?.groupEpoch, 39);
    assert.deepEqual([...(loaded?.consumerGroup?.members.keys() ?? [])], ['m1']);
    const m1 = loaded?.consumerGroup?.members.get('m1');
    assert.deepEqual(m1?.member, (member('m1', 39, [0, 1, 3]) as { stored: { member: unknown } }).stored.member);
    assert.deepEqual(m1?.target, new Map([['00ff', new Set([0, 1, 3])]]));
    assert.deepEqual(offsetsOf(groups, 'cg'), [['orders', 0, 5n]]);

    // A classic group taking the id over drops the consumer-group state and keeps the offsets.
    await reopened.append([{ type: 'consumer-group-tombstone', groupId: 'cg' }]);
    await reopened.close();
    const { store: third, groups: afterTombstone } = OffsetStore.open({ dataDir, fs: nodeFileSystem, logger: silentLogger });
    assert.equal(afterTombstone.get('cg')?.consumerGroup, null);
    assert.deepEqual(offsetsOf(afterTombstone, 'cg'), [['orders', 0, 5n]]);
    await third.close();
  });
});
