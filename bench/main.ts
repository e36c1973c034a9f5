// Benchmark runner: `npm run bench` runs every benchmark, `npm run bench -- <name...>` only those named.
// Each case is sampled several times and the MEDIAN is reported (MB/s and ns per record where meaningful).
//
// Adding a benchmark: write `bench/<name>.bench.ts` exporting a `Benchmark` (see harness.ts) and add it to
// `benchmarks` below. Producer and broker end-to-end benches belong here too. `npm run bench -- rebalance` is
// a scenario rather than a sampled case (bench/rebalance.ts, with options of its own): it runs on its own.
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { runCase, type Benchmark, type CaseResult } from './harness.ts';
import { crc32cBench } from './crc32c.bench.ts';
import { compressionBench } from './compression.bench.ts';
import { recordBatchBench } from './record-batch.bench.ts';
import { produceRequestBench } from './produce-request.bench.ts';
import { producerBench } from './producer.bench.ts';
import { fetchIsolationBench } from './fetch-isolation.bench.ts';
import { brokerValidationBench } from './broker-validation.bench.ts';
import { consumerBench } from './consumer.bench.ts';
import { requestMetricsBench } from './request-metrics.bench.ts';
import { brokerCostBench } from './broker-cost.bench.ts';
import { e2eLatencyBench } from './e2e-latency.bench.ts';
import { durableAppendBench } from './durable-append.bench.ts';

const benchmarks: readonly Benchmark[] = [
  crc32cBench,
  compressionBench,
  recordBatchBench,
  produceRequestBench,
  producerBench,
  brokerValidationBench,
  fetchIsolationBench,
  consumerBench,
  requestMetricsBench,
  brokerCostBench,
  e2eLatencyBench,
  durableAppendBench,
];

if (process.argv[2] === 'rebalance') {
  const { runRebalanceBench } = await import('./rebalance.ts');
  await runRebalanceBench(process.argv.slice(3));
  process.exit(0);
}

const program = new Command()
  .name('bench')
  .description('seqlog micro-benchmarks (median of repeated samples)')
  .argument('[names...]', 'benchmarks to run (default: all)')
  .option('-r, --repeats <n>', 'samples per case', (v) => Number.parseInt(v, 10), 7)
  .option('-t, --min-sample-ms <ms>', 'minimum duration of one sample', (v) => Number.parseInt(v, 10), 100)
  .option('-w, --warmup-ms <ms>', 'warm-up time per case', (v) => Number.parseInt(v, 10), 100)
  .option('-l, --list', 'list the benchmarks and exit')
  .option('--json', 'print results as JSON instead of a table')
  .parse();

const options = program.opts<{ repeats: number; minSampleMs: number; warmupMs: number; list?: boolean; json?: boolean }>();

if (options.list) {
  for (const benchmark of benchmarks) console.log(`${benchmark.name.padEnd(18)} ${benchmark.description}`);
  process.exit(0);
}

const wanted = program.args;
const unknown = wanted.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length === 0 ? benchmarks : benchmarks.filter((b) => wanted.includes(b.name));

function format(value: number | undefined, digits: number): string {
  return value === undefined ? '' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function formatTime(ns: number): string {
  if (ns >= 1e6) return `${format(ns / 1e6, 2)} ms`;
  if (ns >= 1e3) return `${format(ns / 1e3, 2)} µs`;
  return `${format(ns, 1)} ns`;
}

const prepared: { benchmark: Benchmark; cases: Awaited<ReturnType<Benchmark['build']>> }[] = [];
const unavailable: string[] = [];
for (const benchmark of selected) {
  try {
    prepared.push({ benchmark, cases: await benchmark.build() });
  } catch (error) {
    unavailable.push(`${benchmark.name}: unavailable (${(error as Error).message.split('\n')[0]})`);
  }
}

const totalSamples = prepared.reduce((sum, p) => sum + p.cases.length * options.repeats, 0);
const bar = new cliProgress.SingleBar(
  { format: 'bench [{bar}] {value}/{total} samples | {case}', stream: process.stderr, clearOnComplete: true, hideCursor: true },
  cliProgress.Presets.shades_classic,
);
const interactive = process.stderr.isTTY === true && !options.json;
if (interactive) bar.start(totalSamples, 0, { case: '' });

const results: CaseResult[] = [];
const notes: string[] = [];
for (const { benchmark, cases } of prepared) {
  const own: CaseResult[] = [];
  for (const benchCase of cases) {
    if (interactive) bar.update({ case: `${benchmark.name}: ${benchCase.label}` });
    else if (!options.json) process.stderr.write(`running ${benchmark.name}: ${benchCase.label}\n`);
    own.push(runCase(benchmark.name, benchCase, { ...options, onSample: () => interactive && bar.increment() }));
  }
  results.push(...own);
  for (const line of benchmark.summarize?.(own) ?? []) notes.push(`${benchmark.name}: ${line}`);
  if (benchmark.report !== undefined) for (const line of await benchmark.report()) notes.push(`${benchmark.name}: ${line}`);
}
if (interactive) bar.stop();

if (options.json) {
  console.log(JSON.stringify({ node: process.version, options, results, notes, unavailable }, null, 2));
} else {
  const table = new Table({
    head: ['benchmark', 'case', 'median/op', 'MB/s', 'ns/record', 'spread'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right'],
    ...(process.stdout.isTTY ? {} : { style: { head: [], border: [] } }),
  });
  for (const result of results) {
    const spread = (Math.max(...result.samplesNsPerOp) - Math.min(...result.samplesNsPerOp)) / result.medianNsPerOp;
    table.push([
      result.benchmark,
      result.label,
      formatTime(result.medianNsPerOp),
      format(result.mbPerSecond, 0),
      format(result.nsPerItem, 0),
      `±${format((spread * 100) / 2, 1)}%`,
    ]);
  }
  console.log(`node ${process.version}, ${options.repeats} samples of >= ${options.minSampleMs} ms per case (median shown)`);
  console.log(table.toString());
  for (const line of [...notes, ...unavailable]) console.log(line);
}
