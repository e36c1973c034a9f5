// Broker cost: CPU-seconds the broker process spends per GB ingested and per GB fetched, seqlog and Apache Kafka
// 4.4 in the same run. The broker runs in its own process (Kafka with its start scripts' JVM settings); its CPU
// time is utime + stime of /proc/<pid>/stat (every thread of the process) read before and after each phase:
//   ingest: PRODUCERS concurrent producer processes (seqlog's producer, idempotent, acks=all), each sending
//           RECORDS values of VALUE_BYTES to a topic of its own (one partition);
//   fetch:  as many consumer processes (seqlog's consumer), each reading its topic from the beginning to the end.
// GB are value bytes (10^9). What a GB costs is the marginal cost: each phase also pays for starting the client
// processes (during which the broker idles, and a JVM's background threads are not free) and for their
// connections, metadata and producer ids, which depend on the number of clients, not on the bytes. So the same
// phases are first run with one record per client (FIXED_RUNS times, median); their CPU is subtracted, and so is
// the broker's idle CPU rate (measured for IDLE_MS) times the rest of the phase's wall time. The raw figure is
// printed too. A first, unreported run warms up Kafka's JIT. The ratio compares medians of the runs; a ratio of
// CPU time is much steadier than throughput on a shared machine, because what other processes take does not count.
// Environment: BROKER_COST_PRODUCERS (4), BROKER_COST_RECORDS (25000 per producer), BROKER_COST_VALUE_BYTES (1024),
// BROKER_COST_RUNS (2), BROKER_COST_BROKERS (seqlog-always,kafka; also seqlog-never, kafka-flush).
//   npm run bench -- broker-cost
import { join } from 'node:path';
import Table from 'cli-table3';
import { repoRoot } from '../test/reference/layout.ts';
import { median, type Benchmark } from './harness.ts';
import { BROKER_LABEL, createTopic, lastJson, runProcess, startTarget, storedRecords, type BrokerKind } from './producer.bench.ts';
import { envList, machineLoad } from './bench-matrix.ts';
import { processCpuSeconds } from './process-cpu.ts';

const PRODUCERS = Number(process.env.BROKER_COST_PRODUCERS ?? 4);
const RECORDS = Number(process.env.BROKER_COST_RECORDS ?? 25_000);
const VALUE_BYTES = Number(process.env.BROKER_COST_VALUE_BYTES ?? 1024);
const RUNS = Number(process.env.BROKER_COST_RUNS ?? 2);
const BROKERS = envList('BROKER_COST_BROKERS', 'seqlog-always,kafka') as BrokerKind[];
const WINDOW = 2_000;
const IDLE_MS = 10_000;
const FIXED_RUNS = 2;

interface Phase {
  /** Raw broker CPU during the phase. */
  cpuSeconds: number;
  gigabytes: number;
  wallSeconds: number;
}

interface Sample {
  ingest: Phase;
  fetch: Phase;
}

async function measure(pid: number, gigabytes: number, work: () => Promise<unknown>): Promise<Phase> {
  const cpuBefore = processCpuSeconds(pid);
  const started = performance.now();
  await work();
  return { cpuSeconds: processCpuSeconds(pid) - cpuBefore, gigabytes, wallSeconds: (performance.now() - started) / 1000 };
}

/** The broker's CPU-seconds per second while nothing talks to it. */
async function idleRate(pid: number): Promise<number> {
  const before = processCpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  return (processCpuSeconds(pid) - before) / (IDLE_MS / 1000);
}

async function runOnce(kind: BrokerKind, bootstrap: string, pid: number, run: number | string, records = RECORDS): Promise<Sample> {
  const topics = Array.from({ length: PRODUCERS }, (_, i) => `cost-${run}-${i}`);
  for (const topic of topics) await createTopic(bootstrap, topic, 1);
  const gigabytes = (PRODUCERS * records * VALUE_BYTES) / 1e9;
  const driver = join(repoRoot, 'bench', 'producer-peers', 'node-driver.ts');
  const ingest = await measure(pid, gigabytes, () =>
    Promise.all(
      topics.map((topic) =>
        runProcess(process.execPath, ['--import', 'tsx', driver, 'seqlog', bootstrap, topic, String(records), String(VALUE_BYTES), '1', String(WINDOW)], `producer ${topic}`),
      ),
    ),
  );
  for (const topic of topics) {
    // The driver sends one warm-up record before its timed records.
    const stored = await storedRecords(bootstrap, topic, 1);
    if (stored !== BigInt(records + 1)) throw new Error(`${BROKER_LABEL[kind]}: ${topic} holds ${stored} records, ${records + 1} were sent`);
  }
  const consumer = join(repoRoot, 'bench', 'consumer-peers', 'node-consume.ts');
  const fetch = await measure(pid, gigabytes, () =>
    Promise.all(
      topics.map(async (topic) => {
        const out = await runProcess(process.execPath, ['--import', 'tsx', consumer, 'seqlog', bootstrap, topic, String(records + 1)], `consumer ${topic}`);
        const read = lastJson(out, `consumer ${topic}`) as unknown as { records: number };
        if (read.records !== records + 1) throw new Error(`${BROKER_LABEL[kind]}: consumer of ${topic} read ${read.records} records`);
      }),
    ),
  );
  return { ingest, fetch };
}

/** The median CPU and wall time of the phases run with one record per client: what does not depend on the bytes. */
interface Fixed {
  ingest: { cpuSeconds: number; wallSeconds: number };
  fetch: { cpuSeconds: number; wallSeconds: number };
}

function medianPhase(phases: Phase[]): { cpuSeconds: number; wallSeconds: number } {
  return { cpuSeconds: median(phases.map((p) => p.cpuSeconds)), wallSeconds: median(phases.map((p) => p.wallSeconds)) };
}

async function runAll(): Promise<string[]> {
  const results = new Map<BrokerKind, Sample[]>();
  const idle = new Map<BrokerKind, number>();
  const fixedCosts = new Map<BrokerKind, Fixed>();
  const notes: string[] = [];
  for (const kind of BROKERS) {
    const broker = await startTarget(kind);
    const loadBefore = machineLoad();
    const samples: Sample[] = [];
    try {
      if (broker.pid <= 0) throw new Error(`${BROKER_LABEL[kind]}: no broker pid`);
      process.stderr.write(`broker cost: ${BROKER_LABEL[kind]}, warm-up run\n`);
      await runOnce(kind, broker.bootstrap, broker.pid, 0);
      idle.set(kind, await idleRate(broker.pid));
      const fixedSamples: Sample[] = [];
      for (let run = 1; run <= FIXED_RUNS; run++) {
        process.stderr.write(`broker cost: ${BROKER_LABEL[kind]}, one record per client ${run}/${FIXED_RUNS}\n`);
        fixedSamples.push(await runOnce(kind, broker.bootstrap, broker.pid, `fixed-${run}`, 1));
      }
      fixedCosts.set(kind, { ingest: medianPhase(fixedSamples.map((s) => s.ingest)), fetch: medianPhase(fixedSamples.map((s) => s.fetch)) });
      for (let run = 1; run <= RUNS; run++) {
        process.stderr.write(`broker cost: ${BROKER_LABEL[kind]}, run ${run}/${RUNS}\n`);
        samples.push(await runOnce(kind, broker.bootstrap, broker.pid, run));
      }
    } finally {
      await broker.stop();
    }
    results.set(kind, samples);
    notes.push(`${BROKER_LABEL[kind]}: load average (1/5/15 min) ${loadBefore} before, ${machineLoad()} after`);
    const fixed = fixedCosts.get(kind);
    if (fixed !== undefined) {
      notes.push(
        `${BROKER_LABEL[kind]}: fixed cost (one record per client, median of ${FIXED_RUNS}): ingest ${fixed.ingest.cpuSeconds.toFixed(2)} CPU-s in ${fixed.ingest.wallSeconds.toFixed(1)} s, fetch ${fixed.fetch.cpuSeconds.toFixed(2)} CPU-s in ${fixed.fetch.wallSeconds.toFixed(1)} s`,
      );
    }
  }

  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({
    head: ['broker', 'idle CPU-s/s', 'ingest CPU-s/GB (median)', 'runs (raw)', 'ingest MB/s', 'fetch CPU-s/GB (median)', 'runs (raw)', 'fetch MB/s'],
    colAligns: ['left', 'right', 'right', 'left', 'right', 'right', 'left', 'right'],
    ...style,
  });
  const medians = new Map<BrokerKind, { ingest: number; fetch: number; rawIngest: number; rawFetch: number }>();
  for (const [kind, samples] of results) {
    const idleCpu = idle.get(kind) ?? 0;
    const fixed = fixedCosts.get(kind);
    const noFixed = { cpuSeconds: 0, wallSeconds: 0 };
    // CPU beyond the one-record phases and the idle rate over the extra wall time, per GB.
    const perGb = (phase: Phase, base: { cpuSeconds: number; wallSeconds: number }): number =>
      Math.max(0, phase.cpuSeconds - base.cpuSeconds - idleCpu * Math.max(0, phase.wallSeconds - base.wallSeconds)) / phase.gigabytes;
    const perGbIngest = (phase: Phase): number => perGb(phase, fixed?.ingest ?? noFixed);
    const perGbFetch = (phase: Phase): number => perGb(phase, fixed?.fetch ?? noFixed);
    const withRaw = (phase: Phase, marginal: number): string => `${marginal.toFixed(2)} (${(phase.cpuSeconds / phase.gigabytes).toFixed(2)})`;
    const ingest = median(samples.map((s) => perGbIngest(s.ingest)));
    const fetch = median(samples.map((s) => perGbFetch(s.fetch)));
    const raw = (phase: Phase): number => phase.cpuSeconds / phase.gigabytes;
    medians.set(kind, { ingest, fetch, rawIngest: median(samples.map((s) => raw(s.ingest))), rawFetch: median(samples.map((s) => raw(s.fetch))) });
    table.push([
      BROKER_LABEL[kind],
      idleCpu.toFixed(3),
      ingest.toFixed(2),
      samples.map((s) => withRaw(s.ingest, perGbIngest(s.ingest))).join(' '),
      median(samples.map((s) => (s.ingest.gigabytes * 1000) / s.ingest.wallSeconds)).toFixed(1),
      fetch.toFixed(2),
      samples.map((s) => withRaw(s.fetch, perGbFetch(s.fetch))).join(' '),
      median(samples.map((s) => (s.fetch.gigabytes * 1000) / s.fetch.wallSeconds)).toFixed(1),
    ]);
  }
  const ratios: string[] = [];
  const kafka = medians.get('kafka') ?? medians.get('kafka-flush');
  for (const kind of ['seqlog-always', 'seqlog-never'] as const) {
    const own = medians.get(kind);
    if (own === undefined || kafka === undefined) continue;
    // The raw ratio as well: on a loaded machine Kafka's idle rate (a KRaft controller and JVM threads) times its
    // longer phases is most of its raw CPU, so its marginal figure moves a lot from run to run.
    ratios.push(
      `${BROKER_LABEL[kind]} / Kafka CPU per GB: ingest ${(own.ingest / kafka.ingest).toFixed(2)}x (raw ${(own.rawIngest / kafka.rawIngest).toFixed(2)}x), fetch ${(own.fetch / kafka.fetch).toFixed(2)}x (raw ${(own.rawFetch / kafka.rawFetch).toFixed(2)}x) (below 1 is cheaper)`,
    );
  }
  return [
    `${PRODUCERS} producer processes x ${RECORDS} records of ${VALUE_BYTES} B (idempotent, acks=all, one topic each), then ${PRODUCERS} consumer processes reading them back; a warm-up run, ${FIXED_RUNS} runs of one record per client, then ${RUNS} runs per broker; broker CPU from /proc/<pid>/stat minus the one-record runs' CPU and the idle rate x the remaining wall time (raw in parentheses)`,
    ...notes,
    ...table.toString().split('\n'),
    ...ratios,
  ];
}

export const brokerCostBench: Benchmark = {
  name: 'broker-cost',
  description: 'broker CPU-seconds per GB ingested (concurrent idempotent producers) and per GB fetched, seqlog serve vs Kafka 4.4, in their own processes',
  build: () => [],
  report: runAll,
};
