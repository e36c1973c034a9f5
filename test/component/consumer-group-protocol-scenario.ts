// The KIP-848 consumer scenarios (groupProtocol 'consumer') shared by the seqlog component test and the Apache
// Kafka 4.4 interop test: the same steps and assertions against both brokers.
import assert from 'node:assert/strict';
import { BrokerConnection, Consumer, Producer, type ConsumerOptions, type TopicPartition } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const [host, port] = bootstrap.split(':');
  const admin = await BrokerConnection.open({ host, port: Number(port) });
  try {
    const created = await admin.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, 0, `topic ${topic} created`);
  } finally {
    admin.close();
  }
}

export async function produce(bootstrap: string, topic: string, partitions: number, prefix: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const producer = new Producer({ bootstrap, lingerMs: 1 });
  try {
    await producer.send(values.map((value, i) => ({ topic, partition: i % partitions, value })));
  } finally {
    await producer.close();
  }
  return values;
}

function member(bootstrap: string, groupId: string, options: Partial<ConsumerOptions> = {}): Consumer {
  return new Consumer({ bootstrap, groupId, groupProtocol: 'consumer', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, ...options });
}

const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

function assertDisjointCover(members: readonly Consumer[], partitions: number, what: string): void {
  const owned = members.flatMap((m) => m.assignment().map(key));
  assert.equal(new Set(owned).size, owned.length, `${what}: no partition owned twice (${owned.join(' ')})`);
  assert.equal(owned.length, partitions, `${what}: every partition owned`);
}

/**
 * Three members share six partitions; every record is delivered exactly once; one member leaves (epoch -1) and
 * its partitions move to the other two, which deliver the records written afterwards; the committed offsets are
 * the end of every partition and survive the members.
 */
export async function shareLeaveAndCommit(bootstrap: string, topic: string, groupId: string): Promise<void> {
  const PARTITIONS = 6;
  await createTopic(bootstrap, topic, PARTITIONS);
  const first = await produce(bootstrap, topic, PARTITIONS, 'first-', 300);
  const members = [0, 1, 2].map(() => member(bootstrap, groupId));
  const controllers = members.map(() => new AbortController());
  const seen: { member: number; value: string }[] = [];
  const runs: Promise<void>[] = [];
  try {
    members.forEach((m, i) => {
      m.subscribe(topic);
      runs.push(m.run({ signal: controllers[i].signal, eachRecord: (record) => void seen.push({ member: i, value: record.valueString() ?? '' }) }));
    });
    await waitUntil('three members with two partitions each and every first record', () => seen.length >= 300 && members.every((m) => m.assignment().length === 2));
    assertDisjointCover(members, PARTITIONS, 'three members');
    for (const m of members) {
      const metadata = m.groupMetadata();
      assert.ok(metadata.generationId > 0, `the member epoch is the generation (KIP-848), got ${metadata.generationId}`);
      assert.ok(metadata.memberId.length > 0, 'the member has an id');
    }
    assert.equal(new Set(members.map((m) => m.groupMetadata().memberId)).size, 3, 'three distinct member ids');

    // Member 2 leaves: its processed offsets are committed first, then its partitions move.
    controllers[2].abort();
    await runs[2];
    await members[2].close();
    await waitUntil('the two remaining members with three partitions each', () => members.slice(0, 2).every((m) => m.assignment().length === 3));
    assertDisjointCover(members.slice(0, 2), PARTITIONS, 'after the leave');
    const second = await produce(bootstrap, topic, PARTITIONS, 'second-', 300);
    await waitUntil('every second record', () => seen.length >= 600);
    await sleep(300); // a duplicate, if any, would arrive now

    const counts = new Map<string, number>();
    for (const { value } of seen) counts.set(value, (counts.get(value) ?? 0) + 1);
    for (const value of [...first, ...second]) assert.equal(counts.get(value), 1, `${value} delivered exactly once`);
    assert.equal(seen.length, 600, 'nothing else delivered');

    for (const i of [0, 1]) controllers[i].abort();
    await Promise.all(runs.slice(0, 2));
    await Promise.all(members.slice(0, 2).map((m) => m.commit()));
  } finally {
    for (const c of controllers) c.abort();
    await Promise.allSettled(runs);
    await Promise.all(members.map((m) => m.close()));
  }
  const reader = member(bootstrap, groupId);
  try {
    const committed = await reader.committed(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
    assert.deepEqual(committed.map((c) => [c.partition, c.offset]).sort((a, b) => Number(a[0]) - Number(b[0])), Array.from({ length: PARTITIONS }, (_, p) => [p, 100n]), 'the end of every partition is committed');
  } finally {
    await reader.close();
  }
}

/**
 * A slow onPartitionsRevoked: the partitions a joining member takes are handed to it only after the owner's
 * revocation (commit and callback) finished, and nothing is delivered twice.
 */
export async function slowRevoke(bootstrap: string, topic: string, groupId: string): Promise<void> {
  const PARTITIONS = 4;
  await createTopic(bootstrap, topic, PARTITIONS);
  const first = await produce(bootstrap, topic, PARTITIONS, 'a-', 200);
  const events: string[] = [];
  const revokedByA: string[] = [];
  const gotByB: string[] = [];
  const a = member(bootstrap, groupId);
  const b = member(bootstrap, groupId);
  const ca = new AbortController();
  const cb = new AbortController();
  const seen: string[] = [];
  const runs: Promise<void>[] = [];
  try {
    a.subscribe(topic, {
      onPartitionsRevoked: async (tps) => {
        if (tps.length === 0) return;
        events.push('a-revoke-start');
        await sleep(1500);
        revokedByA.push(...tps.map(key));
        events.push('a-revoke-end');
      },
    });
    runs.push(a.run({ signal: ca.signal, eachRecord: (record) => void seen.push(record.valueString() ?? '') }));
    await waitUntil('member a owning every partition and every first record', () => seen.length >= 200 && a.assignment().length === PARTITIONS);

    b.subscribe(topic, {
      onPartitionsAssigned: (tps) => {
        if (tps.length === 0) return;
        gotByB.push(...tps.map(key));
        events.push('b-assigned');
      },
    });
    runs.push(b.run({ signal: cb.signal, eachRecord: (record) => void seen.push(record.valueString() ?? '') }));
    await waitUntil('two partitions each', () => a.assignment().length === 2 && b.assignment().length === 2);
    assertDisjointCover([a, b], PARTITIONS, 'after the slow revoke');
    assert.deepEqual(events, ['a-revoke-start', 'a-revoke-end', 'b-assigned'], 'b got its partitions only after a finished revoking them');
    assert.deepEqual([...gotByB].sort(), [...revokedByA].sort(), 'b got exactly what a gave up');

    const second = await produce(bootstrap, topic, PARTITIONS, 'b-', 200);
    await waitUntil('every second record', () => seen.length >= 400);
    await sleep(300);
    const counts = new Map<string, number>();
    for (const value of seen) counts.set(value, (counts.get(value) ?? 0) + 1);
    for (const value of [...first, ...second]) assert.equal(counts.get(value), 1, `${value} delivered exactly once`);
  } finally {
    ca.abort();
    cb.abort();
    await Promise.allSettled(runs);
    await Promise.all([a.close(), b.close()]);
  }
}

/**
 * Static membership (KIP-345 under KIP-848): a member with group.instance.id leaves with epoch -2, its partitions
 * wait for it, and a consumer restarting with the same id gets them back while the other member keeps its own.
 */
export async function staticRestart(bootstrap: string, topic: string, groupId: string): Promise<void> {
  const PARTITIONS = 4;
  await createTopic(bootstrap, topic, PARTITIONS);
  await produce(bootstrap, topic, PARTITIONS, 's-', 40);
  const a = member(bootstrap, groupId, { groupInstanceId: 'static-a' });
  const b = member(bootstrap, groupId, { groupInstanceId: 'static-b' });
  let a2: Consumer | null = null;
  const controllers = [new AbortController(), new AbortController(), new AbortController()];
  const runs: Promise<void>[] = [];
  const lostByB: string[] = [];
  const revokedByB: string[] = [];
  try {
    a.subscribe(topic);
    b.subscribe(topic, { onPartitionsRevoked: (tps) => void revokedByB.push(...tps.map(key)), onPartitionsLost: (tps) => void lostByB.push(...tps.map(key)) });
    runs.push(a.run({ signal: controllers[0].signal, eachRecord: () => undefined }));
    runs.push(b.run({ signal: controllers[1].signal, eachRecord: () => undefined }));
    await waitUntil('two partitions each', () => a.assignment().length === 2 && b.assignment().length === 2);
    const ofA = a.assignment().map(key).sort();
    const ofB = b.assignment().map(key).sort();
    revokedByB.length = 0;
    controllers[0].abort();
    await runs[0];
    await a.close();

    a2 = member(bootstrap, groupId, { groupInstanceId: 'static-a' });
    a2.subscribe(topic);
    runs.push(a2.run({ signal: controllers[2].signal, eachRecord: () => undefined }));
    const restarted = a2;
    await waitUntil('the restarted static member owning two partitions', () => restarted.assignment().length === 2);
    assert.deepEqual(restarted.assignment().map(key).sort(), ofA, 'the restarted member got its old partitions back');
    assert.deepEqual(b.assignment().map(key).sort(), ofB, 'the other member kept its partitions');
    assert.deepEqual(revokedByB, [], 'nothing was revoked from the other member');
    assert.deepEqual(lostByB, [], 'nothing was lost by the other member');
  } finally {
    for (const c of controllers) c.abort();
    await Promise.allSettled(runs);
    await Promise.all([a.close(), b.close(), a2?.close()]);
  }
}

/**
 * max.poll.interval.ms: a handler that hangs makes the member leave the group (epoch -1); its partitions move to
 * the other member, and when the handler returns the partitions are lost (onPartitionsLost, no commit), the member
 * rejoins with epoch 0, and the uncommitted records are delivered again (at-least-once): none is missing.
 */
export async function pollTimeoutLosesPartitions(bootstrap: string, topic: string, groupId: string): Promise<void> {
  const PARTITIONS = 2;
  await createTopic(bootstrap, topic, PARTITIONS);
  const values = await produce(bootstrap, topic, PARTITIONS, 'p-', 40);
  const slow = member(bootstrap, groupId, { maxPollIntervalMs: 1000 });
  const other = member(bootstrap, groupId);
  const lost: string[] = [];
  const revoked: string[] = [];
  const seen: string[] = [];
  let hung = false;
  const controllers = [new AbortController(), new AbortController()];
  const runs: Promise<void>[] = [];
  try {
    slow.subscribe(topic, { onPartitionsLost: (tps) => void lost.push(...tps.map(key)), onPartitionsRevoked: (tps) => void revoked.push(...tps.map(key)) });
    runs.push(slow.run({
      signal: controllers[0].signal,
      eachRecord: async (record) => {
        if (!hung) {
          hung = true;
          await sleep(3000); // longer than max.poll.interval.ms
          return; // processed, but too late: never committed by this member
        }
        seen.push(record.valueString() ?? '');
      },
    }));
    await waitUntil('the slow member hanging in its handler', () => hung);
    const epochBefore = slow.groupMetadata().generationId;
    assert.ok(epochBefore > 0, 'joined before hanging');
    other.subscribe(topic);
    runs.push(other.run({ signal: controllers[1].signal, eachRecord: (record) => void seen.push(record.valueString() ?? '') }));
    await waitUntil('every record seen, and the slow member lost its partitions and rejoined', () => new Set(seen).size === values.length && lost.length > 0 && slow.groupMetadata().generationId > 0);
    assert.ok(lost.length > 0, 'onPartitionsLost after the poll timeout');
    assert.deepEqual(revoked.filter((k) => lost.includes(k)), [], 'lost partitions are not also revoked');
    assert.deepEqual(values.filter((v) => !seen.includes(v)), [], 'every record delivered, the one processed too late again (never committed)');
  } finally {
    for (const c of controllers) c.abort();
    await Promise.allSettled(runs);
    await Promise.all([slow.close(), other.close()]);
  }
}

/**
 * subscribe({ regex }): the broker resolves KIP-848's SubscribedTopicRegex against whole topic names; the member
 * gets every partition of the matching topics and nothing of a topic whose name only contains a match.
 */
export async function brokerRegex(bootstrap: string, prefix: string, groupId: string): Promise<void> {
  await createTopic(bootstrap, `${prefix}-a`, 2);
  await createTopic(bootstrap, `${prefix}-b`, 2);
  await createTopic(bootstrap, `x-${prefix}-c`, 2);
  const wanted = [...await produce(bootstrap, `${prefix}-a`, 2, 'a-', 20), ...await produce(bootstrap, `${prefix}-b`, 2, 'b-', 20)];
  await produce(bootstrap, `x-${prefix}-c`, 2, 'c-', 20);
  const c = member(bootstrap, groupId);
  const controller = new AbortController();
  const seen: string[] = [];
  let run: Promise<void> | null = null;
  try {
    c.subscribe({ regex: `${prefix}-.*` });
    run = c.run({ signal: controller.signal, eachRecord: (record) => void seen.push(record.valueString() ?? '') });
    await waitUntil('the four matching partitions and their records', () => seen.length >= 40 && c.assignment().length === 4);
    await sleep(300);
    assert.deepEqual(c.assignment().map(key).sort(), [`${prefix}-a-0`, `${prefix}-a-1`, `${prefix}-b-0`, `${prefix}-b-1`]);
    assert.deepEqual([...seen].sort(), [...wanted].sort(), 'the records of the matching topics, once, and nothing else');
  } finally {
    controller.abort();
    await run;
    await c.close();
  }
}
