// Admin.abortTransaction and Admin.findHangingTransactions (kafka-transactions abort / find-hanging, KIP-664), and
// the `seqlog transactions find-hanging|abort` commands on them, against seqlog and a one-node Apache Kafka 4.4,
// asserting the same outcome on both: an open transaction its coordinator still has in progress is not hanging,
// however old; aborting it at the partition (an ABORT marker from WriteTxnMarkers, as Kafka's
// `Admin.abortTransaction`) ends it there and moves the last stable offset past it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, Producer } from '../../src/client/index.ts';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const TOPIC = 'hanging-txn';

async function seqlogCli(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
  return stdout;
}

interface Outcome {
  hangingWhileOpen: number;
  hangingFromCli: unknown[];
  lastStableBefore: string;
  highWatermark: string;
  aborted: string;
  lastStableAfter: string;
  openAfter: number;
}

const jsonText = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

async function scenario(bootstrap: string): Promise<Outcome> {
  const admin = new Admin({ bootstrap });
  const producer = new Producer({ bootstrap, transactionalId: 'abort-me' });
  try {
    await admin.createTopics([{ name: TOPIC, partitions: 1, replicationFactor: 1 }]);
    await producer.beginTransaction();
    await producer.send({ topic: TOPIC, partition: 0, value: 'one' });
    await producer.send({ topic: TOPIC, partition: 0, value: 'two' });
    const offsets = async (readCommitted: boolean) => (await admin.listOffsets([{ topic: TOPIC, partition: 0, spec: 'latest' }], { readCommitted }))[0]?.offset.toString() ?? '?';
    // Looked at a minute from now with a one-millisecond timeout, the transaction is a candidate; its coordinator
    // has it Ongoing with this partition, so it is not hanging.
    const whileOpen = await admin.findHangingTransactions({ topic: TOPIC, maxTransactionTimeoutMs: 1, nowMs: Date.now() + 60_000 });
    const hangingFromCli = JSON.parse(await seqlogCli(['transactions', 'find-hanging', '--bootstrap', bootstrap, '--broker', '1', '--json'])) as unknown[];
    const lastStableBefore = await offsets(true);
    const highWatermark = await offsets(false);
    const [open] = (await admin.describeProducers([{ topic: TOPIC, partition: 0 }]))[0]?.producers.filter((p) => p.currentTransactionStartOffset >= 0n) ?? [];
    assert.ok(open !== undefined, 'DescribeProducers lists the open transaction');
    const aborted = await seqlogCli(['transactions', 'abort', '--bootstrap', bootstrap, '--topic', TOPIC, '--partition', '0', '--start-offset', open.currentTransactionStartOffset.toString()]);
    const after = (await admin.describeProducers([{ topic: TOPIC, partition: 0 }]))[0]?.producers.filter((p) => p.currentTransactionStartOffset >= 0n) ?? [];
    return {
      hangingWhileOpen: whileOpen.length,
      hangingFromCli,
      lastStableBefore,
      highWatermark,
      aborted: aborted.replace(/producer \d+/, 'producer <id>').trim(),
      lastStableAfter: await offsets(true),
      openAfter: after.length,
    };
  } finally {
    // The coordinator still has the transaction: the producer ends it (its own markers find nothing open).
    await producer.abortTransaction().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await admin.close();
  }
}

describe('hanging transactions: find and abort, on seqlog and Apache Kafka', { timeout: 300_000 }, () => {
  let seqlog: RunningBroker;
  let kafka: ReferenceKafka;
  before(async () => {
    seqlog = await startBroker();
    kafka = await startReferenceKafka({ brokers: 1 });
  });
  after(async () => {
    await seqlog?.close();
    await kafka?.stop();
  });

  it('an in-progress transaction is not hanging; transactions abort ends it at the partition and the LSO moves', async () => {
    const onKafka = await scenario(kafka.bootstrap);
    const onSeqlog = await scenario(seqlog.bootstrap);
    // What Kafka itself answers, so that "equal" means "right".
    assert.equal(onKafka.hangingWhileOpen, 0, jsonText(onKafka));
    assert.deepEqual(onKafka.hangingFromCli, []);
    assert.equal(onKafka.lastStableBefore, '0');
    assert.equal(onKafka.highWatermark, '2');
    assert.match(onKafka.aborted, /^aborted the transaction of producer <id> \(epoch 0\) on hanging-txn-0 from offset 0$/);
    assert.equal(onKafka.lastStableAfter, '3', 'the ABORT marker is written after the two records and the LSO passes it');
    assert.equal(onKafka.openAfter, 0);
    assert.deepEqual(onSeqlog, onKafka, `seqlog ${jsonText(onSeqlog)}\nKafka ${jsonText(onKafka)}`);
  });
});

describe('hanging transactions: a producer no coordinator knows (seqlog)', { timeout: 120_000 }, () => {
  it('an open transaction whose coordinator lost it is hanging, for the admin client and `seqlog transactions find-hanging`, and abort ends it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-hanging-'));
    let broker = await startBroker({ dataDir, topics: [{ name: TOPIC }] });
    try {
      const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'lost-by-coordinator' });
      await producer.beginTransaction();
      await producer.send({ topic: TOPIC, partition: 0, value: 'left open' });
      // The broker goes away under the open transaction, then comes back without its transaction log (a lost
      // coordinator state, the case KIP-664's tool exists for): the partition still has the transaction open.
      await broker.close();
      await producer.close().catch(() => undefined);
      rmSync(join(dataDir, '__transaction_state'), { recursive: true, force: true });
      broker = await startBroker({ dataDir });
      const admin = new Admin({ bootstrap: broker.bootstrap });
      try {
        const [open] = (await admin.describeProducers([{ topic: TOPIC, partition: 0 }]))[0]?.producers.filter((p) => p.currentTransactionStartOffset >= 0n) ?? [];
        assert.ok(open !== undefined, 'the partition still has the transaction open');
        assert.deepEqual(await admin.listTransactions({ producerIds: [open.producerId] }), [], 'no coordinator knows the producer');
        const hanging = await admin.findHangingTransactions({ brokerId: 1, maxTransactionTimeoutMs: 0 });
        assert.deepEqual(hanging.map((h) => [h.topic, h.partition, h.producerId, h.startOffset, h.transactionalId]), [[TOPIC, 0, open.producerId, 0n, null]]);
        const fromCli = JSON.parse(await seqlogCli(['transactions', 'find-hanging', '--bootstrap', broker.bootstrap, '--broker', '1', '--max-transaction-timeout-ms', '0', '--json'])) as { topic: string; startOffset: string }[];
        assert.deepEqual(fromCli.map((h) => [h.topic, String(h.startOffset)]), [[TOPIC, '0']]);
        await admin.abortTransaction(hanging[0]);
        assert.deepEqual(await admin.findHangingTransactions({ brokerId: 1, maxTransactionTimeoutMs: 0 }), []);
        const [lastStable] = await admin.listOffsets([{ topic: TOPIC, partition: 0, spec: 'latest' }], { readCommitted: true });
        assert.equal(lastStable?.offset, 2n, 'the last stable offset moved past the record and the ABORT marker');
      } finally {
        await admin.close();
      }
    } finally {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
