// What the client benches share: the cases they run, chosen by comma lists in the environment and checked against
// what the bench knows, and the machine's load average, printed around each broker's runs.
import { loadavg } from 'node:os';
import { median } from './harness.ts';
import { processCpuSeconds } from './process-cpu.ts';

/** A comma list from the environment, or `fallback`. */
export function envList(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

/** The 1, 5 and 15 minute load averages. */
export function machineLoad(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

export interface BenchMatrix<C extends string, B extends string> {
  readonly clients: C[];
  readonly brokers: B[];
  readonly values: number[];
  readonly partitionCounts: number[];
}

/**
 * The cases of a client bench from `<prefix>_CLIENTS`, `_BROKERS`, `_VALUES` (100,1024) and `_PARTITIONS` (1,8).
 * An unknown client or broker fails the bench rather than being skipped.
 */
export function benchMatrix<C extends string, B extends string>(
  prefix: string,
  known: { clients: readonly C[]; brokers: readonly B[] },
  defaults: { clients: readonly C[]; brokers: readonly B[] },
): BenchMatrix<C, B> {
  const clients = envList(`${prefix}_CLIENTS`, defaults.clients.join(',')) as C[];
  const brokers = envList(`${prefix}_BROKERS`, defaults.brokers.join(',')) as B[];
  for (const client of clients) if (!known.clients.includes(client)) throw new Error(`unknown client ${client}; known: ${known.clients.join(', ')}`);
  for (const broker of brokers) if (!known.brokers.includes(broker)) throw new Error(`unknown broker ${broker}; known: ${known.brokers.join(', ')}`);
  return {
    clients,
    brokers,
    values: envList(`${prefix}_VALUES`, '100,1024').map(Number),
    partitionCounts: envList(`${prefix}_PARTITIONS`, '1,8').map(Number),
  };
}

/** One table row per case and client: where it ran, and the columns `summarize` makes of the client's runs. */
export function matrixRows<C extends string, B extends string, M, R>(
  cases: readonly MatrixCase<C, B, M>[],
  label: (broker: B) => string,
  summarize: (runs: (M & BrokerCpu)[], valueBytes: number) => R,
): (R & { broker: string; client: C; valueBytes: number; partitions: number })[] {
  const rows: (R & { broker: string; client: C; valueBytes: number; partitions: number })[] = [];
  for (const { broker, valueBytes, partitions, samples } of cases) {
    for (const [client, runs] of samples) rows.push({ broker: label(broker), client, valueBytes, partitions, ...summarize(runs, valueBytes) });
  }
  return rows;
}

/** A case's records/s over its runs: the median the tables and ratios use, and the range. */
export function rateSpread(rates: readonly number[]): { recordsPerSecond: number; min: number; max: number } {
  return { recordsPerSecond: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
}

export interface MatrixCase<C extends string, B extends string, M> {
  readonly broker: B;
  readonly valueBytes: number;
  readonly partitions: number;
  /** Each client's measurements, one per run. */
  readonly samples: Map<C, (M & BrokerCpu)[]>;
}

/**
 * The broker's CPU-seconds (all its threads) over one `measure` step: the client process from its start to its
 * exit, and whatever the bench does around it (the producer bench creates the topic and checks its end offsets).
 * What the client's records cost the broker, next to what they cost the client: it shows which side was the limit.
 */
export interface BrokerCpu {
  readonly brokerCpuSeconds: number;
}

export interface MatrixBroker {
  readonly bootstrap: string;
  /** The broker's process (the JVM for Kafka), for its CPU time. */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface MatrixStep<B extends string> {
  readonly broker: B;
  readonly bootstrap: string;
  readonly valueBytes: number;
  readonly partitions: number;
}

/**
 * Runs every case of `matrix`: each broker is started once and stopped after its cases; per case, `prepare` runs
 * once, then `runs` rounds of `measure` for every client, the client order reversed on every other round so that
 * no client always follows the same one. Returns the samples and the load average around each broker's runs.
 */
export async function runMatrix<C extends string, B extends string, M>(
  matrix: BenchMatrix<C, B>,
  options: {
    readonly runs: number;
    start(broker: B): Promise<MatrixBroker>;
    label(broker: B): string;
    prepare?(step: MatrixStep<B>): Promise<void>;
    measure(step: MatrixStep<B>, client: C, run: number): Promise<M>;
  },
): Promise<{ cases: MatrixCase<C, B, M>[]; loads: string[] }> {
  const cases: MatrixCase<C, B, M>[] = [];
  const loads: string[] = [];
  let round = 0;
  for (const broker of matrix.brokers) {
    const running = await options.start(broker);
    const loadBefore = machineLoad();
    try {
      for (const valueBytes of matrix.values) {
        for (const partitions of matrix.partitionCounts) {
          const step: MatrixStep<B> = { broker, bootstrap: running.bootstrap, valueBytes, partitions };
          await options.prepare?.(step);
          const samples = new Map<C, (M & BrokerCpu)[]>(matrix.clients.map((client) => [client, []]));
          for (let run = 0; run < options.runs; run++) {
            const order = round++ % 2 === 0 ? matrix.clients : [...matrix.clients].reverse();
            for (const client of order) {
              const cpuBefore = processCpuSeconds(running.pid);
              const measured = await options.measure(step, client, run);
              samples.get(client)?.push({ ...measured, brokerCpuSeconds: processCpuSeconds(running.pid) - cpuBefore });
            }
          }
          cases.push({ broker, valueBytes, partitions, samples });
        }
      }
    } finally {
      await running.stop();
    }
    loads.push(`${options.label(broker)}: load average (1/5/15 min) ${loadBefore} before, ${machineLoad()} after`);
  }
  return { cases, loads };
}
