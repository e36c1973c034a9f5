// The broker side of transactions per second: the same client (the Java producer, kafka-clients 4.4, transaction
// version 2 on both brokers) against seqlog's broker and Apache Kafka 4.4 in the same run (`bench:transactions`
// compares clients on one broker instead). One producer, each transaction 10 records of 1 KiB, begin -> sends ->
// commit. Durable: seqlog `log.flush.policy=always` vs Kafka `log.flush.interval.messages=1` (each flushes
// before acknowledging); page cache: seqlog `never` vs Kafka's default. Reports the median of `repeats` runs and
// the ratio seqlog / Kafka.
//   npm run bench:transactions-broker                (needs `npm run setup`: Kafka jars, Java)
//   npm run bench:transactions-broker -- --transactions 1000 --repeats 3
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import Table from 'cli-table3';
import { javaExecutable, kafkaClasspath, repoRoot } from '../test/reference/layout.ts';
import { median } from './harness.ts';
import { startBenchKafka, startSeqlogServe, type BenchBroker } from './bench-brokers.ts';

const program = new Command()
  .option('--transactions <n>', 'transactions per run', (v) => Number.parseInt(v, 10), 500)
  .option('--records <n>', 'records per transaction', (v) => Number.parseInt(v, 10), 10)
  .option('--record-size <bytes>', 'record size', (v) => Number.parseInt(v, 10), 1024)
  .option('--repeats <n>', 'runs per case (median reported)', (v) => Number.parseInt(v, 10), 3)
  .parse();
const options = program.opts<{ transactions: number; records: number; recordSize: number; repeats: number }>();
const WARMUP = 50;

const BENCH_PROGRAM = join(repoRoot, 'bench', 'transactions', 'BrokerTxnBench.java');

function runBench(bootstrap: string, topic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      javaExecutable(),
      ['-Xmx512m', `-Dlog4j2.configurationFile=${join(repoRoot, 'test/peers/java/log4j2.properties')}`, '-cp', kafkaClasspath, BENCH_PROGRAM,
        bootstrap, topic, String(options.transactions), String(options.records), String(options.recordSize), String(WARMUP)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"transactions"'));
      if (code !== 0 || line === undefined) reject(new Error(`BrokerTxnBench exited ${code}: ${out.slice(-800)}`));
      else resolve((JSON.parse(line) as { perSecond: number }).perSecond);
    });
  });
}

type Target = BenchBroker;

async function measure(target: Target, label: string): Promise<number> {
  try {
    const runs: number[] = [];
    for (let i = 0; i < options.repeats; i++) runs.push(await runBench(target.bootstrap, `${label}-${i}`));
    return median(runs);
  } finally {
    await target.stop();
  }
}

const table = new Table({ head: ['case', 'seqlog txn/s', 'Kafka 4.4 txn/s', 'seqlog / Kafka'] });
for (const durable of [true, false]) {
  const seqlog = await measure(await startSeqlogServe(durable ? 'always' : 'never'), 'seqlog');
  const kafka = await measure(await startBenchKafka({ durable }), 'kafka');
  table.push([
    `${options.records} x ${options.recordSize} B per transaction, ${durable ? 'durable (fsync before ack)' : 'page cache'}`,
    seqlog.toFixed(0),
    kafka.toFixed(0),
    `${(seqlog / kafka).toFixed(2)}x`,
  ]);
}
console.log(`Java client (kafka-clients 4.4), ${options.transactions} transactions after ${WARMUP} warm-up, median of ${options.repeats}`);
console.log(table.toString());
