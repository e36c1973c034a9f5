// `seqlog verify`: produces N records through the chaos proxy with idempotence off and on (the two runs side by side),
// checks the log, and prints the two runs in a table. Exit status 1 when the idempotent run shows any anomaly.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { tableStyle } from './terminal.ts';
export { defaultVerifyRecords } from '../testkit/index.ts';
import { verifyExactlyOnce, type VerifyProducerFactory, type VerifyProgress, type VerifyRunResult } from '../testkit/index.ts';

export interface VerifyCommandOptions {
  records: string;
  seed: string;
  partitions: string;
  bootstrap?: string;
  /** `seqlog` (default) or `librdkafka`. */
  client?: string;
  json?: boolean;
}

export const verifyClients = ['seqlog', 'librdkafka'] as const;
export type VerifyClient = (typeof verifyClients)[number];

/** The producer factory for `--client`; undefined for seqlog's own Producer (the harness default). */
async function producerFactoryFor(client: VerifyClient): Promise<VerifyProducerFactory | undefined> {
  if (client === 'seqlog') return undefined;
  // Loaded only when asked for: the default client needs nothing outside the package.
  const { librdkafkaProducerFactory, requireLibrdkafkaPeer } = await import('../testkit/librdkafka-producer.ts');
  requireLibrdkafkaPeer();
  return librdkafkaProducerFactory();
}

/** A count flag's value (`--records`, `--inputs`, `--seed`, `--partitions`); a usage error otherwise. */
export function positiveInteger(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return n;
}

/** Progress of both runs, which go side by side: a bar each on a terminal, else a line per run at every tenth. */
function progressReporter(json: boolean): { onProgress: (p: VerifyProgress) => void; stop: () => void } {
  if (json) return { onProgress: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bars = new MultiBar({ format: 'idempotence {mode} [{bar}] {value}/{total} records | faults {faults}', stream: process.stderr }, Presets.shades_classic);
    const byMode = new Map<boolean, SingleBar>();
    return {
      onProgress(p) {
        let bar = byMode.get(p.idempotent);
        if (bar === undefined) {
          bar = bars.create(p.total, 0, { mode: p.idempotent ? 'on ' : 'off', faults: 0 });
          byMode.set(p.idempotent, bar);
        }
        bar.update(p.completed, { faults: p.faults });
      },
      stop: () => bars.stop(),
    };
  }
  const lastStep = new Map<boolean, number>();
  return {
    onProgress(p) {
      const step = Math.floor((p.completed / p.total) * 10);
      if (step === lastStep.get(p.idempotent)) return;
      lastStep.set(p.idempotent, step);
      process.stderr.write(`idempotence ${p.idempotent ? 'on' : 'off'}: ${p.completed}/${p.total} records, ${p.faults} faults\n`);
    },
    stop: () => undefined,
  };
}

function table(runs: readonly VerifyRunResult[]): string {
  const out = new Table({ head: ['', ...runs.map((run) => `idempotence ${run.idempotent ? 'on' : 'off'}`)], ...tableStyle(process.stdout) });
  const row = (label: string, cell: (run: VerifyRunResult) => string | number): void => {
    out.push([label, ...runs.map((run) => String(cell(run)))]);
  };
  row('sent', (run) => run.sent);
  row('acknowledged', (run) => run.acknowledged);
  row('failed / unknown', (run) => run.failed);
  row('stored', (run) => run.stored);
  row('duplicates', (run) => run.duplicates);
  row('lost (acked)', (run) => run.lost);
  row('out of order', (run) => run.outOfOrder);
  row('faults injected', (run) => run.faultsInjected);
  row('throughput (acked/s)', (run) => Math.round(run.throughput));
  row('verdict', (run) => {
    if (!run.check.valid) return `FAILED: ${run.check.fatal.join(', ')}`;
    if (run.faultsInjected === 0) return 'no fault injected: proves nothing';
    if (run.duplicates > 0 || run.outOfOrder > 0) return 'duplicates/reordering';
    return 'exactly once';
  });
  return out.toString();
}

export async function verifyCommand(options: VerifyCommandOptions): Promise<void> {
  let records: number;
  let seed: number;
  let partitions: number;
  let producerFactory: VerifyProducerFactory | undefined;
  const client = options.client ?? 'seqlog';
  try {
    records = positiveInteger(options.records, 'records');
    seed = positiveInteger(options.seed, 'seed');
    partitions = positiveInteger(options.partitions, 'partitions');
    if (!(verifyClients as readonly string[]).includes(client)) throw new Error(`--client must be one of ${verifyClients.join(', ')}, got '${client}'`);
    producerFactory = await producerFactoryFor(client as VerifyClient);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const reporter = progressReporter(options.json === true);
  const result = await verifyExactlyOnce({
    records,
    seed,
    partitions,
    ...(options.bootstrap === undefined ? {} : { bootstrap: options.bootstrap }),
    ...(producerFactory === undefined ? {} : { producerFactory }),
    onProgress: reporter.onProgress,
  }).finally(() => reporter.stop());
  if (options.json === true) {
    const runs = result.runs.map(({ check, ...run }) => ({ ...run, proved: check.proved, warnings: check.warnings, anomalies: check.anomalyCounts, fatal: check.fatal, examples: check.anomalies.slice(0, 10) }));
    process.stdout.write(`${JSON.stringify({ ok: result.ok, seed: result.seed, client, records, partitions, runs }, null, 2)}\n`);
  } else {
    process.stdout.write(`client: ${client}\n${table(result.runs)}\n`);
    const idempotentRuns = result.runs.filter((run) => run.idempotent);
    if (result.ok) process.stdout.write('exactly-once holds with idempotence on\n');
    else if (idempotentRuns.every((run) => run.check.valid)) process.stdout.write('NO FAULT INJECTED with idempotence on: the run proves nothing; raise --records\n');
    else process.stdout.write('ANOMALIES with idempotence on\n');
  }
  if (!result.ok) process.exitCode = 1;
}
