// seqlog's transactional producer against a three-node Apache Kafka whose transaction coordinator (the leader of
// the transactional id's __transaction_state partition, replication factor 3, min ISR 2) is SIGKILLed while a
// commit is in flight. Each transaction writes to every partition of a replicated topic. The test follows the
// documented rules for the errors it may get: retriable -> call commitTransaction() again; abortable -> abort and
// run the transaction again; fatal -> close, start a new producer with the same transactional id (its
// InitProducerId completes or aborts what the old one left) and run it again. Asserted, with seqlog's consumer
// reading read_committed: every attempt whose commit returned is visible exactly once on every partition, no
// aborted attempt is visible, an attempt whose outcome is unknown (fatal error) is all-or-nothing, and every
// transaction has at least one visible attempt.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { connectToAnyLiveNode, liveCoordinator } from '../reference/cluster-probe.ts';
import { Consumer, ErrorKind, KafkaClientError, Producer, type ConsumerRecord } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';

const TOPIC = 'seqlog-txn-cluster';
const TRANSACTIONAL_ID = 'seqlog-txn-cluster-id';
const PARTITIONS = 3;
const RECORDS_PER_PARTITION = 2;
const TRANSACTIONS = 40;
/** The coordinator is killed right after this transaction's commit is issued. */
const KILL_AT = 10;

type Outcome = 'committed' | 'aborted' | 'unknown';
interface Attempt {
  readonly transaction: number;
  readonly attempt: number;
  outcome: Outcome;
  readonly values: string[];
}

function describeError(error: unknown): string {
  return error instanceof KafkaClientError ? `${error.errorName} (${error.kind}): ${error.message}` : String(error);
}

describe('transactions against reference Apache Kafka, three nodes, transaction coordinator killed mid-commit', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 3 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it(`${TRANSACTIONS} transactions over ${PARTITIONS} partitions across a coordinator kill: committed ones visible once and whole, aborted ones never`, { timeout: 240_000 }, async () => {
    const log = (line: string): void => void process.stderr.write(`transactions-cluster: ${line}\n`);
    const admin = await connectToAnyLiveNode(kafka);
    try {
      const response = await admin.send(ApiKey.CreateTopics, admin.versionFor(ApiKey.CreateTopics, 2, 7) ?? 2, {
        topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
        timeoutMs: 60_000,
        validateOnly: false,
      });
      assert.equal(response.topics[0].errorCode, ErrorCode.NONE, `CreateTopics: ${errorName(response.topics[0].errorCode)}`);
    } finally {
      admin.close();
    }

    const newProducer = (): Producer =>
      new Producer({ bootstrap: kafka.bootstrap, transactionalId: TRANSACTIONAL_ID, lingerMs: 1, requestTimeoutMs: 10_000, deliveryTimeoutMs: 60_000, maxBlockMs: 60_000, transactionTimeoutMs: 30_000 });
    let producer = newProducer();
    await producer.initTransactions();
    const victim = await liveCoordinator(kafka, TRANSACTIONAL_ID, 1, 30_000);
    // The kill is survivable only because the transaction log is replicated: three replicas, all in sync.
    const probe = await connectToAnyLiveNode(kafka);
    try {
      const metadata = await probe.send(ApiKey.Metadata, probe.versionFor(ApiKey.Metadata, 4, 12) ?? 4, {
        topics: [{ topicId: Buffer.alloc(16), name: '__transaction_state' }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      const partitions = metadata.topics.find((t) => t.name === '__transaction_state')?.partitions ?? [];
      assert.ok(partitions.length > 0, '__transaction_state exists');
      for (const partition of partitions) {
        assert.equal(partition.replicaNodes.length, 3, `__transaction_state-${partition.partitionIndex} replicas`);
        assert.equal(partition.isrNodes.length, 3, `__transaction_state-${partition.partitionIndex} in-sync replicas`);
      }
    } finally {
      probe.close();
    }
    log(`transaction coordinator of ${TRANSACTIONAL_ID} is node ${victim}`);

    const attempts: Attempt[] = [];
    const errors: string[] = [];
    let kill: Promise<number> | null = null;
    let killedDuringCommit = false;
    const started = performance.now();
    try {
      for (let t = 0; t < TRANSACTIONS; t++) {
        for (let a = 0; ; a++) {
          assert.ok(a < 5, `transaction ${t} failed ${a} times: ${errors.slice(-3).join(' | ')}`);
          const values = Array.from({ length: PARTITIONS * RECORDS_PER_PARTITION }, (_, i) => `t${t}-a${a}-p${i % PARTITIONS}-${Math.floor(i / PARTITIONS)}`);
          const attempt: Attempt = { transaction: t, attempt: a, outcome: 'unknown', values };
          attempts.push(attempt);
          try {
            await producer.beginTransaction();
            await Promise.all(values.map((value, i) => producer.send({ topic: TOPIC, partition: i % PARTITIONS, value })));
            let commit = producer.commitTransaction();
            if (t === KILL_AT && kill === null) {
              kill = kafka.killBroker(victim).then(() => performance.now() - started);
            }
            // Retriable (max.block.ms elapsed): the commit goes on; Kafka's rule is to call it again.
            for (let retry = 0; ; retry++) {
              try {
                await commit;
                break;
              } catch (error) {
                if (!(error instanceof KafkaClientError) || error.kind !== ErrorKind.retriable || retry >= 3) throw error;
                errors.push(`t${t} a${a} commit: ${describeError(error)}`);
                commit = producer.commitTransaction();
              }
            }
            if (t === KILL_AT) killedDuringCommit = kafka.brokers.find((b) => b.id === victim)?.alive === false;
            attempt.outcome = 'committed';
            break;
          } catch (error) {
            errors.push(`t${t} a${a}: ${describeError(error)}`);
            if (error instanceof KafkaClientError && error.kind === ErrorKind.abortable) {
              try {
                await producer.abortTransaction();
                attempt.outcome = 'aborted';
                continue;
              } catch (abortError) {
                errors.push(`t${t} a${a} abort: ${describeError(abortError)}`);
              }
            }
            // Fatal (or an abort that failed): the outcome is unknown; a new instance takes the id over.
            await producer.close().catch(() => undefined);
            producer = newProducer();
            await producer.initTransactions();
          }
        }
      }
    } finally {
      await producer.close();
    }
    assert.ok(kill !== null, 'the kill never happened');
    const killedAtMs = await kill;
    const elapsedMs = performance.now() - started;
    const newCoordinator = await liveCoordinator(kafka, TRANSACTIONAL_ID, 1, 30_000);
    log(`${attempts.length} attempts for ${TRANSACTIONS} transactions in ${Math.round(elapsedMs)} ms; node ${victim} killed at ${Math.round(killedAtMs)} ms (commit of t${KILL_AT} still in flight: ${killedDuringCommit}); coordinator now node ${newCoordinator}`);
    for (const line of errors) log(`  ${line}`);
    assert.notEqual(newCoordinator, victim, 'the transaction coordinator moved to a live node');

    // Read everything back, read_committed, up to the last stable offset of each partition.
    const consumer = new Consumer({ bootstrap: kafka.bootstrap, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
    const seen = new Map<string, number>();
    try {
      const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition }));
      consumer.assign(partitions);
      const ends = await consumer.endOffsets(partitions);
      // Each partition ends with a commit or abort marker, which no record is delivered for: the read is over when
      // the consumer's fetch position passed every end offset and no record arrived for a few checks since.
      const controller = new AbortController();
      let delivered = 0;
      let quiet = 0;
      let lastDelivered = -1;
      const watcher = setInterval(() => {
        const passed = ends.every((end) => (consumer.position(end) ?? -1n) >= end.offset);
        quiet = passed && delivered === lastDelivered ? quiet + 1 : 0;
        lastDelivered = delivered;
        if (quiet >= 3) controller.abort();
      }, 100);
      const timer = setTimeout(() => controller.abort(), 60_000);
      try {
        await consumer.run({
          signal: controller.signal,
          eachRecord: (record: ConsumerRecord) => {
            const value = record.valueString() ?? '<null>';
            delivered++;
            seen.set(value, (seen.get(value) ?? 0) + 1);
            assert.equal(value.split('-')[2], `p${record.partition}`, `${value} read from partition ${record.partition}`);
          },
        });
      } finally {
        clearInterval(watcher);
        clearTimeout(timer);
      }
      assert.ok(ends.every((end) => (consumer.position(end) ?? -1n) >= end.offset), `the read stopped before the end offsets ${JSON.stringify(ends.map((e) => `${e.partition}:${e.offset}`))}`);
      log(`end offsets ${JSON.stringify(ends.map((e) => `${e.partition}:${e.offset}`))}; read ${[...seen.values()].reduce((s, n) => s + n, 0)} records`);
    } finally {
      await consumer.close();
    }

    const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
    assert.deepEqual(duplicated, [], 'records read more than once');
    const problems: string[] = [];
    for (const attempt of attempts) {
      const visible = attempt.values.filter((v) => seen.has(v)).length;
      const label = `t${attempt.transaction} a${attempt.attempt} (${attempt.outcome})`;
      if (attempt.outcome === 'committed' && visible !== attempt.values.length) problems.push(`${label}: ${visible}/${attempt.values.length} visible`);
      if (attempt.outcome === 'aborted' && visible !== 0) problems.push(`${label}: ${visible} records visible`);
      if (attempt.outcome === 'unknown' && visible !== 0 && visible !== attempt.values.length) problems.push(`${label}: partly visible, ${visible}/${attempt.values.length}`);
    }
    assert.deepEqual(problems, []);
    for (let t = 0; t < TRANSACTIONS; t++) {
      assert.ok(attempts.some((a) => a.transaction === t && a.outcome === 'committed'), `transaction ${t} never committed`);
    }
    const expected = attempts.filter((a) => a.outcome === 'committed' || a.values.every((v) => seen.has(v))).flatMap((a) => a.values);
    assert.equal(seen.size, expected.length, 'records visible that no attempt wrote');
  });
});
