// seqlog's consumer in a three-member group over 12 partitions of a three-node Apache Kafka while a producer
// writes; members join and leave, and the node that coordinates the group is SIGKILLed mid-run. Members commit
// every few records and in onPartitionsRevoked (auto-commit off, so every successful commit is known).
// Asserted: every produced record is delivered; within one member's ownership of a partition, offsets arrive
// strictly one after another; a record delivered twice is never below the last commit that succeeded for its
// partition before the second delivery (only what came after the last commit is redelivered).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { BrokerConnection, Consumer, Producer, type ConsumerRecord, type TopicPartition } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
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

async function anyLive(kafka: ReferenceKafka): Promise<BrokerConnection> {
  for (const broker of kafka.brokers.filter((b) => b.alive)) {
    try {
      const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port, connectTimeoutMs: 5000 });
      await connection.negotiateApiVersions();
      return connection;
    } catch {
      // next
    }
  }
  throw new Error('no live broker');
}

describe('consumer group against reference Apache Kafka, three nodes, coordinator killed mid-run', { timeout: 900_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 3 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it(`delivers all ${COUNT} records across joins, leaves and a coordinator kill; order per partition; redelivery only after the last commit`, { timeout: 600_000 }, async () => {
    const admin = await anyLive(kafka);
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
});
