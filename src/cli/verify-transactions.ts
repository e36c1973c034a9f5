// `seqlog verify --transactions`: a consume-transform-produce pipeline through the chaos proxy, with processor
// crashes (and broker crashes on the embedded broker), run at-least-once and exactly-once side by side; prints a
// table of inputs, outputs, duplicates, missing, aborted-visible and faults. Exit status 1 on any anomaly in the
// exactly-once run (or when it was hit by no fault, which proves nothing).
import Table from 'cli-table3';
import { tableStyle } from './terminal.ts';
import { positiveInteger } from './verify.ts';
import { defaultTransactionalVerifyInputs, verifyTransactions, type TransactionalVerifyRun } from '../testkit/index.ts';

export { defaultTransactionalVerifyInputs };

export interface VerifyTransactionsCommandOptions {
  inputs: string;
  seed: string;
  partitions: string;
  bootstrap?: string;
  json?: boolean;
}


export function transactionsTable(runs: readonly TransactionalVerifyRun[], style: ReturnType<typeof tableStyle> = tableStyle(process.stdout)): string {
  const out = new Table({ head: ['', ...runs.map((run) => run.mode)], ...style });
  const row = (label: string, cell: (run: TransactionalVerifyRun) => string | number): void => {
    out.push([label, ...runs.map((run) => String(cell(run)))]);
  };
  row('inputs', (run) => run.inputs);
  row('outputs (read_committed)', (run) => run.outputs);
  row('outputs in the log (+ aborted)', (run) => run.written);
  row('inputs duplicated', (run) => run.duplicates);
  row('inputs missing', (run) => run.missing);
  row('aborted visible', (run) => run.abortedVisible);
  row('transactions committed / aborted', (run) => (run.mode === 'exactly-once' ? `${run.transactions.committed} / ${run.transactions.aborted}` : '-'));
  row('faults (proxy + crashes)', (run) => run.faults);
  row('processor crashes', (run) => run.processorCrashes);
  row('duration (s)', (run) => (run.durationMs / 1000).toFixed(1));
  row('verdict', (run) => {
    const kinds = Object.entries(run.check.anomalyCounts).map(([kind, count]) => `${kind} ${count}`);
    if (run.mode === 'at-least-once') return run.duplicates > 0 ? 'duplicates (expected)' : kinds.length > 0 ? kinds.join(', ') : 'no duplicate this time';
    if (run.faults === 0) return 'no fault injected: proves nothing';
    return run.check.valid ? 'exactly once' : `ANOMALIES: ${kinds.join(', ')}`;
  });
  return out.toString();
}

export async function verifyTransactionsCommand(options: VerifyTransactionsCommandOptions): Promise<void> {
  let inputs: number;
  let seed: number;
  let partitions: number;
  try {
    inputs = positiveInteger(options.inputs, 'inputs');
    seed = positiveInteger(options.seed, 'seed');
    partitions = positiveInteger(options.partitions, 'partitions');
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  // The two runs go side by side: a line per run at every quarter.
  const lastStep = new Map<string, number>();
  const result = await verifyTransactions({
    inputs,
    seed,
    partitions,
    ...(options.bootstrap === undefined ? {} : { bootstrap: options.bootstrap }),
    onProgress: (p) => {
      if (options.json === true) return;
      const step = Math.floor((p.processed / p.total) * 4);
      if (step === lastStep.get(p.mode)) return;
      lastStep.set(p.mode, step);
      process.stderr.write(`${p.mode}: ${p.processed}/${p.total} inputs processed, ${p.faults} faults\n`);
    },
  });
  if (options.json === true) {
    const runs = result.runs.map(({ check, ...run }) => ({ ...run, valid: check.valid, anomalies: check.anomalyCounts, examples: check.anomalies.slice(0, 10) }));
    process.stdout.write(`${JSON.stringify({ ok: result.ok, seed: result.seed, inputs, partitions, runs }, null, 2)}\n`);
  } else {
    process.stdout.write(`${transactionsTable(result.runs)}\n`);
    const eos = result.runs.find((run) => run.mode === 'exactly-once');
    if (result.ok) process.stdout.write('exactly-once holds: every input has exactly one output, no aborted record is visible\n');
    else if (eos !== undefined && eos.check.valid) process.stdout.write('NO FAULT INJECTED in the exactly-once run: it proves nothing\n');
    else {
      process.stdout.write('ANOMALIES in the exactly-once run:\n');
      for (const anomaly of eos?.check.anomalies.slice(0, 10) ?? []) process.stdout.write(`  ${anomaly.kind}: ${anomaly.detail} [${anomaly.transactions.join(', ')}]\n`);
    }
  }
  if (!result.ok) process.exitCode = 1;
}
