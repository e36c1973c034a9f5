// A small benchmark harness: each benchmark builds its inputs once and returns named cases; every case is
// calibrated to run for at least `minSampleMs` per sample, sampled `repeats` times, and reported as the
// MEDIAN time per operation (plus MB/s and ns per item when the case says how many bytes/items one op is).

export interface BenchCase {
  readonly label: string;
  /** Bytes one call of `run` processes (for MB/s). */
  readonly bytesPerOp?: number;
  /** Records (or other items) one call processes (for ns/item). */
  readonly itemsPerOp?: number;
  /** Returning the result keeps the work from being optimised away. */
  readonly run: () => unknown;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  /** Builds inputs and returns the cases; throw to report the benchmark as unavailable. */
  readonly build: () => BenchCase[] | Promise<BenchCase[]>;
  /** Extra lines after the table (e.g. a ratio between two cases). */
  readonly summarize?: (results: readonly CaseResult[]) => string[];
  /** For async end-to-end benches that measure themselves: lines printed after the table. */
  readonly report?: () => Promise<string[]>;
}

export interface CaseResult {
  readonly benchmark: string;
  readonly label: string;
  readonly medianNsPerOp: number;
  readonly samplesNsPerOp: readonly number[];
  readonly mbPerSecond: number | undefined;
  readonly nsPerItem: number | undefined;
}

export interface RunOptions {
  readonly repeats: number;
  readonly minSampleMs: number;
  readonly warmupMs: number;
  /** Called after every sample, for progress display. */
  readonly onSample?: () => void;
}

let sink: unknown;

function timeLoop(run: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink = run();
  return Number(process.hrtime.bigint() - start);
}

/** Iterations needed for one sample to last at least `ms`. */
function calibrate(run: () => unknown, ms: number): number {
  let iterations = 1;
  for (;;) {
    const elapsed = timeLoop(run, iterations);
    if (elapsed >= ms * 1e6) return iterations;
    const perOp = Math.max(elapsed / iterations, 1);
    iterations = Math.max(iterations * 2, Math.ceil((ms * 1e6 * 1.1) / perOp));
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function runCase(benchmark: string, benchCase: BenchCase, options: RunOptions): CaseResult {
  // Warm up (lets the JIT settle), then size one sample to last at least minSampleMs.
  const warmupEnd = process.hrtime.bigint() + BigInt(Math.round(options.warmupMs * 1e6));
  do timeLoop(benchCase.run, 1);
  while (process.hrtime.bigint() < warmupEnd);
  const perSample = calibrate(benchCase.run, options.minSampleMs);
  const samples: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    samples.push(timeLoop(benchCase.run, perSample) / perSample);
    options.onSample?.();
  }
  if (sink === Symbol.for('never')) console.log(sink);
  const medianNs = median(samples);
  return {
    benchmark,
    label: benchCase.label,
    medianNsPerOp: medianNs,
    samplesNsPerOp: samples,
    mbPerSecond: benchCase.bytesPerOp === undefined ? undefined : (benchCase.bytesPerOp / medianNs) * 1e3,
    nsPerItem: benchCase.itemsPerOp === undefined ? undefined : medianNs / benchCase.itemsPerOp,
  };
}
