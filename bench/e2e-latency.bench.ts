// End-to-end latency: produce -> a read_committed consumer receives the record, p50 and p99, at half of the
// maximum load, seqlog serve vs Apache Kafka 4.4 with the same client (seqlog's), every process on its own:
//   1. the maximum: seqlog's producer sends MAX_RECORDS values of VALUE_BYTES as fast as it can (idempotent,
//      acks=all, 2000 outstanding; bench/producer-peers/node-driver.ts) to a one-partition topic, once to warm the
//      broker up (a cold JVM is far slower) and once measured;
//   2. at half that rate, a producer process sends for SECONDS while a consumer process (read_committed) reads
//      the topic; each value carries its send time, the consumer computes receive - send per record
//      (bench/latency-peers/e2e-client.ts). The first second is left out.
// Both brokers are measured at half of their own maximum, as "50% of max load" asks; the rates are printed. With
// CPU hogs the maximum is measured with them running too (half of the quiet maximum overloads a starved machine).
// LATENCY_BENCH_RATE fixes one rate for every broker instead (the client then does the same work against each).
// seqlog with fsync always shows a record to consumers only once it is fsynced (its high watermark is the durable
// end), so its latency includes the fsync; Kafka's default flush never waits for one. seqlog with fsync never is
// the like-for-like row, and is measured by default too.
// CPU starvation: LATENCY_BENCH_HOGS=N also measures every broker with N busy-looping processes running
// (bench/cpu-hogs.ts), each run quiet and starved in turn, brokers interleaved run by run (every broker is started
// once, before the first run), so that the machine's other load falls on every row alike. Each row also gives where
// the time went: the producer's acknowledgement p50/p99, the event-loop delay p99 of the seqlog broker (a probe
// preloaded into `seqlog serve`), of the producer and of the consumer, and how long each process's threads waited
// for a CPU while runnable (ms per second, Linux schedstat; Kafka's counts all its JVM threads).
// Environment: LATENCY_BENCH_BROKERS (seqlog-always,seqlog-never,kafka), LATENCY_BENCH_SECONDS (10), LATENCY_BENCH_RUNS (2),
// LATENCY_BENCH_MAX_RECORDS (20000), LATENCY_BENCH_VALUE_BYTES (1024), LATENCY_BENCH_HOGS (0), LATENCY_BENCH_RATE (half of max),
// LATENCY_BENCH_BROKER_NODE_OPTIONS (extra node options for seqlog serve, e.g. --cpu-prof --cpu-prof-dir=<dir>),
// LATENCY_BENCH_PRODUCER_VARIANTS (a JSON list of producer settings measured side by side, e.g. '[{},{"lingerMs":0}]').
//   npm run bench -- e2e-latency
//   LATENCY_BENCH_HOGS=12 LATENCY_BENCH_RATE=5000 npm run bench -- e2e-latency
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Producer } from '../src/client/index.ts';
import { repoRoot } from '../test/reference/layout.ts';
import { median, type Benchmark } from './harness.ts';
import { BROKER_LABEL, createTopic, lastJson, runProcess, startTarget, type BrokerKind, type RunningBroker } from './producer.bench.ts';
import { readSchedStat, startCpuHogs } from './cpu-hogs.ts';

const BROKERS = (process.env.LATENCY_BENCH_BROKERS ?? 'seqlog-always,seqlog-never,kafka').split(',').map((b) => b.trim()) as BrokerKind[];
const SECONDS = Number(process.env.LATENCY_BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.LATENCY_BENCH_RUNS ?? 2);
const MAX_RECORDS = Number(process.env.LATENCY_BENCH_MAX_RECORDS ?? 20_000);
const VALUE_BYTES = Number(process.env.LATENCY_BENCH_VALUE_BYTES ?? 1024);
const HOGS = Number(process.env.LATENCY_BENCH_HOGS ?? 0);
const FIXED_RATE = process.env.LATENCY_BENCH_RATE === undefined ? null : Number(process.env.LATENCY_BENCH_RATE);
/** Extra node options for `seqlog serve`, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` (written when it stops). */
const BROKER_NODE_OPTIONS = process.env.LATENCY_BENCH_BROKER_NODE_OPTIONS ?? '';
const LOADS: readonly number[] = HOGS > 0 ? [0, HOGS] : [0];
/** Producer settings to compare under the same conditions (JSON list of ProducerOptions overrides; {} is the default). */
const VARIANTS: readonly string[] = (JSON.parse(process.env.LATENCY_BENCH_PRODUCER_VARIANTS ?? '[{}]') as object[]).map((v) => JSON.stringify(v));

const client = join(repoRoot, 'bench', 'latency-peers', 'e2e-client.ts');
const driver = join(repoRoot, 'bench', 'producer-peers', 'node-driver.ts');

/** What one side reports about its own process (bench/latency-peers/e2e-client.ts). */
interface ProcessReport {
  loopP50Ms: number;
  loopP99Ms: number;
  cpuWaitMsPerS: number;
  cpuMsPerS: number;
}

interface Latency extends ProcessReport {
  records: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface ProducerReport extends ProcessReport {
  sent: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

/** The broker process during one run: event-loop delay (seqlog only) and CPU use / run-queue wait per second. */
interface BrokerReport {
  loopP99Ms: number;
  cpuMsPerS: number;
  cpuWaitMsPerS: number;
}

interface Sample {
  latency: Latency;
  producer: ProducerReport;
  broker: BrokerReport;
}

/** A broker started for the whole bench, with what reads its event-loop probe (seqlog only). */
interface Target {
  kind: BrokerKind;
  broker: RunningBroker;
  probeFile: string | null;
  /** Records/s sent at each load (number of CPU hogs), and the maximum it is half of (null with a fixed rate). */
  rates: Map<number, { rate: number; max: number | null }>;
}

/** A started consumer process: `result` settles when it exits. */
interface RunningConsumer {
  result: Promise<Latency>;
  /** Kills the consumer if it still runs (a failed producer must not leave it behind). */
  kill(): void;
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
      if (err.includes('consumer ready')) ready({ result, kill: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) });
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

const probeModule = join(repoRoot, 'bench', 'latency-peers', 'event-loop-probe.mjs');

/** Starts a broker; a seqlog one with the event-loop probe preloaded (NODE_OPTIONS reaches `seqlog serve` only). */
async function startWithProbe(kind: BrokerKind, probeDir: string): Promise<{ broker: RunningBroker; probeFile: string | null }> {
  if (kind !== 'seqlog-always' && kind !== 'seqlog-never') return { broker: await startTarget(kind), probeFile: null };
  const probeFile = join(probeDir, `${kind}.json`);
  const saved = { options: process.env.NODE_OPTIONS, file: process.env.SEQLOG_EVENT_LOOP_PROBE_FILE };
  process.env.NODE_OPTIONS = `${saved.options ?? ''} --import ${probeModule} ${BROKER_NODE_OPTIONS}`.trim();
  process.env.SEQLOG_EVENT_LOOP_PROBE_FILE = probeFile;
  try {
    return { broker: await startTarget(kind), probeFile };
  } finally {
    if (saved.options === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved.options;
    if (saved.file === undefined) delete process.env.SEQLOG_EVENT_LOOP_PROBE_FILE;
    else process.env.SEQLOG_EVENT_LOOP_PROBE_FILE = saved.file;
  }
}

/** The probe's last snapshot, or null before the first (it is renamed into place whole). */
function probeSnapshot(file: string): { sequence: number; p99Ms: number } | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { sequence: number; p99Ms: number }) : null;
}

/** Asks the probe for the histogram since its last reading (and starts a new one); NaN without a probe. */
async function readProbe(target: Target): Promise<number> {
  if (target.probeFile === null) return Number.NaN;
  const before = probeSnapshot(target.probeFile)?.sequence ?? 0;
  process.kill(target.broker.pid, 'SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const snapshot = probeSnapshot(target.probeFile);
    if (snapshot !== null && snapshot.sequence > before) return snapshot.p99Ms;
  }
  return Number.NaN;
}

async function latencyAt(target: Target, hogs: number, variant: number, run: number): Promise<Sample> {
  const { bootstrap } = target.broker;
  const rate = rateOf(target, hogs);
  const topic = `latency-${run}-${hogs}-${variant}`;
  await createTopic(bootstrap, topic, 1);
  const records = Math.round(rate * SECONDS);
  const consumer = await startConsumer(bootstrap, topic, records);
  const starvation = hogs > 0 ? startCpuHogs(hogs) : null;
  try {
    await readProbe(target);
    const schedBefore = readSchedStat(target.broker.pid);
    const started = performance.now();
    // Together, so a consumer failure is reported while the producer still runs.
    // The child's environment is copied when it is spawned, inside runProcess's first synchronous step.
    process.env.LATENCY_PRODUCER_OPTIONS = VARIANTS[variant];
    const producing = runProcess(process.execPath, ['--import', 'tsx', client, 'produce', bootstrap, topic, String(rate), String(SECONDS), String(VALUE_BYTES)], 'latency producer');
    delete process.env.LATENCY_PRODUCER_OPTIONS;
    const [out, latency] = await Promise.all([producing, consumer.result]);
    const seconds = (performance.now() - started) / 1000;
    const schedAfter = readSchedStat(target.broker.pid);
    const loopP99Ms = await readProbe(target);
    const per = (ns: number): number => ns / 1e6 / seconds;
    const broker: BrokerReport = {
      loopP99Ms,
      cpuMsPerS: schedBefore === null || schedAfter === null ? Number.NaN : per(schedAfter.cpuNs - schedBefore.cpuNs),
      cpuWaitMsPerS: schedBefore === null || schedAfter === null ? Number.NaN : per(schedAfter.waitNs - schedBefore.waitNs),
    };
    return { latency, producer: lastJson(out, 'latency producer') as unknown as ProducerReport, broker };
  } finally {
    consumer.kill();
    await starvation?.stop();
  }
}

function rateOf(target: Target, hogs: number): number {
  return target.rates.get(hogs)?.rate ?? 0;
}

function maxOf(target: Target, hogs: number): string {
  const max = target.rates.get(hogs)?.max ?? null;
  return max === null ? '-' : Math.round(max).toLocaleString('en-US');
}

function loadLabel(hogs: number): string {
  return hogs === 0 ? 'quiet' : `${hogs} CPU hogs`;
}

const fixed = (value: number, digits = 1): string => (Number.isNaN(value) ? '-' : value.toFixed(digits));

async function runAll(): Promise<string[]> {
  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  const notes: string[] = [`load average (1/5/15 min) ${load()} at the start`];
  const probeDir = mkdtempSync(join(tmpdir(), 'seqlog-latency-probe-'));
  const targets: Target[] = [];
  const samples = new Map<string, Sample[]>();
  const key = (kind: BrokerKind, hogs: number, variant = 0): string => `${kind}/${hogs}/${variant}`;
  try {
    for (const kind of BROKERS) {
      const { broker, probeFile } = await startWithProbe(kind, probeDir);
      const target: Target = { kind, broker, probeFile, rates: new Map() };
      targets.push(target);
      // The first maximum-rate run warms the broker up (Kafka's JIT compiles its hot paths in it) and is discarded:
      // a cold JVM's maximum would put Kafka's half load far below its real one.
      process.stderr.write(`e2e latency: ${BROKER_LABEL[kind]}, maximum rate (warm-up)\n`);
      await maxRate(broker.bootstrap, 0);
      for (const hogs of LOADS) {
        if (FIXED_RATE !== null) {
          target.rates.set(hogs, { rate: FIXED_RATE, max: null });
          continue;
        }
        // Half of the maximum on the machine as it is during the run: the quiet maximum would overload a starved
        // machine, and then the latency only says how fast the backlog grows.
        process.stderr.write(`e2e latency: ${BROKER_LABEL[kind]}, maximum rate, ${loadLabel(hogs)}\n`);
        const starvation = hogs > 0 ? startCpuHogs(hogs) : null;
        try {
          const max = await maxRate(broker.bootstrap, 1 + hogs);
          target.rates.set(hogs, { rate: Math.max(1, Math.round(max / 2)), max });
        } finally {
          await starvation?.stop();
        }
      }
    }
    for (let run = 0; run < RUNS; run++) {
      // Brokers and loads alternate their order run by run, so a drift in the machine's load hits each alike.
      const order = run % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const loads = run % 2 === 0 ? LOADS : [...LOADS].reverse();
        const variants = VARIANTS.map((_, i) => i);
        for (const hogs of loads) {
          for (const variant of run % 2 === 0 ? variants : [...variants].reverse()) {
            process.stderr.write(`e2e latency: ${BROKER_LABEL[target.kind]}, ${rateOf(target, hogs)} records/s, ${loadLabel(hogs)}, producer ${VARIANTS[variant]}, run ${run + 1}/${RUNS} (load ${load()})\n`);
            const sample = await latencyAt(target, hogs, variant, run);
            const list = samples.get(key(target.kind, hogs, variant)) ?? [];
            list.push(sample);
            samples.set(key(target.kind, hogs, variant), list);
          }
        }
      }
    }
  } finally {
    for (const target of targets) await target.broker.stop();
    rmSync(probeDir, { recursive: true, force: true });
  }
  notes.push(`load average (1/5/15 min) ${load()} at the end`);

  const table = new Table({
    head: ['broker', 'load', ...(VARIANTS.length > 1 ? ['producer'] : []), 'max rec/s', 'rate', 'p50 ms', 'p99 ms', 'p50/p99 per run', 'ack p50/p99', 'loop p99 broker/prod/cons', 'CPU wait ms/s broker/prod/cons', 'broker CPU ms/s'],
    ...style,
  });
  const p50s = new Map<string, number>();
  const p99s = new Map<string, number>();
  for (const target of targets) {
    for (const hogs of LOADS) {
      for (let variant = 0; variant < VARIANTS.length; variant++) {
        const runs = samples.get(key(target.kind, hogs, variant)) ?? [];
        const m = (pick: (s: Sample) => number): number => median(runs.map(pick));
        const p50 = m((s) => s.latency.p50Ms);
        const p99 = m((s) => s.latency.p99Ms);
        p50s.set(key(target.kind, hogs, variant), p50);
        p99s.set(key(target.kind, hogs, variant), p99);
        table.push([
          BROKER_LABEL[target.kind],
          loadLabel(hogs),
          ...(VARIANTS.length > 1 ? [VARIANTS[variant]] : []),
          maxOf(target, hogs),
          rateOf(target, hogs).toLocaleString('en-US'),
          fixed(p50),
          fixed(p99),
          runs.map((r) => `${r.latency.p50Ms.toFixed(1)}/${r.latency.p99Ms.toFixed(1)}`).join(' '),
          `${fixed(m((s) => s.producer.ackP50Ms))}/${fixed(m((s) => s.producer.ackP99Ms))}`,
          `${fixed(m((s) => s.broker.loopP99Ms))}/${fixed(m((s) => s.producer.loopP99Ms))}/${fixed(m((s) => s.latency.loopP99Ms))}`,
          `${fixed(m((s) => s.broker.cpuWaitMsPerS), 0)}/${fixed(m((s) => s.producer.cpuWaitMsPerS), 0)}/${fixed(m((s) => s.latency.cpuWaitMsPerS), 0)}`,
          fixed(m((s) => s.broker.cpuMsPerS), 0),
        ]);
      }
    }
  }
  const ratios: string[] = [];
  const kafka: BrokerKind = BROKERS.includes('kafka') ? 'kafka' : 'kafka-flush';
  for (const kind of ['seqlog-always', 'seqlog-never'] as const) {
    for (const hogs of LOADS) {
      const own = key(kind, hogs);
      const theirs = key(kafka, hogs);
      if (!p50s.has(own) || !p50s.has(theirs)) continue;
      ratios.push(`${BROKER_LABEL[kind]} / ${BROKER_LABEL[kafka]}, ${loadLabel(hogs)}: p50 ${((p50s.get(own) ?? 0) / (p50s.get(theirs) ?? 1)).toFixed(2)}x, p99 ${((p99s.get(own) ?? 0) / (p99s.get(theirs) ?? 1)).toFixed(2)}x (below 1 is faster)`);
    }
  }
  return [
    `produce -> read_committed consumer, seqlog's client on both sides, ${VALUE_BYTES} B values, one partition, ${SECONDS} s per run at ${FIXED_RATE === null ? "half of each broker's maximum" : `${FIXED_RATE} records/s`}, ${RUNS} runs${HOGS > 0 ? `, quiet and with ${HOGS} CPU hogs on ${availableParallelism()} CPUs` : ''}`,
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
