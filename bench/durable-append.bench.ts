// Ingest throughput as a share of this machine's append limit under the same flush policy, in one run:
//   limit:  bench/durable-append/append-limit.ts, a process of its own that does only the file work of a
//           single-node broker: PRODUCERS files (one per partition) in the temp dir the brokers use, appended to
//           with writes of each size in WRITES (16 KiB: the producer's default batch.size with 1 KiB records;
//           1 MiB: a batch filled to max.request.size), at most WINDOW writes unacknowledged per file (the
//           producer's max.in.flight.requests.per.connection), each case LIMIT_RUNS times. Policy `group fsync` is seqlog's default
//           (`log.flush` fsync always): a write is acknowledged after an fsync that started after it; one fsync per
//           file at a time, covering every write staged before it began, the writes made meanwhile forming the
//           next group (the broker's GroupCommit). Policy `write` is plain write() with no fsync: Kafka's default
//           flush policy (it leaves flushing to the OS) and seqlog's `fsync never`.
//   ingest: the broker in its own process, PRODUCERS producer processes (seqlog's producer through
//           bench/producer-peers/node-driver.ts, idempotent, acks=all), each sending RECORDS values of VALUE_BYTES
//           to a one-partition topic of its own; they start sending together once all have loaded
//           (bench/durable-append/start-together.ts). The throughput is read on the broker side: the topics' end
//           offsets are polled every POLL_MS and the rate is taken over the span during which every producer
//           was sending (after each one's warm-up record, before any had finished), so process start-up and
//           stragglers do not count. `*` marks a run too short for two such polls (whole-phase rate instead).
//   share:  ingest MB/s / limit MB/s (medians of the runs), against each write size's limit of the broker's
//           policy: seqlog `fsync always` and Kafka `flush every message` against `group fsync`, seqlog
//           `fsync never` and Kafka's default flush against `write`.
// MB are 10^6 bytes; ingest counts value bytes (a stored 1 KiB record is about 1% larger, batch headers included).
// Environment: DURABLE_APPEND_PRODUCERS (4), DURABLE_APPEND_RECORDS (25000 per producer), DURABLE_APPEND_VALUE_BYTES
// (1024), DURABLE_APPEND_RUNS (3 per broker), DURABLE_APPEND_LIMIT_RUNS (5 per limit case), DURABLE_APPEND_WRITES
// (16384,1048576), DURABLE_APPEND_WINDOW (5), DURABLE_APPEND_SYNC (fsync, as the broker calls; or fdatasync),
// DURABLE_APPEND_BROKERS (seqlog-always,kafka; also seqlog-never, kafka-flush).
//   npm run bench -- durable-append
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { BrokerConnection } from '../src/client/index.ts';
import { ErrorCode, errorName } from '../src/protocol/errors/index.ts';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { repoRoot } from '../test/reference/layout.ts';
import { median, type Benchmark } from './harness.ts';
import { BROKER_LABEL, createTopic, lastJson, runProcess, startTarget, storedRecords, type BrokerKind } from './producer.bench.ts';
import { envList, machineLoad } from './bench-matrix.ts';

const PRODUCERS = Number(process.env.DURABLE_APPEND_PRODUCERS ?? 4);
const RECORDS = Number(process.env.DURABLE_APPEND_RECORDS ?? 25_000);
const VALUE_BYTES = Number(process.env.DURABLE_APPEND_VALUE_BYTES ?? 1024);
const RUNS = Number(process.env.DURABLE_APPEND_RUNS ?? 3);
const LIMIT_RUNS = Number(process.env.DURABLE_APPEND_LIMIT_RUNS ?? 5);
const WRITES = envList('DURABLE_APPEND_WRITES', '16384,1048576').map(Number);
const WINDOW = Number(process.env.DURABLE_APPEND_WINDOW ?? 5);
const SYNC = process.env.DURABLE_APPEND_SYNC ?? 'fsync';
const BROKERS = envList('DURABLE_APPEND_BROKERS', 'seqlog-always,kafka') as BrokerKind[];
/** Records the producer driver keeps outstanding (as in the broker-cost bench). */
const DRIVER_WINDOW = 2_000;
const POLL_MS = 100;

type Policy = 'group-fsync' | 'write';
const POLICY_LABEL: Record<Policy, string> = { 'group-fsync': `group ${SYNC}`, write: 'write, no fsync' };
const BROKER_POLICY: Record<BrokerKind, Policy> = { 'seqlog-always': 'group-fsync', 'seqlog-never': 'write', kafka: 'write', 'kafka-flush': 'group-fsync' };

function kib(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`;
}

interface LimitSample {
  mode: string;
  writeBytes: number;
  mbPerSecond: number;
  bytesPerSync: number;
}

const limitMode = (policy: Policy): string => (policy === 'write' ? 'write' : `group-${SYNC}`);

/** Every case LIMIT_RUNS times, in one process of its own. */
async function measureLimits(cases: readonly { policy: Policy; writeBytes: number }[]): Promise<LimitSample[]> {
  const script = join(repoRoot, 'bench', 'durable-append', 'append-limit.ts');
  const out = await runProcess(
    process.execPath,
    ['--import', 'tsx', script, tmpdir(), String(PRODUCERS), String(RECORDS * VALUE_BYTES), String(WINDOW), String(LIMIT_RUNS), ...cases.map((c) => `${limitMode(c.policy)}:${c.writeBytes}`)],
    'append-limit',
  );
  const samples = out.trim().split('\n').map((line) => JSON.parse(line) as LimitSample);
  if (samples.length !== cases.length * LIMIT_RUNS) throw new Error(`append-limit: ${samples.length} samples, expected ${cases.length * LIMIT_RUNS}: ${out.slice(-500)}`);
  return samples;
}

interface IngestSample {
  /** Value MB/s while every producer was sending. */
  mbPerSecond: number;
  /** Seconds that span lasted (0: too short, whole-phase rate used). */
  spanSeconds: number;
  /** The drivers' own rates added up (each timed from its first to its last acknowledgement). */
  driverSum: number;
}

/** Polls the topics' end offsets (the high watermark: durable records under fsync always) on one connection. */
class EndOffsetPoller {
  readonly samples: { at: number; ends: number[] }[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly connection: BrokerConnection,
    private readonly topics: readonly string[],
  ) {}

  static async open(bootstrap: string, topics: readonly string[]): Promise<EndOffsetPoller> {
    const [host, port] = bootstrap.split(':');
    const connection = await BrokerConnection.open({ host, port: Number(port) });
    await connection.negotiateApiVersions();
    return new EndOffsetPoller(connection, topics);
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll();
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    try {
      await this.loop;
      await this.poll();
    } finally {
      this.connection.close();
    }
  }

  private async poll(): Promise<void> {
    const response = await this.connection.send(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      timeoutMs: 10_000,
      topics: this.topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] })),
    });
    const at = performance.now();
    const ends = this.topics.map((name) => {
      const partition = response.topics.find((t) => t.name === name)?.partitions[0];
      if (partition === undefined || partition.errorCode !== ErrorCode.NONE) {
        throw new Error(`ListOffsets ${name}-0: ${partition === undefined ? 'no answer' : errorName(partition.errorCode)}`);
      }
      return Number(partition.offset);
    });
    this.samples.push({ at, ends });
  }
}

/** Value MB/s between the first and the last poll at which every producer was past its warm-up record and not done. */
function concurrentRate(samples: readonly { at: number; ends: number[] }[]): { mbPerSecond: number; spanSeconds: number } {
  const total = RECORDS + 1;
  const active = samples.filter((s) => s.ends.every((end) => end > 1 && end < total));
  const sum = (ends: readonly number[]): number => ends.reduce((a, b) => a + b, 0);
  if (active.length >= 2) {
    const first = active[0];
    const last = active[active.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return { mbPerSecond: ((sum(last.ends) - sum(first.ends)) * VALUE_BYTES) / seconds / 1e6, spanSeconds: seconds };
  }
  // Too short to see all producers at once: from the first poll showing timed records to the first showing all done.
  const start = samples.find((s) => s.ends.some((end) => end > 1)) ?? samples[0];
  const end = samples.find((s) => s.ends.every((e) => e >= total)) ?? samples[samples.length - 1];
  const seconds = Math.max((end.at - start.at) / 1000, 1e-3);
  return { mbPerSecond: ((sum(end.ends) - sum(start.ends)) * VALUE_BYTES) / seconds / 1e6, spanSeconds: 0 };
}

/** A producer process that has loaded its modules and waits for `go()` before it sends. */
interface WaitingProducer {
  go(): void;
  kill(): void;
  /** The driver's output once it exited 0. */
  readonly done: Promise<string>;
}

function spawnProducer(args: readonly string[], what: string): Promise<WaitingProducer> {
  const script = join(repoRoot, 'bench', 'durable-append', 'start-together.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} exited ${code}: ${(out + err).slice(-800)}`))));
  });
  return new Promise((resolve, reject) => {
    done.catch(reject);
    child.stdout.on('data', (chunk: Buffer) => {
      const ready = !out.includes('ready\n');
      out += chunk.toString();
      if (ready && out.includes('ready\n')) resolve({ go: () => child.stdin.end('go\n'), kill: () => child.kill(), done });
    });
  });
}

async function ingestOnce(kind: BrokerKind, bootstrap: string, run: number, records: number): Promise<IngestSample> {
  const topics = Array.from({ length: PRODUCERS }, (_, i) => `durable-append-${run}-${i}`);
  for (const topic of topics) await createTopic(bootstrap, topic, 1);
  const started = await Promise.allSettled(
    topics.map((topic) => spawnProducer(['seqlog', bootstrap, topic, String(records), String(VALUE_BYTES), '1', String(DRIVER_WINDOW)], `producer ${topic}`)),
  );
  const producers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    for (const producer of producers) producer.kill();
    throw failed.reason;
  }
  const poller = await EndOffsetPoller.open(bootstrap, topics);
  poller.start();
  let outputs: string[];
  try {
    for (const producer of producers) producer.go();
    outputs = await Promise.all(producers.map((producer) => producer.done));
  } finally {
    await poller.stop();
  }
  for (const topic of topics) {
    // The driver sends one warm-up record before its timed records.
    const stored = await storedRecords(bootstrap, topic, 1);
    if (stored !== BigInt(records + 1)) throw new Error(`${BROKER_LABEL[kind]}: ${topic} holds ${stored} records, ${records + 1} were sent`);
  }
  const driverSum = outputs.reduce((sum, out, i) => sum + lastJson(out, `producer ${topics[i]}`).mbPerSecond, 0);
  return { ...concurrentRate(poller.samples), driverSum };
}

function formatRuns(values: readonly number[]): string {
  return values.map((v) => v.toFixed(0)).join(' ');
}

async function runAll(): Promise<string[]> {
  for (const kind of BROKERS) if (!(kind in BROKER_POLICY)) throw new Error(`unknown broker ${kind}; known: ${Object.keys(BROKER_POLICY).join(', ')}`);
  if (SYNC !== 'fsync' && SYNC !== 'fdatasync') throw new Error(`DURABLE_APPEND_SYNC must be fsync or fdatasync, not ${SYNC}`);
  const policies = [...new Set(BROKERS.map((kind) => BROKER_POLICY[kind]))];
  const notes: string[] = [];

  // 1. The limits, before any broker runs.
  const cases = policies.flatMap((policy) => WRITES.map((writeBytes) => ({ policy, writeBytes })));
  const loadBeforeLimits = machineLoad();
  process.stderr.write(`durable append: append limit, ${cases.length} cases x ${LIMIT_RUNS} runs\n`);
  const limitSamples = await measureLimits(cases);
  const limitsOf = (policy: Policy, writeBytes: number): LimitSample[] => limitSamples.filter((s) => s.mode === limitMode(policy) && s.writeBytes === writeBytes);
  notes.push(`limit: load average (1/5/15 min) ${loadBeforeLimits} before, ${machineLoad()} after`);
  const limitMedian = (policy: Policy, writeBytes: number): number => median(limitsOf(policy, writeBytes).map((s) => s.mbPerSecond));

  // 2. Ingest through each broker; a first, shorter, unreported run warms up Kafka's JIT (and seqlog's).
  const ingest = new Map<BrokerKind, IngestSample[]>();
  for (const kind of BROKERS) {
    const broker = await startTarget(kind);
    const loadBefore = machineLoad();
    const samples: IngestSample[] = [];
    try {
      process.stderr.write(`durable append: ${BROKER_LABEL[kind]}, warm-up run\n`);
      await ingestOnce(kind, broker.bootstrap, 0, Math.max(1, Math.floor(RECORDS / 4)));
      for (let run = 1; run <= RUNS; run++) {
        process.stderr.write(`durable append: ${BROKER_LABEL[kind]}, run ${run}/${RUNS}\n`);
        samples.push(await ingestOnce(kind, broker.bootstrap, run, RECORDS));
      }
    } finally {
      await broker.stop();
    }
    ingest.set(kind, samples);
    notes.push(`${BROKER_LABEL[kind]}: load average (1/5/15 min) ${loadBefore} before, ${machineLoad()} after`);
  }

  // 3. Tables.
  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const limitTable = new Table({
    head: ['append limit', 'write', 'MB/s (median)', 'runs', 'KiB per sync'],
    colAligns: ['left', 'right', 'right', 'left', 'right'],
    ...style,
  });
  for (const { policy, writeBytes } of cases) {
    const samples = limitsOf(policy, writeBytes);
    limitTable.push([
      POLICY_LABEL[policy],
      kib(writeBytes),
      limitMedian(policy, writeBytes).toFixed(0),
      formatRuns(samples.map((s) => s.mbPerSecond)),
      policy === 'write' ? '' : (median(samples.map((s) => s.bytesPerSync)) / 1024).toFixed(0),
    ]);
  }
  const ingestTable = new Table({
    head: ['broker', 'ingest MB/s (median)', 'runs', 'drivers\' sum', 'policy', ...WRITES.map((w) => `share of ${kib(w)} limit`)],
    colAligns: ['left', 'right', 'left', 'right', 'left', ...WRITES.map(() => 'right' as const)],
    ...style,
  });
  for (const [kind, samples] of ingest) {
    const policy = BROKER_POLICY[kind];
    const rate = median(samples.map((s) => s.mbPerSecond));
    ingestTable.push([
      BROKER_LABEL[kind],
      rate.toFixed(1),
      samples.map((s) => `${s.mbPerSecond.toFixed(0)}${s.spanSeconds === 0 ? '*' : ''}`).join(' '),
      median(samples.map((s) => s.driverSum)).toFixed(1),
      POLICY_LABEL[policy],
      ...WRITES.map((w) => `${((rate / limitMedian(policy, w)) * 100).toFixed(1)}%`),
    ]);
  }
  const spans = [...ingest.values()].flat().map((s) => s.spanSeconds);
  return [
    `${PRODUCERS} producer processes x ${RECORDS} records of ${VALUE_BYTES} B (idempotent, acks=all, one topic each), a warm-up run then ${RUNS} runs per broker; ` +
      `limit: ${PRODUCERS} files in ${tmpdir()} (the brokers' data dirs), ${RECORDS * VALUE_BYTES} bytes each, at most ${WINDOW} writes unacknowledged per file, ${LIMIT_RUNS} runs per case`,
    ...notes,
    ...limitTable.toString().split('\n'),
    ...ingestTable.toString().split('\n'),
    `ingest rate while all ${PRODUCERS} producers were sending, from end offsets polled every ${POLL_MS} ms (spans ${Math.min(...spans).toFixed(1)}-${Math.max(...spans).toFixed(1)} s; * = too short, whole-phase rate); ` +
      `drivers' sum: each producer's own rate added up`,
  ];
}

export const durableAppendBench: Benchmark = {
  name: 'durable-append',
  description: "ingest MB/s of seqlog serve and Kafka 4.4 (concurrent idempotent producers) as a share of this machine's append limit under the same flush policy",
  build: () => [],
  report: runAll,
};
