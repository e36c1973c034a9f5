// Transactions per second: seqlog's client against the Java client (kafka-clients 4.4) and KafkaJS, on the same
// one-node Apache Kafka 4.4 (seqlog's broker joins once it serves transactions), each client in its own process,
// run one after the other, `repeats` rounds in alternating order; the MEDIAN per client is reported.
// A transaction is `records` records of `size` bytes to one partition, then a commit.
//   npm run bench:transactions                          (needs `npm run setup`: Kafka jars, Java)
//   npm run bench:transactions -- --transactions 500 --repeats 3 --transaction-version 1
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import Table from 'cli-table3';
import { startReferenceKafka, startScriptJvmOptions } from '../test/reference/kafka.ts';
import { javaExecutable, kafkaClasspath, repoRoot } from '../test/reference/layout.ts';
import { median } from './harness.ts';

const program = new Command()
  .option('--transactions <n>', 'timed transactions per run', (v) => Number.parseInt(v, 10), 300)
  .option('--records <n>', 'records per transaction', (v) => Number.parseInt(v, 10), 10)
  .option('--size <bytes>', 'record size', (v) => Number.parseInt(v, 10), 1024)
  .option('--warmup <n>', 'untimed transactions first', (v) => Number.parseInt(v, 10), 30)
  .option('--repeats <n>', 'rounds (median reported)', (v) => Number.parseInt(v, 10), 3)
  .option('--transaction-version <n>', 'the broker formats transaction.version at this level', (v) => Number.parseInt(v, 10), 2)
  .parse();
const options = program.opts<{ transactions: number; records: number; size: number; warmup: number; repeats: number; transactionVersion: number }>();

interface Client {
  readonly name: string;
  command(bootstrap: string, topic: string): { file: string; args: string[] };
}

const clientArgs = (bootstrap: string, topic: string): string[] => [bootstrap, topic, String(options.transactions), String(options.records), String(options.size), String(options.warmup)];

const clients: readonly Client[] = [
  { name: 'seqlog', command: (b, t) => ({ file: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'bench/transactions/seqlog-client.ts'), ...clientArgs(b, t)] }) },
  { name: 'java', command: (b, t) => ({ file: javaExecutable(), args: ['-Xmx512m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', `-Dlog4j2.configurationFile=${join(repoRoot, 'test/peers/java/log4j2.properties')}`, '-cp', kafkaClasspath, join(repoRoot, 'bench/transactions/TxnBench.java'), ...clientArgs(b, t)] }) },
  { name: 'kafkajs', command: (b, t) => ({ file: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'bench/transactions/kafkajs-client.ts'), ...clientArgs(b, t)] }) },
];

function runClient(client: Client, bootstrap: string, topic: string): Promise<number> {
  const { file, args } = client.command(bootstrap, topic);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || line === undefined) {
        reject(new Error(`${client.name} exited with ${code}: ${err.slice(-2000)}`));
        return;
      }
      const result = JSON.parse(line) as { transactions: number; ms: number };
      resolve((result.transactions * 1000) / result.ms);
    });
  });
}

const kafka = await startReferenceKafka({ brokers: 1, heapMb: 1024, jvmOptions: startScriptJvmOptions, features: { 'transaction.version': options.transactionVersion } });
const rates = new Map<string, number[]>(clients.map((c) => [c.name, []]));
try {
  for (let round = 0; round < options.repeats; round++) {
    const order = round % 2 === 0 ? clients : [...clients].reverse();
    for (const client of order) {
      const rate = await runClient(client, kafka.bootstrap, `bench-txn-${client.name}-${round}`);
      rates.get(client.name)?.push(rate);
      process.stderr.write(`round ${round + 1} ${client.name}: ${rate.toFixed(0)} txn/s\n`);
    }
  }
} finally {
  await kafka.stop();
}

const seqlog = median(rates.get('seqlog') ?? []);
const table = new Table({ head: ['client', 'txn/s (median)', 'records/s', 'seqlog / client'] });
for (const client of clients) {
  const rate = median(rates.get(client.name) ?? []);
  table.push([client.name, rate.toFixed(0), (rate * options.records).toFixed(0), client.name === 'seqlog' ? '1.00' : (seqlog / rate).toFixed(2)]);
}
console.log(`transactions of ${options.records} x ${options.size} B to one partition, Apache Kafka 4.4 one node, transaction.version=${options.transactionVersion}, ${options.repeats} rounds of ${options.transactions}`);
console.log(table.toString());
