// seqlog's consumer in a group over 12 partitions of a three-node Apache Kafka while a producer writes; members
// join and leave, and the node that coordinates the group is SIGKILLed mid-run. Two scenarios share the cluster:
//  - classic protocol (cooperative-sticky): members commit every few records and in onPartitionsRevoked
//    (auto-commit off, so every successful commit is known). Asserted: every produced record is delivered; within
//    one member's ownership of a partition, offsets arrive strictly one after another; a record delivered twice is
//    never below the last commit that succeeded for its partition before the second delivery.
//  - groupProtocol 'consumer' (KIP-848): an idempotent acks=all producer writes keyed records to a topic with
//    replication factor 3 and min.insync.replicas 2; two members, then three, one leaves, one joins, and the group
//    coordinator is killed. Asserted: every acknowledged record is consumed at the partition and offset the broker
//    acknowledged, offsets follow each other within an ownership, each partition holds its records in send order,
//    no member fails, and at the end ConsumerGroupDescribe shows a stable group in which every partition is owned
//    by exactly one running member, matching each consumer's assignment().
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { connectToAnyLiveNode, liveCoordinator } from '../reference/cluster-probe.ts';
import { BrokerConnection, Consumer, Producer, type ConsumerRecord, type TopicPartition } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { ConsumerGroupDescribeResponseDescribedGroup } from '../../src/protocol/messages/generated/69-consumer-group-describe.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';

const TOPIC = 'seqlog-consumer-cluster';
const GROUP = 'seqlog-consumer-cluster-group';
const PARTITIONS = 12;
const COUNT = 12_000;
const RATE = 1_500;

type Event =
  | { kind: 'record'; member: string; partition: number; offset: bigint; value: string }
  | { kind: 'assigned' | 'revoked' | 'lost'; member: string; partitions: number[] }
  | { kind: 'committed'; member: string; offsets: Map<number, bigint> };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** ConsumerGroupDescribe (KIP-848) sent to the group's coordinator. */
async function describeConsumerGroup(kafka: ReferenceKafka, groupId: string): Promise<ConsumerGroupDescribeResponseDescribedGroup> {
  const node = await liveCoordinator(kafka, groupId, 0, 30_000);
  const broker = kafka.brokers.find((b) => b.id === node);
  assert.ok(broker !== undefined, `coordinator node ${node} is a reference broker`);
  const connection = await BrokerConnection.open({ host: broker.host, port: broker.port, connectTimeoutMs: 5000 });
  try {
    await connection.negotiateApiVersions();
    const response = await connection.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
    return response.groups[0];
  } finally {
    connection.close();
  }
}

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('consumer group against reference Apache Kafka, three nodes, coordinator killed mid-run', { timeout: 900_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({
      brokers: 3,
      // KIP-848 members heartbeat every 500 ms instead of Kafka's 5 s, so that partitions move within a second.
      // The classic scenario does not read these.
      config: { 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '500' },
    });
  });

  after(async () => {
    await kafka?.stop();
  });

  it(`delivers all ${COUNT} records across joins, leaves and a coordinator kill; order per partition; redelivery only after the last commit`, { timeout: 600_000 }, async () => {
    const admin = await connectToAnyLiveNode(kafka);
    let coordinatorNode: number;
    try {
      const response = await admin.send(ApiKey.CreateTopics, admin.versionFor(ApiKey.CreateTopics, 2, 7) ?? 2, {
        topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
        timeoutMs: 60_000,
        validateOnly: false,
      });
      assert.equal(response.topics[0].errorCode, ErrorCode.NONE, `CreateTopics: ${errorName(response.topics[0].errorCode)}`);
      let found = -1;
      for (let attempt = 0; attempt < 100 && found < 0; attempt++) {
        const coordinator = await admin.send(ApiKey.FindCoordinator, 3, { key: GROUP, keyType: 0, coordinatorKeys: [] });
        if (coordinator.errorCode === ErrorCode.NONE) found = coordinator.nodeId;
        else await sleep(200);
      }
      coordinatorNode = found;
      assert.ok(coordinatorNode >= 0, 'the group has a coordinator');
    } finally {
      admin.close();
    }
    const log = (line: string): void => void process.stderr.write(`consumer-cluster: ${line}\n`);

    const events: Event[] = [];
    const members = new Map<string, { consumer: Consumer; controller: AbortController; run: Promise<void> }>();
    const startMember = (name: string): void => {
      const consumer = new Consumer({
        bootstrap: kafka.bootstrap,
        groupId: GROUP,
        autoOffsetReset: 'earliest',
        enableAutoCommit: false,
        fetchMaxWaitMs: 100,
        heartbeatIntervalMs: 500,
        sessionTimeoutMs: 10_000,
        maxPollIntervalMs: 60_000,
        partitionAssignors: ['cooperative-sticky'],
      });
      const commit = async (): Promise<void> => {
        const offsets = new Map(consumer.lag().filter((l) => l.consumed !== null).map((l) => [l.partition, l.consumed as bigint]));
        try {
          await consumer.commit();
          events.push({ kind: 'committed', member: name, offsets });
        } catch {
          // A commit that failed guarantees nothing; redelivery from the previous one is allowed.
        }
      };
      const partitionsOf = (tps: TopicPartition[]): number[] => tps.map((tp) => tp.partition).sort((a, b) => a - b);
      consumer.subscribe(TOPIC, {
        onPartitionsAssigned: (tps) => void events.push({ kind: 'assigned', member: name, partitions: partitionsOf(tps) }),
        onPartitionsRevoked: async (tps) => {
          await commit();
          events.push({ kind: 'revoked', member: name, partitions: partitionsOf(tps) });
        },
        onPartitionsLost: (tps) => void events.push({ kind: 'lost', member: name, partitions: partitionsOf(tps) }),
      });
      const controller = new AbortController();
      let handled = 0;
      const run = consumer.run({
        signal: controller.signal,
        eachRecord: async (record: ConsumerRecord) => {
          events.push({ kind: 'record', member: name, partition: record.partition, offset: record.offset, value: record.valueString() ?? '' });
          if (++handled % 97 === 0) await commit();
        },
      }).catch((error: unknown) => log(`${name} run failed: ${(error as Error).message}`));
      members.set(name, { consumer, controller, run });
    };
    const stopMember = async (name: string): Promise<void> => {
      const member = members.get(name);
      if (member === undefined) return;
      member.controller.abort();
      await member.run;
      await member.consumer.close();
      members.delete(name);
    };

    const producer = new Producer({ bootstrap: kafka.bootstrap, acks: 'all', deliveryTimeoutMs: 120_000 });
    const produced: Promise<unknown>[] = [];
    const producing = (async () => {
      const started = Date.now();
      for (let i = 0; i < COUNT; i++) {
        const partition = i % PARTITIONS;
        produced.push(producer.send({ topic: TOPIC, partition, value: `p${partition}-${Math.floor(i / PARTITIONS)}` }));
        const due = started + (i * 1000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      await Promise.all(produced);
    })();

    try {
      startMember('a');
      startMember('b');
      await sleep(1500);
      startMember('c');
      await sleep(1500);
      log(`stopping member a; killing coordinator node ${coordinatorNode}`);
      await stopMember('a');
      await kafka.killBroker(coordinatorNode);
      await sleep(1500);
      startMember('d');
      await producing;
      log('all records produced');
      const delivered = (): Set<string> => new Set(events.filter((e) => e.kind === 'record').map((e) => (e as { value: string }).value));
      const deadline = Date.now() + 120_000;
      while (delivered().size < COUNT && Date.now() < deadline) await sleep(250);
      for (const name of [...members.keys()]) await stopMember(name);
      const seen = delivered();
      const missing = Array.from({ length: COUNT }, (_, i) => `p${i % PARTITIONS}-${Math.floor(i / PARTITIONS)}`).filter((v) => !seen.has(v));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} record(s) never delivered`);
    } finally {
      for (const name of [...members.keys()]) await stopMember(name).catch(() => undefined);
      await producer.close();
    }

    // Order within an ownership: per member and partition, from an assignment to a revoke/loss.
    const owning = new Map<string, bigint | null>();
    const lastCommitted = new Map<number, bigint>();
    const deliveredOnce = new Set<string>();
    let duplicates = 0;
    for (const event of events) {
      if (event.kind === 'assigned') for (const p of event.partitions) owning.set(`${event.member}/${p}`, null);
      else if (event.kind === 'revoked' || event.kind === 'lost') for (const p of event.partitions) owning.delete(`${event.member}/${p}`);
      else if (event.kind === 'committed') {
        for (const [p, offset] of event.offsets) if (offset > (lastCommitted.get(p) ?? -1n)) lastCommitted.set(p, offset);
      } else if (event.kind === 'record') {
        const key = `${event.member}/${event.partition}`;
        assert.ok(owning.has(key), `${event.member} got a record of partition ${event.partition} it does not own`);
        const previous = owning.get(key);
        if (previous !== null && previous !== undefined) assert.equal(event.offset, previous + 1n, `${key}: offsets in order without gaps`);
        owning.set(key, event.offset);
        const id = `${event.partition}:${event.offset}`;
        if (deliveredOnce.has(id)) {
          duplicates++;
          assert.ok(event.offset >= (lastCommitted.get(event.partition) ?? 0n), `${id} redelivered although offset ${lastCommitted.get(event.partition)} was committed`);
        }
        deliveredOnce.add(id);
      }
    }
    const count = (kind: Event['kind']): number => events.filter((e) => e.kind === kind).length;
    log(`${deliveredOnce.size} distinct records, ${duplicates} redelivered; ${count('assigned')} assignments, ${count('revoked')} revocations, ${count('lost')} losses, ${count('committed')} commits`);
    assert.ok(count('revoked') > 0, 'partitions moved between members');
  });

  // KIP-848 (groupProtocol 'consumer'): the broker assigns, members heartbeat with their epoch. Runs after the
  // classic scenario on the same cluster, first bringing back the node that scenario killed (a second kill with
  // one node already down would leave the controller quorum and min.insync.replicas short).
  it('groupProtocol consumer (KIP-848): every acknowledged keyed record consumed across joins, a leave and a coordinator kill; order per partition; assignments converge', { timeout: 300_000 }, async () => {
    const topic = 'seqlog-kip848-cluster';
    const groupId = 'seqlog-kip848-cluster-group';
    const rate = 400;
    const log = (line: string): void => void process.stderr.write(`kip848-cluster: ${line}\n`);
    for (const broker of kafka.brokers.filter((b) => !b.alive)) await kafka.restartBroker(broker.id);
    await kafka.waitForLiveBrokers(3, 60_000);

    const admin = await connectToAnyLiveNode(kafka);
    try {
      const response = await admin.send(ApiKey.CreateTopics, admin.versionFor(ApiKey.CreateTopics, 2, 7) ?? 2, {
        topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
        timeoutMs: 60_000,
        validateOnly: false,
      });
      assert.equal(response.topics[0].errorCode, ErrorCode.NONE, `CreateTopics: ${errorName(response.topics[0].errorCode)}`);
    } finally {
      admin.close();
    }

    // One record on every partition first, from a producer without idempotence: until a new partition's leader has
    // taken over, its first Produce is answered NOT_LEADER_OR_FOLLOWER, and an idempotent producer's later batch
    // pipelined behind it on the same connection can be accepted first (the broker takes any sequence from a
    // producer it has no state for), after which the retried first batch gets OUT_OF_ORDER_SEQUENCE_NUMBER until
    // delivery.timeout.ms (Java's TransactionManager.canRetry behaves alike). That race is the producer's, not what
    // this scenario is about.
    const warmup = new Producer({ bootstrap: kafka.bootstrap, acks: 'all', idempotent: false });
    try {
      await warmup.send(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, value: `warmup-${partition}` })));
    } finally {
      await warmup.close();
    }
    // The producer: idempotent (the default), acks=all, keyed records at a steady rate until told to stop. What
    // counts is what was acknowledged, with the partition and offset the broker gave it.
    const producer = new Producer({ bootstrap: kafka.bootstrap, acks: 'all', deliveryTimeoutMs: 60_000 });
    const acknowledged = new Map<string, { partition: number; offset: bigint }>();
    const sendFailures: string[] = [];
    let sent = 0;
    let stopProducing = false;
    const producing = (async () => {
      const pending: Promise<void>[] = [];
      const started = Date.now();
      for (let i = 0; !stopProducing; i++) {
        const value = `v${i}`;
        pending.push(producer.send({ topic, key: `key-${i % 97}`, value }).then(
          (metadata) => void acknowledged.set(value, { partition: metadata.partition, offset: metadata.offset }),
          (error: unknown) => void sendFailures.push(`${value}: ${(error as Error).message}`),
        ));
        sent = i + 1;
        const due = started + (i * 1000) / rate;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      await Promise.all(pending);
    })();

    type Kip848Event =
      | { kind: 'record'; member: string; partition: number; offset: bigint; value: string }
      | { kind: 'assigned' | 'revoked' | 'lost'; member: string; partitions: number[] };
    const events: Kip848Event[] = [];
    const failures: string[] = [];
    const members = new Map<string, { consumer: Consumer; controller: AbortController; run: Promise<void> }>();
    const startMember = (name: string): void => {
      const consumer = new Consumer({
        bootstrap: kafka.bootstrap,
        groupId,
        groupProtocol: 'consumer',
        autoOffsetReset: 'earliest',
        enableAutoCommit: false,
        fetchMaxWaitMs: 100,
        maxPollIntervalMs: 60_000,
      });
      const commit = async (): Promise<void> => {
        try {
          await consumer.commit();
        } catch (error) {
          // A failed commit only means redelivery from the previous one; it is no fatal error.
          log(`${name} commit failed: ${(error as Error).message}`);
        }
      };
      const partitionsOf = (tps: TopicPartition[]): number[] => tps.map((tp) => tp.partition).sort((a, b) => a - b);
      consumer.subscribe(topic, {
        onPartitionsAssigned: (tps) => void events.push({ kind: 'assigned', member: name, partitions: partitionsOf(tps) }),
        onPartitionsRevoked: async (tps) => {
          await commit();
          events.push({ kind: 'revoked', member: name, partitions: partitionsOf(tps) });
        },
        onPartitionsLost: (tps) => void events.push({ kind: 'lost', member: name, partitions: partitionsOf(tps) }),
      });
      const controller = new AbortController();
      let handled = 0;
      const run = consumer.run({
        signal: controller.signal,
        eachRecord: async (record: ConsumerRecord) => {
          events.push({ kind: 'record', member: name, partition: record.partition, offset: record.offset, value: record.valueString() ?? '' });
          if (++handled % 50 === 0) await commit();
        },
      }).catch((error: unknown) => {
        failures.push(`${name}: ${(error as Error).message}`);
        log(`${name} run failed: ${(error as Error).message}`);
      });
      members.set(name, { consumer, controller, run });
    };
    const stopMember = async (name: string): Promise<void> => {
      const member = members.get(name);
      if (member === undefined) return;
      members.delete(name);
      member.controller.abort();
      await member.run;
      await member.consumer.close();
    };
    const consumedBy = (name: string): number => events.filter((e) => e.kind === 'record' && e.member === name).length;
    const consumedValues = (): Set<string> => new Set(events.filter((e) => e.kind === 'record').map((e) => (e as { value: string }).value));
    /** Every partition owned by exactly one of the running members (as each consumer's assignment() says). */
    const ownedExactlyOnce = (): boolean => {
      const owned = [...members.values()].flatMap(({ consumer }) => consumer.assignment().map((tp) => tp.partition));
      return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS;
    };
    const everyoneOwnsSome = (): boolean => [...members.values()].every(({ consumer }) => consumer.assignment().length > 0);

    let victim = -1;
    try {
      startMember('a');
      startMember('b');
      await waitUntil('members a and b to share every partition and consume', () => ownedExactlyOnce() && everyoneOwnsSome() && consumedBy('a') > 0 && consumedBy('b') > 0, 60_000);
      startMember('c');
      await waitUntil('member c to get partitions and consume', () => ownedExactlyOnce() && everyoneOwnsSome() && consumedBy('c') > 0, 60_000);
      log(`member a leaves after ${sent} records sent`);
      await stopMember('a');
      startMember('d');
      await waitUntil('member d to get partitions and consume', () => ownedExactlyOnce() && everyoneOwnsSome() && consumedBy('d') > 0, 60_000);

      victim = await liveCoordinator(kafka, groupId, 0, 30_000);
      const before = events.length;
      log(`killing the group coordinator, node ${victim}, after ${sent} records sent`);
      await kafka.killBroker(victim);
      // Consumption goes on: every member delivers records again after the kill, and the group keeps owning
      // every partition exactly once.
      const deliveredSinceKill = (name: string): boolean => events.slice(before).some((e) => e.kind === 'record' && e.member === name);
      await waitUntil('every member consuming after the coordinator kill', () => [...members.keys()].every(deliveredSinceKill), 90_000);
      const newCoordinator = await liveCoordinator(kafka, groupId, 0, 30_000);
      log(`group coordinator moved from node ${victim} to node ${newCoordinator}; ${sent} records sent`);
      assert.notEqual(newCoordinator, victim, 'the group coordinator moved to a live node');
      // Records written after the failover are consumed too.
      const sentAfterFailover = sent;
      await waitUntil('records sent after the failover to be acknowledged', () => sent > sentAfterFailover + rate && acknowledged.size > sentAfterFailover, 60_000);
      stopProducing = true;
      await producing;
      log(`${sent} records sent, ${acknowledged.size} acknowledged, ${sendFailures.length} failed`);
      await waitUntil('every acknowledged record consumed', () => {
        const seen = consumedValues();
        return [...acknowledged.keys()].every((value) => seen.has(value));
      }, 90_000);

      // Convergence: each running consumer's assignment() is one side of it, the coordinator's view the other.
      const ids = new Map([...members].map(([name, { consumer }]) => [consumer.groupMetadata().memberId, name]));
      let described: ConsumerGroupDescribeResponseDescribedGroup | null = null;
      await waitUntil('ConsumerGroupDescribe to show a stable group whose members own what they were assigned', async () => {
        if (!ownedExactlyOnce()) return false;
        described = await describeConsumerGroup(kafka, groupId).catch(() => null);
        if (described === null || described.errorCode !== ErrorCode.NONE || described.groupState !== 'Stable') return false;
        if (described.groupEpoch !== described.assignmentEpoch || described.members.length !== members.size) return false;
        return described.members.every((m) => {
          const name = ids.get(m.memberId);
          if (name === undefined || m.memberEpoch !== described?.assignmentEpoch) return false;
          const fromBroker = m.assignment.topicPartitions.flatMap((t) => t.partitions).sort((x, y) => x - y).join(',');
          const target = m.targetAssignment.topicPartitions.flatMap((t) => t.partitions).sort((x, y) => x - y).join(',');
          const fromClient = (members.get(name)?.consumer.assignment() ?? []).map((tp) => tp.partition).sort((x, y) => x - y).join(',');
          return fromBroker === target && fromBroker === fromClient;
        });
      }, 60_000);
      const group = described as ConsumerGroupDescribeResponseDescribedGroup | null;
      assert.ok(group !== null);
      const owned = group.members.flatMap((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions)).sort((x, y) => x - y);
      assert.deepEqual(owned, Array.from({ length: PARTITIONS }, (_, p) => p), 'the coordinator lists every partition owned by exactly one member');
      assert.deepEqual([...new Set(group.members.map((m) => ids.get(m.memberId)))].sort(), ['b', 'c', 'd'], 'the group is the running members b, c, d');
      log(`group epoch ${group.groupEpoch}, ${group.members.map((m) => `${ids.get(m.memberId)}@${m.memberEpoch}: ${m.assignment.topicPartitions.flatMap((t) => t.partitions).length} partitions`).join(', ')}`);
    } finally {
      stopProducing = true;
      await producing.catch(() => undefined);
      for (const name of [...members.keys()]) await stopMember(name).catch(() => undefined);
      await producer.close();
    }

    assert.deepEqual(failures, [], 'no member failed');
    // No loss: every acknowledged record was consumed, at the partition and offset the broker acknowledged.
    const consumedAt = new Map<string, string>();
    for (const event of events) if (event.kind === 'record') consumedAt.set(`${event.partition}:${event.offset}`, event.value);
    const lost = [...acknowledged].filter(([value, { partition, offset }]) => consumedAt.get(`${partition}:${offset}`) !== value);
    assert.deepEqual(lost.slice(0, 10).map(([value]) => value), [], `${lost.length} acknowledged record(s) not consumed where the broker put them`);
    // Per-partition order: within one member's ownership, offsets follow each other without gaps; and a
    // partition's records are in the order they were sent (idempotence keeps it across retries).
    const owning = new Map<string, bigint | null>();
    const firstDelivery = new Set<string>();
    let redelivered = 0;
    for (const event of events) {
      if (event.kind === 'assigned') for (const p of event.partitions) owning.set(`${event.member}/${p}`, null);
      else if (event.kind === 'revoked' || event.kind === 'lost') for (const p of event.partitions) owning.delete(`${event.member}/${p}`);
      else if (event.kind === 'record') {
        const key = `${event.member}/${event.partition}`;
        assert.ok(owning.has(key), `${event.member} got a record of partition ${event.partition} it does not own`);
        const previous = owning.get(key);
        if (previous !== null && previous !== undefined) assert.equal(event.offset, previous + 1n, `${key}: offsets in order without gaps`);
        owning.set(key, event.offset);
        const id = `${event.partition}:${event.offset}`;
        if (firstDelivery.has(id)) {
          redelivered++;
          continue;
        }
        firstDelivery.add(id);
      }
    }
    const byPartition = new Map<number, { offset: bigint; index: number }[]>();
    for (const [value, { partition, offset }] of acknowledged) byPartition.set(partition, [...(byPartition.get(partition) ?? []), { offset, index: Number(value.slice(1)) }]);
    for (const [partition, records] of byPartition) {
      records.sort((x, y) => (x.offset < y.offset ? -1 : 1));
      for (let i = 1; i < records.length; i++) assert.ok(records[i].index > records[i - 1].index, `partition ${partition}: v${records[i].index} at offset ${records[i].offset} follows v${records[i - 1].index}, sent later`);
    }
    assert.equal(byPartition.size, PARTITIONS, 'keyed records reached every partition');
    assert.ok(acknowledged.size > sent / 2, `most records acknowledged (${acknowledged.size} of ${sent})`);
    const count = (kind: Kip848Event['kind']): number => events.filter((e) => e.kind === kind).length;
    log(`${acknowledged.size} acknowledged records all consumed (${redelivered} redelivered); ${count('assigned')} assignments, ${count('revoked')} revocations, ${count('lost')} losses; send failures: ${sendFailures.slice(0, 3).join(' | ') || 'none'}`);
    assert.ok(count('revoked') > 0, 'partitions moved between members');
  });
});
