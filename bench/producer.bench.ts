// End-to-end produce throughput and ack latency, every client idempotent with acks=all, for 100 B and 1 KiB
// values on 1 and 8 partitions, against `seqlog serve` (fsync always, the default, and never) and Apache Kafka 4.4
// (its default flush, and log.flush.interval.messages=1 for an fsync per append), each broker in a process of its
// own and every client in a process of its own:
//   seqlog's producer, KafkaJS and @platformatic/kafka 1.x (bench/producer-peers/node-driver.ts), librdkafka
//   (confluent-kafka-python, test/peers/python/producer_perf.py) and the Java client (Kafka's
//   ProducerPerformance, test/peers/java/producer-perf.sh).
// Apache Kafka runs with the JVM settings of its own start scripts (G1, C2, 1 GiB heap). Every case runs RUNS
// times, the client order reversed on every other round so no client always follows the same one; the table
// gives medians (and the min-max range), the ratios compare medians, and the machine's load average is printed
// before and after each broker's runs. After every run the partitions' end offsets must add up to the records
// sent, so a client that loses or drops records fails the benchmark instead of posting a number. The client CPU-s
// column (the Node drivers' and librdkafka's process CPU time in the timed part) moves much less with the machine's
// load than records/s does. The broker CPU-s column is the broker process's CPU (every thread) from the client
// process's start to its exit: next to the wall time of a run it says whether the broker's core was the limit.
// The Node clients and the Python script keep WINDOW records outstanding; ProducerPerformance sends as fast as
// buffer.memory allows (its latencies include more queueing) and spreads records with the sticky partitioner.
// Environment: PRODUCER_BENCH_RECORDS (100000), PRODUCER_BENCH_RUNS (3), and comma lists PRODUCER_BENCH_BROKERS
// (seqlog-always,seqlog-never,kafka,kafka-flush), PRODUCER_BENCH_CLIENTS (add seqlog-noidem and java-noidem, seqlog's
// producer and ProducerPerformance with idempotence off, for the idempotence on/off ratios), PRODUCER_BENCH_VALUES (100,1024),
// PRODUCER_BENCH_PARTITIONS (1,8). A missing peer (Python venv, Java/Kafka jars) makes the benchmark fail.
// Async, so it runs in `report` (see main.ts) rather than through the synchronous case sampler.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { BrokerConnection } from '../src/client/index.ts';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../src/protocol/errors/index.ts';
import { ChildBroker } from '../src/testkit/child-broker.ts';
import { startReferenceKafka, startScriptJvmOptions } from '../test/reference/kafka.ts';
import { kafkaLibsDir, repoRoot, setupHint, venvPython } from '../test/reference/layout.ts';
import { benchMatrix, matrixRows, rateSpread, runMatrix } from './bench-matrix.ts';
import { median, type Benchmark } from './harness.ts';
import { PER_CALL, PLATFORMATIC_PER_CALL } from './producer-peers/call-sizes.ts';

interface Measured {
  recordsPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The client process's CPU-seconds in the timed part (NaN where the client does not report it). */
  cpuSeconds: number;
}

interface Row extends Measured {
  brokerCpuSeconds: number;
  broker: string;
  client: Client;
  valueBytes: number;
  partitions: number;
  min: number;
  max: number;
}

const RECORDS = Number(process.env.PRODUCER_BENCH_RECORDS ?? 100_000);
const RUNS = Number(process.env.PRODUCER_BENCH_RUNS ?? 3);
const WINDOW = 2_000;

const ALL_CLIENTS = ['seqlog', 'seqlog-noidem', 'kafkajs', 'platformatic', 'librdkafka', 'java', 'java-noidem'] as const;
type Client = (typeof ALL_CLIENTS)[number];
/**
 * seqlog-noidem and java-noidem (idempotence off) are asked for explicitly: they give the idempotence on/off ratios
 * (the seqlog-noidem ratio column, and the java / java-noidem line under the ratios).
 */
const DEFAULT_CLIENTS: readonly Client[] = ALL_CLIENTS.filter((client) => client !== 'seqlog-noidem' && client !== 'java-noidem');
const CLIENT_LABEL: Record<Client, string> = {
  seqlog: 'seqlog',
  'seqlog-noidem': 'seqlog, idempotence off',
  kafkajs: `kafkajs (${PER_CALL}/send)`,
  platformatic: `platformatic (${PLATFORMATIC_PER_CALL}/send, serial)`,
  librdkafka: 'librdkafka',
  java: 'java',
  'java-noidem': 'java, idempotence off',
};

const ALL_BROKERS = ['seqlog-always', 'seqlog-never', 'kafka', 'kafka-flush'] as const;
export type BrokerKind = (typeof ALL_BROKERS)[number];
export const BROKER_LABEL: Record<BrokerKind, string> = {
  'seqlog-always': 'seqlog serve, fsync always',
  'seqlog-never': 'seqlog serve, fsync never',
  kafka: 'Kafka 4.4, default flush',
  'kafka-flush': 'Kafka 4.4, flush every message',
};

export interface RunningBroker {
  bootstrap: string;
  /** The broker process (the JVM for Kafka), for its CPU time in /proc. */
  pid: number;
  stop(): Promise<void>;
}

export async function startTarget(kind: BrokerKind): Promise<RunningBroker> {
  switch (kind) {
    case 'seqlog-always':
    case 'seqlog-never': {
      const broker = await ChildBroker.start({ fsync: kind === 'seqlog-always' ? 'always' : 'never' });
      return { bootstrap: broker.bootstrap, pid: broker.pid ?? -1, stop: () => broker.close() };
    }
    case 'kafka':
    case 'kafka-flush': {
      const kafka = await startReferenceKafka({
        brokers: 1,
        heapMb: 1024,
        jvmOptions: startScriptJvmOptions,
        config: kind === 'kafka-flush' ? { 'log.flush.interval.messages': '1' } : {},
        log: () => undefined,
      });
      return { bootstrap: kafka.bootstrap, pid: kafka.brokers[0]?.pid ?? -1, stop: () => kafka.stop() };
    }
  }
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
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
export async function storedRecords(bootstrap: string, topic: string, partitions: number): Promise<bigint> {
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

export function runProcess(file: string, args: readonly string[], what: string): Promise<string> {
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

function requirePeers(clients: readonly Client[]): void {
  if (clients.includes('librdkafka') && !existsSync(venvPython)) throw new Error(`librdkafka peer missing: no ${venvPython} (confluent-kafka); ${setupHint}`);
  if (!existsSync(kafkaLibsDir)) throw new Error(`Java peer / reference Kafka missing: no ${kafkaLibsDir}; ${setupHint}`);
}

export function lastJson(out: string, what: string): Measured & { ok?: boolean } {
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Measured & { ok?: boolean };
  } catch {
    throw new Error(`${what}: unexpected output ${out.slice(-500)}`);
  }
}

async function runNode(client: Client, bootstrap: string, topic: string, valueBytes: number, partitions: number): Promise<Measured> {
  const driver = join(repoRoot, 'bench', 'producer-peers', 'node-driver.ts');
  const out = await runProcess(process.execPath, ['--import', 'tsx', driver, client, bootstrap, topic, String(RECORDS), String(valueBytes), String(partitions), String(WINDOW)], `${client} driver`);
  return lastJson(out, `${client} driver`);
}

async function runLibrdkafka(bootstrap: string, topic: string, valueBytes: number, partitions: number): Promise<Measured> {
  const script = join(repoRoot, 'test', 'peers', 'python', 'producer_perf.py');
  const out = await runProcess(
    venvPython,
    [script, '--bootstrap', bootstrap, '--topic', topic, '--records', String(RECORDS), '--value-bytes', String(valueBytes), '--partitions', String(partitions), '--window', String(WINDOW)],
    'producer_perf.py',
  );
  const result = lastJson(out, 'producer_perf.py') as unknown as { ok: boolean; recordsPerSec: number; mbPerSec: number; p50Ms: number; p99Ms: number; cpuSeconds?: number };
  if (!result.ok) throw new Error(`producer_perf.py: ${out.slice(-300)}`);
  return { recordsPerSecond: result.recordsPerSec, mbPerSecond: result.mbPerSec, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuSeconds: result.cpuSeconds ?? Number.NaN };
}

/** Kafka's ProducerPerformance final line: "N records sent, R records/sec (M MB/sec), ... X ms 50th, ... Z ms 99th, ...". */
async function runJava(bootstrap: string, topic: string, valueBytes: number, idempotent: boolean): Promise<Measured> {
  const out = await runProcess(
    'bash',
    [
      join(repoRoot, 'test', 'peers', 'java', 'producer-perf.sh'),
      '--topic', topic, '--num-records', String(RECORDS), '--record-size', String(valueBytes), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', `enable.idempotence=${idempotent}`,
    ],
    'ProducerPerformance',
  );
  const line = out.split('\n').reverse().find((l) => l.includes('records sent'));
  const match = line === undefined ? null : /([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?([\d.]+) ms 50th.*?([\d.]+) ms 99th/.exec(line);
  if (match === null) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-500)}`);
  // ProducerPerformance's MB/s is MiB-based (1024 * 1024); recompute in MB like the other rows.
  const recordsPerSecond = Number(match[1]);
  return { recordsPerSecond, mbPerSecond: (recordsPerSecond * valueBytes) / 1e6, p50Ms: Number(match[3]), p99Ms: Number(match[4]), cpuSeconds: Number.NaN };
}

function runClient(client: Client, bootstrap: string, topic: string, valueBytes: number, partitions: number): Promise<Measured> {
  switch (client) {
    case 'seqlog':
    case 'seqlog-noidem':
    case 'kafkajs':
    case 'platformatic':
      return runNode(client, bootstrap, topic, valueBytes, partitions);
    case 'librdkafka':
      return runLibrdkafka(bootstrap, topic, valueBytes, partitions);
    case 'java':
    case 'java-noidem':
      return runJava(bootstrap, topic, valueBytes, client === 'java');
  }
}

async function runAll(): Promise<string[]> {
  const matrix = benchMatrix('PRODUCER_BENCH', { clients: ALL_CLIENTS, brokers: ALL_BROKERS }, { clients: DEFAULT_CLIENTS, brokers: ALL_BROKERS });
  const { clients, brokers, values, partitionCounts } = matrix;
  requirePeers(clients);
  const { cases, loads } = await runMatrix(matrix, {
    runs: RUNS,
    start: startTarget,
    label: (kind) => BROKER_LABEL[kind],
    async measure({ broker, bootstrap, valueBytes, partitions }, client, run) {
      const topic = `bench-${client}-${valueBytes}-${partitions}-${run}`;
      await createTopic(bootstrap, topic, partitions);
      process.stderr.write(`producer bench: ${BROKER_LABEL[broker]}, ${client}, ${valueBytes} B, ${partitions} partition(s), run ${run + 1}/${RUNS}\n`);
      const result = await runClient(client, bootstrap, topic, valueBytes, partitions);
      // Java's ProducerPerformance sends no warm-up record; the others send one before timing.
      const expected = BigInt(RECORDS + (client === 'java' || client === 'java-noidem' ? 0 : 1));
      const stored = await storedRecords(bootstrap, topic, partitions);
      if (stored !== expected) throw new Error(`${client}, ${valueBytes} B, ${partitions} partition(s): ${stored} records stored, ${expected} sent`);
      return result;
    },
  });
  const rows: Row[] = matrixRows(cases, (broker) => BROKER_LABEL[broker], (runs) => ({
    ...rateSpread(runs.map((r) => r.recordsPerSecond)),
    mbPerSecond: median(runs.map((r) => r.mbPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    brokerCpuSeconds: median(runs.map((r) => r.brokerCpuSeconds)),
  }));

  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({ head: ['broker', 'client', 'value', 'partitions', 'records/s (median)', 'min-max', 'MB/s', 'p50 ack ms', 'p99 ack ms', 'client CPU-s', 'broker CPU-s'], colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'], ...style });
  const k = (n: number): string => `${Math.round(n / 1000)}k`;
  for (const row of rows) {
    table.push([row.broker, CLIENT_LABEL[row.client], `${row.valueBytes} B`, row.partitions, Math.round(row.recordsPerSecond).toLocaleString('en-US'), `${k(row.min)}-${k(row.max)}`, row.mbPerSecond.toFixed(1), row.p50Ms.toFixed(1), row.p99Ms.toFixed(1), Number.isNaN(row.cpuSeconds) ? '-' : row.cpuSeconds.toFixed(2), row.brokerCpuSeconds.toFixed(2)]);
  }
  const peers = clients.filter((c) => c !== 'seqlog');
  const ratios = new Table({ head: ['seqlog / peer (median records/s)', 'value', 'partitions', ...peers.map((p) => CLIENT_LABEL[p])], ...style });
  for (const kind of brokers) {
    for (const valueBytes of values) {
      for (const partitions of partitionCounts) {
        const of = (client: Client): Row | undefined => rows.find((r) => r.broker === BROKER_LABEL[kind] && r.client === client && r.valueBytes === valueBytes && r.partitions === partitions);
        const own = of('seqlog');
        if (own === undefined) continue;
        ratios.push([BROKER_LABEL[kind], `${valueBytes} B`, partitions, ...peers.map((peer) => (own.recordsPerSecond / (of(peer)?.recordsPerSecond ?? Number.NaN)).toFixed(2))]);
      }
    }
  }
  // Kafka's own client with idempotence on / off, where both ran (its on/off ratio, next to seqlog-noidem's column).
  const javaRatios: string[] = [];
  for (const kind of brokers) {
    for (const valueBytes of values) {
      for (const partitions of partitionCounts) {
        const of = (client: Client): Row | undefined => rows.find((r) => r.broker === BROKER_LABEL[kind] && r.client === client && r.valueBytes === valueBytes && r.partitions === partitions);
        const on = of('java');
        const off = of('java-noidem');
        if (on !== undefined && off !== undefined) javaRatios.push(`ProducerPerformance idempotence on/off, ${BROKER_LABEL[kind]}, ${valueBytes} B, ${partitions} partition(s): ${(on.recordsPerSecond / off.recordsPerSecond).toFixed(2)}`);
      }
    }
  }
  return [
    `${RECORDS} records per run, ${RUNS} runs per case, idempotent acks=all, broker and every client in its own process, ${WINDOW} records outstanding (ProducerPerformance: unbounded)`,
    ...loads,
    ...table.toString().split('\n'),
    ...ratios.toString().split('\n'),
    ...javaRatios,
  ];
}

export const producerBench: Benchmark = {
  name: 'producer',
  description: 'idempotent acks=all produce, broker and clients in their own processes: seqlog producer vs KafkaJS, @platformatic/kafka, librdkafka, Java, against seqlog serve and Kafka 4.4',
  build: () => [],
  report: runAll,
};
