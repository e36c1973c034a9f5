// KIP-848 with franz-go: two members of one group run kgo with ServerSideBalancer (the consumer group protocol,
// ConsumerGroupHeartbeat) against seqlog. The broker gives each half the partitions; the records produced then
// are read once each, split by partition between the members; the members commit and leave, the group ends
// Empty with every offset committed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { binDir, setupHint } from '../reference/layout.ts';
import { exited, spawnReaped, stopGroup } from '../reference/reaper.ts';
import { waitFor } from './group-probes.ts';

const TOPIC = 'kip848-franz';
const GROUP = 'kip848-franz-group';
const PARTITIONS = 6;
const RECORDS = 600;
const franzPeer = join(binDir, 'franz-peer');

interface GroupMemberSummary {
  ok: boolean;
  error?: string;
  memberId?: string;
  memberEpoch?: number;
  consumed?: number;
  values?: string[];
}

let broker: RunningBroker;
let admin: BrokerConnection;

function startMember(): { child: ChildProcess; summary: Promise<GroupMemberSummary> } {
  const child = spawnReaped(
    franzPeer,
    ['--bootstrap', broker.bootstrap, '--topic', TOPIC, '--group', GROUP, '--mode', 'group-consume', '--count', String(RECORDS / 2), '--timeout-ms', '90000'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => void (stdout += chunk));
  child.stderr?.resume();
  // 'close', not 'exit': the summary line may still be in the stdout pipe when the process has exited.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const summary = Promise.all([exited(child), closed]).then(() => {
    const line = stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as GroupMemberSummary;
    } catch {
      return { ok: false, error: `no summary line: ${stdout}` };
    }
  });
  return { child, summary };
}

async function describeGroup() {
  const response = await admin.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [GROUP], includeAuthorizedOperations: false });
  return response.groups[0];
}


describe('franz-go with the consumer group protocol (kgo ServerSideBalancer) against seqlog', { timeout: 180_000 }, () => {
  const children: ChildProcess[] = [];

  before(async () => {
    // A missing peer fails the test: it is never skipped.
    assert.ok(existsSync(franzPeer), `franz-go peer missing: ${setupHint}`);
    broker = await startBroker({
      topics: [{ name: TOPIC, partitions: PARTITIONS }],
      // Short heartbeats so that partitions move within a second, not Kafka's 5 s.
      groupConsumerHeartbeatIntervalMs: 250,
      groupConsumerSessionTimeoutMs: 10_000,
    });
    admin = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'kip848-franz-test' });
  });

  after(async () => {
    for (const child of children) await stopGroup(child, 5_000);
    admin?.close();
    await broker?.close();
  });

  it('two members share the partitions, read every record once between them, commit and leave', async () => {
    const a = startMember();
    const b = startMember();
    children.push(a.child, b.child);
    const shared = await waitFor(
      describeGroup,
      (group) =>
        group.errorCode === 0 &&
        group.groupState === 'Stable' &&
        group.members.length === 2 &&
        group.members.every((member) => member.assignment.topicPartitions.reduce((n, topic) => n + topic.partitions.length, 0) === PARTITIONS / 2),
      'two franz-go members with three partitions each',
    );
    // franz-go's cooperative-sticky balancer maps to the broker's uniform assignor.
    assert.equal(shared.assignorName, 'uniform');
    assert.ok(shared.members.every((member) => member.memberEpoch > 0 && member.clientId !== ''));

    // Round-robin over the partitions: each member owns three, so each reads exactly half.
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
    const produced = Array.from({ length: RECORDS }, (_, i) => `franz-${i}`);
    try {
      await Promise.all(produced.map((value, i) => producer.send({ topic: TOPIC, partition: i % PARTITIONS, value })));
    } finally {
      await producer.close();
    }
    const summaries = await Promise.all([a.summary, b.summary]);
    for (const summary of summaries) assert.equal(summary.ok, true, `franz-go member failed: ${summary.error ?? ''}`);
    assert.deepEqual(summaries.map((summary) => summary.consumed), [RECORDS / 2, RECORDS / 2]);
    assert.deepEqual(summaries.flatMap((summary) => summary.values ?? []).sort(), [...produced].sort(), 'every record once');
    assert.deepEqual(summaries.map((summary) => summary.memberId).sort(), shared.members.map((member) => member.memberId).sort(), 'the members the broker saw');

    // Both left with epoch -1: the group is Empty and keeps the commits.
    const empty = await waitFor(describeGroup, (group) => group.groupState === 'Empty', 'the group empty after both members left');
    assert.equal(empty.members.length, 0);
    const offsets = await admin.send(ApiKey.OffsetFetch, 8, {
      groupId: '',
      topics: [],
      groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [...Array(PARTITIONS).keys()] }] }],
      requireStable: false,
    });
    assert.deepEqual(
      offsets.groups[0].topics[0].partitions.map((partition) => partition.committedOffset),
      Array.from({ length: PARTITIONS }, () => BigInt(RECORDS / PARTITIONS)),
    );
  });
});
