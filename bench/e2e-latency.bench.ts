// End-to-end latency: produce -> a read_committed consumer receives the record, p50 and p99, at half of the
// maximum load, seqlog serve vs Apache Kafka 4.4 with the same client (seqlog's), every process on its own:
//   1. the maximum: seqlog's producer sends MAX_RECORDS values of VALUE_BYTES as fast as it can (idempotent,
//      acks=all, 2000 outstanding; bench/producer-peers/node-driver.ts) to a one-partition topic, once to warm the
//      broker up (a cold JVM is far slower) and once measured;
//   2. at half that rate, a producer process sends for SECONDS while a consumer process (read_committed) reads
//      the topic; each value carries its send time, the consumer computes receive - send per record
//      (bench/latency-peers/e2e-client.ts). The first second is left out.
// Both brokers are measured at half of their own maximum, as "50% of max load" asks; the rates are printed.
// seqlog with fsync always shows a record to consumers only once it is fsynced (its high watermark is the durable
// end), so its latency includes the fsync; Kafka's default flush never waits for one. seqlog with fsync never is
// the like-for-like row, and is measured by default too.
// Environment: LATENCY_BENCH_BROKERS (seqlog-always,seqlog-never,kafka), LATENCY_BENCH_SECONDS (10), LATENCY_BENCH_RUNS (2),
// LATENCY_BENCH_MAX_RECORDS (20000), LATENCY_BENCH_VALUE_BYTES (1024).
//   npm run bench -- e2e-latency
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Producer } from '../src/client/index.ts';
import { repoRoot } from '../test/reference/layout.ts';
import { median, type Benchmark } from './harness.ts';
import { BROKER_LABEL, createTopic, lastJson, runProcess, startTarget, type BrokerKind } from './producer.bench.ts';

const BROKERS = (process.env.LATENCY_BENCH_BROKERS ?? 'seqlog-always,seqlog-never,kafka').split(',').map((b) => b.trim()) as BrokerKind[];
const SECONDS = Number(process.env.LATENCY_BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.LATENCY_BENCH_RUNS ?? 2);
const MAX_RECORDS = Number(process.env.LATENCY_BENCH_MAX_RECORDS ?? 20_000);
const VALUE_BYTES = Number(process.env.LATENCY_BENCH_VALUE_BYTES ?? 1024);

const client = join(repoRoot, 'bench', 'latency-peers', 'e2e-client.ts');
const driver = join(repoRoot, 'bench', 'producer-peers', 'node-driver.ts');

interface Latency {
  records: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A started consumer process: `result` settles when it exits. */
interface RunningConsumer {
  result: Promise<Latency>;
}

/**
 * Starts the consumer, sends it a warm-up record, and resolves once it received it (so its fetch loop runs), with
 * the promise of its result. The result travels inside an object: resolving a promise with a promise adopts it, so
 * `ready(result)` would hold the caller until the consumer exits, and the producer it waits for would never start.
 */
function startConsumer(bootstrap: string, topic: string, records: number): Promise<RunningConsumer> {
  return new Promise((ready, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', client, 'consume', bootstrap, topic, String(records)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const result = new Promise<Latency>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(lastJson(out, 'latency consumer') as unknown as Latency) : reject(new Error(`latency consumer exited ${code}: ${(out + err).slice(-800)}`))));
    });
    result.catch(fail);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    let warmUpSent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (!warmUpSent && err.includes('consumer assigned')) {
        warmUpSent = true;
        void sendWarmUp(bootstrap, topic).catch(fail);
      }
      if (err.includes('consumer ready')) ready({ result });
    });
  });
}

async function sendWarmUp(bootstrap: string, topic: string): Promise<void> {
  const producer = new Producer({ bootstrap, idempotent: true, acks: 'all' });
  try {
    await producer.send({ topic, partition: 0, value: Buffer.from('warm') });
  } finally {
    await producer.close();
  }
}

async function maxRate(bootstrap: string, run: number): Promise<number> {
  const topic = `latency-max-${run}`;
  await createTopic(bootstrap, topic, 1);
  const out = await runProcess(process.execPath, ['--import', 'tsx', driver, 'seqlog', bootstrap, topic, String(MAX_RECORDS), String(VALUE_BYTES), '1', '2000'], 'max-rate producer');
  return lastJson(out, 'max-rate producer').recordsPerSecond;
}

async function latencyAt(bootstrap: string, rate: number, run: number): Promise<Latency> {
  const topic = `latency-${run}`;
  await createTopic(bootstrap, topic, 1);
  const records = Math.round(rate * SECONDS);
  const { result } = await startConsumer(bootstrap, topic, records);
  // Together, so a consumer failure is reported while the producer still runs.
  const [, latency] = await Promise.all([
    runProcess(process.execPath, ['--import', 'tsx', client, 'produce', bootstrap, topic, String(rate), String(SECONDS), String(VALUE_BYTES)], 'latency producer'),
    result,
  ]);
  return latency;
}

async function runAll(): Promise<string[]> {
  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({ head: ['broker', 'max records/s', 'rate (50%)', 'p50 ms (median)', 'p99 ms (median)', 'p50 / p99 per run'], ...style });
  const notes: string[] = [];
  const p50s = new Map<BrokerKind, number>();
  const p99s = new Map<BrokerKind, number>();
  for (const kind of BROKERS) {
    const broker = await startTarget(kind);
    const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
    try {
      // The first maximum-rate run warms the broker up (Kafka's JIT compiles its hot paths in it) and is discarded:
      // a cold JVM's maximum would put Kafka's half load far below its real one.
      process.stderr.write(`e2e latency: ${BROKER_LABEL[kind]}, maximum rate (warm-up, then measured)\n`);
      await maxRate(broker.bootstrap, 0);
      const max = await maxRate(broker.bootstrap, 1);
      const rate = Math.max(1, Math.round(max / 2));
      const runs: Latency[] = [];
      for (let run = 0; run < RUNS; run++) {
        process.stderr.write(`e2e latency: ${BROKER_LABEL[kind]}, ${rate} records/s, run ${run + 1}/${RUNS}\n`);
        runs.push(await latencyAt(broker.bootstrap, rate, run));
      }
      const p50 = median(runs.map((r) => r.p50Ms));
      const p99 = median(runs.map((r) => r.p99Ms));
      p50s.set(kind, p50);
      p99s.set(kind, p99);
      table.push([BROKER_LABEL[kind], Math.round(max).toLocaleString('en-US'), rate.toLocaleString('en-US'), p50.toFixed(1), p99.toFixed(1), runs.map((r) => `${r.p50Ms.toFixed(1)}/${r.p99Ms.toFixed(1)}`).join(' ')]);
    } finally {
      await broker.stop();
    }
    notes.push(`${BROKER_LABEL[kind]}: load average (1/5/15 min) ${loadBefore} before, ${loadavg().map((l) => l.toFixed(2)).join(' ')} after`);
  }
  const ratios: string[] = [];
  const kafka: BrokerKind = BROKERS.includes('kafka') ? 'kafka' : 'kafka-flush';
  for (const kind of ['seqlog-always', 'seqlog-never'] as const) {
    if (!p50s.has(kind) || !p50s.has(kafka)) continue;
    ratios.push(`${BROKER_LABEL[kind]} / ${BROKER_LABEL[kafka]}: p50 ${((p50s.get(kind) ?? 0) / (p50s.get(kafka) ?? 1)).toFixed(2)}x, p99 ${((p99s.get(kind) ?? 0) / (p99s.get(kafka) ?? 1)).toFixed(2)}x (below 1 is faster)`);
  }
  return [
    `produce -> read_committed consumer, seqlog's client on both sides, ${VALUE_BYTES} B values, one partition, ${SECONDS} s per run at half of each broker's maximum, ${RUNS} runs`,
    ...notes,
    ...table.toString().split('\n'),
    ...ratios,
  ];
}

export const e2eLatencyBench: Benchmark = {
  name: 'e2e-latency',
  description: 'produce -> read_committed consume latency p50/p99 at half of maximum load, seqlog serve vs Kafka 4.4, same client',
  build: () => [],
  report: runAll,
};
