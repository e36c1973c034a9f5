// End-to-end produce throughput and ack latency against one in-process seqlog broker, every client idempotent
// with acks=all, for 100 B and 1 KiB values on 1 and 8 partitions:
//   seqlog's producer, KafkaJS and @platformatic/kafka 1.x (in this process: no accumulator in either, so 100
//   records per send() call, as their users batch), librdkafka (confluent-kafka-python, test/peers/python/
//   producer_perf.py) and the Java client (Kafka's ProducerPerformance, test/peers/java/producer-perf.sh).
// @platformatic/kafka 1.x advances a partition's idempotent sequence only when a Produce response arrives
// (Producer#performSend), so concurrent send() calls reuse sequence numbers: the broker rejects them with
// OUT_OF_ORDER_SEQUENCE_NUMBER, or takes an identical range for a retry and drops it as a duplicate. Its only
// correct idempotent use is one send() at a time, which is how it is driven here (PLATFORMATIC_PER_CALL records
// per call). After every case the partitions' end offsets must add up to the records sent, so a client that
// loses or drops records fails the benchmark instead of posting a number.
// The Node clients and the Python script keep WINDOW records outstanding; ProducerPerformance sends as fast as
// buffer.memory allows, so its latencies include more queueing. The Python and Java clients run in their own
// processes (so they do not share the broker's event loop). Each topic is created first with exactly the
// case's partition count, and one record is acknowledged before timing starts (connections, metadata,
// InitProducerId). A missing peer (Python venv, Java/Kafka jars) makes the benchmark fail.
// Async, so it runs in `report` (see main.ts) rather than through the synchronous case sampler.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/broker/index.ts';
import { BrokerConnection, Producer } from '../src/client/index.ts';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../src/protocol/errors/index.ts';
import { kafkaLibsDir, repoRoot, setupHint, venvPython } from '../test/reference/layout.ts';
import { median, type Benchmark } from './harness.ts';

interface Row {
  client: string;
  valueBytes: number;
  partitions: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface Measured {
  recordsPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const RECORDS = 100_000;
const WINDOW = 2_000;
/** Records per send() call for the clients without an accumulator. */
const PER_CALL = 100;
/** Records per send() call for @platformatic/kafka, which must not have two calls outstanding (see above). */
const PLATFORMATIC_PER_CALL = 1_000;

const CLIENTS = ['seqlog', `kafkajs (${PER_CALL}/send)`, `platformatic (${PLATFORMATIC_PER_CALL}/send, serial)`, 'librdkafka', 'java'] as const;
type Client = (typeof CLIENTS)[number];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Keeps `WINDOW` sends outstanding; records each send's ack latency. */
async function drive(send: (i: number) => Promise<unknown>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = new Array<number>(RECORDS);
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < RECORDS) {
      const i = next++;
      const t0 = performance.now();
      await send(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  return { seconds: (performance.now() - start) / 1000, latencies };
}

function measured(valueBytes: number, seconds: number, latencies: number[]): Measured {
  return { recordsPerSecond: RECORDS / seconds, mbPerSecond: (RECORDS * valueBytes) / seconds / 1e6, p50Ms: median(latencies), p99Ms: percentile(latencies, 99) };
}

/** Drives a client that takes PER_CALL records per call; latency is counted once per call. */
async function driveBatched(valueBytes: number, sendBatch: (first: number) => Promise<unknown>): Promise<Measured> {
  const run = await drive(async (i) => {
    if (i % PER_CALL === 0) await sendBatch(i);
  });
  return measured(valueBytes, run.seconds, run.latencies.filter((_, i) => i % PER_CALL === 0));
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const [host, port] = bootstrap.split(':');
  const connection = await BrokerConnection.open({ host, port: Number(port) });
  try {
    await connection.negotiateApiVersions();
    const response = await connection.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    const code = response.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`creating ${topic}: ${errorName(code)}`);
  } finally {
    connection.close();
  }
}

/** The sum of the partitions' end offsets: every record stored, warm-up included. */
async function storedRecords(bootstrap: string, topic: string, partitions: number): Promise<bigint> {
  const [host, port] = bootstrap.split(':');
  const connection = await BrokerConnection.open({ host, port: Number(port) });
  try {
    await connection.negotiateApiVersions();
    const response = await connection.send(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      timeoutMs: 10_000,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
    });
    let total = 0n;
    for (const partition of response.topics[0]?.partitions ?? []) {
      if (partition.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic}-${partition.partitionIndex}: ${errorName(partition.errorCode)}`);
      total += partition.offset;
    }
    return total;
  } finally {
    connection.close();
  }
}

function runProcess(file: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} exited ${code}: ${(out + err).slice(-800)}`))));
  });
}

function requirePeers(): void {
  if (!existsSync(venvPython)) throw new Error(`librdkafka peer missing: no ${venvPython} (confluent-kafka); ${setupHint}`);
  if (!existsSync(kafkaLibsDir)) throw new Error(`Java peer missing: no ${kafkaLibsDir}; ${setupHint}`);
}

async function runSeqlog(bootstrap: string, topic: string, value: Buffer, partitions: number): Promise<Measured> {
  const producer = new Producer({ bootstrap, idempotent: true, acks: 'all' });
  try {
    await producer.send({ topic, partition: 0, value });
    const run = await drive((i) => producer.send({ topic, partition: i % partitions, value }));
    return measured(value.length, run.seconds, run.latencies);
  } finally {
    await producer.close();
  }
}

async function runKafkajs(bootstrap: string, topic: string, value: Buffer, partitions: number): Promise<Measured> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value, partition: 0 }] });
    return await driveBatched(value.length, (first) =>
      producer.send({ topic, acks: -1, messages: Array.from({ length: PER_CALL }, (_, j) => ({ value, partition: (first + j) % partitions })) }),
    );
  } finally {
    await producer.disconnect();
  }
}

async function runPlatformatic(bootstrap: string, topic: string, value: Buffer, partitions: number): Promise<Measured> {
  const producer = new PlatformaticProducer({ clientId: 'seqlog-bench', bootstrapBrokers: [bootstrap], idempotent: true, acks: -1, autocreateTopics: false });
  try {
    await producer.send({ messages: [{ topic, value, partition: 0 }] });
    const latencies: number[] = [];
    const start = performance.now();
    for (let first = 0; first < RECORDS; first += PLATFORMATIC_PER_CALL) {
      const t0 = performance.now();
      const count = Math.min(PLATFORMATIC_PER_CALL, RECORDS - first);
      await producer.send({ messages: Array.from({ length: count }, (_, j) => ({ topic, value, partition: (first + j) % partitions })) });
      latencies.push(performance.now() - t0);
    }
    return measured(value.length, (performance.now() - start) / 1000, latencies);
  } finally {
    await producer.close();
  }
}

async function runLibrdkafka(bootstrap: string, topic: string, value: Buffer, partitions: number): Promise<Measured> {
  const script = join(repoRoot, 'test', 'peers', 'python', 'producer_perf.py');
  const out = await runProcess(
    venvPython,
    [script, '--bootstrap', bootstrap, '--topic', topic, '--records', String(RECORDS), '--value-bytes', String(value.length), '--partitions', String(partitions), '--window', String(WINDOW)],
    'producer_perf.py',
  );
  const line = out.trim().split('\n').pop() ?? '';
  const result = JSON.parse(line) as { ok: boolean; recordsPerSec: number; mbPerSec: number; p50Ms: number; p99Ms: number };
  if (!result.ok) throw new Error(`producer_perf.py: ${line}`);
  return { recordsPerSecond: result.recordsPerSec, mbPerSecond: result.mbPerSec, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

/** Kafka's ProducerPerformance final line: "N records sent, R records/sec (M MB/sec), ... X ms 50th, ... Z ms 99th, ...". */
async function runJava(bootstrap: string, topic: string, value: Buffer): Promise<Measured> {
  const out = await runProcess(
    'bash',
    [
      join(repoRoot, 'test', 'peers', 'java', 'producer-perf.sh'),
      '--topic', topic, '--num-records', String(RECORDS), '--record-size', String(value.length), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'enable.idempotence=true',
    ],
    'ProducerPerformance',
  );
  const line = out.split('\n').reverse().find((l) => l.includes('records sent'));
  const match = line === undefined ? null : /([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?([\d.]+) ms 50th.*?([\d.]+) ms 99th/.exec(line);
  if (match === null) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-500)}`);
  // ProducerPerformance's MB/s is MiB-based (1024 * 1024); recompute in MB like the other rows.
  const recordsPerSecond = Number(match[1]);
  return { recordsPerSecond, mbPerSecond: (recordsPerSecond * value.length) / 1e6, p50Ms: Number(match[3]), p99Ms: Number(match[4]) };
}

async function runClient(client: Client, bootstrap: string, topic: string, value: Buffer, partitions: number): Promise<Measured> {
  switch (client) {
    case 'seqlog':
      return runSeqlog(bootstrap, topic, value, partitions);
    case `kafkajs (${PER_CALL}/send)`:
      return runKafkajs(bootstrap, topic, value, partitions);
    case `platformatic (${PLATFORMATIC_PER_CALL}/send, serial)`:
      return runPlatformatic(bootstrap, topic, value, partitions);
    case 'librdkafka':
      return runLibrdkafka(bootstrap, topic, value, partitions);
    case 'java':
      return runJava(bootstrap, topic, value);
  }
}

async function runAll(): Promise<string[]> {
  requirePeers();
  const broker = await startBroker({ numPartitions: 8 });
  const rows: Row[] = [];
  try {
    for (const valueBytes of [100, 1024]) {
      const value = Buffer.alloc(valueBytes, 0x61);
      for (const partitions of [1, 8]) {
        for (const client of CLIENTS) {
          const topic = `bench-${client.split(' ')[0]}-${valueBytes}-${partitions}`;
          await createTopic(broker.bootstrap, topic, partitions);
          process.stderr.write(`producer bench: ${client}, ${valueBytes} B, ${partitions} partition(s)\n`);
          const result = await runClient(client, broker.bootstrap, topic, value, partitions);
          // Java's ProducerPerformance sends no warm-up record; the others send one before timing.
          const expected = BigInt(RECORDS + (client === 'java' ? 0 : 1));
          const stored = await storedRecords(broker.bootstrap, topic, partitions);
          if (stored !== expected) throw new Error(`${client}, ${valueBytes} B, ${partitions} partition(s): ${stored} records stored, ${expected} sent`);
          rows.push({ client, valueBytes, partitions, ...result });
        }
      }
    }
  } finally {
    await broker.close();
  }

  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({ head: ['client', 'value', 'partitions', 'records/s', 'MB/s', 'p50 ack ms', 'p99 ack ms'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'], ...style });
  for (const row of rows) {
    table.push([row.client, `${row.valueBytes} B`, row.partitions, Math.round(row.recordsPerSecond).toLocaleString('en-US'), row.mbPerSecond.toFixed(1), row.p50Ms.toFixed(1), row.p99Ms.toFixed(1)]);
  }
  const peers = CLIENTS.filter((c) => c !== 'seqlog');
  const ratios = new Table({ head: ['seqlog / peer (records/s)', 'value', 'partitions', ...peers], ...style });
  for (const valueBytes of [100, 1024]) {
    for (const partitions of [1, 8]) {
      const of = (client: Client): Row | undefined => rows.find((r) => r.client === client && r.valueBytes === valueBytes && r.partitions === partitions);
      const own = of('seqlog');
      if (own === undefined) continue;
      ratios.push(['', `${valueBytes} B`, partitions, ...peers.map((peer) => (own.recordsPerSecond / (of(peer)?.recordsPerSecond ?? Number.NaN)).toFixed(2))]);
    }
  }
  return [
    `${RECORDS} records per case, idempotent acks=all, in-process seqlog broker, ${WINDOW} records outstanding (ProducerPerformance: unbounded)`,
    ...table.toString().split('\n'),
    ...ratios.toString().split('\n'),
  ];
}

export const producerBench: Benchmark = {
  name: 'producer',
  description: 'idempotent acks=all produce to an in-process broker: seqlog producer vs KafkaJS, @platformatic/kafka, librdkafka, Java',
  build: () => [],
  report: runAll,
};
