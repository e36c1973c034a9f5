// Transactions per second by client: seqlog's client against the Java client (kafka-clients 4.4), franz-go,
// librdkafka (confluent-kafka-python), KafkaJS and @platformatic/kafka, on the same broker, each client in its own
// process, run one after the other, `repeats` rounds in alternating order; the MEDIAN per client is reported. The
// brokers are Apache Kafka 4.4 (one node) and seqlog's broker (`seqlog serve` in a child process), in the same
// run; both keep acknowledged writes in the page cache (Kafka's default; seqlog `--fsync never`).
// A transaction is `records` records of `size` bytes to partition 0 of a fresh one-partition topic, then a commit.
//   npm run bench:transactions                          (needs `npm run setup`: Kafka jars, Java, Go peer, venv)
//   npm run bench:transactions -- --transactions 500 --repeats 3 --brokers kafka --clients seqlog,java
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import Table from 'cli-table3';
import { Admin } from '../src/client/index.ts';
import { binDir, javaExecutable, kafkaClasspath, repoRoot, setupHint, venvPython } from '../test/reference/layout.ts';
import { median } from './harness.ts';
import { startBenchKafka, startSeqlogServe } from './bench-brokers.ts';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
const program = new Command()
  .option('--transactions <n>', 'timed transactions per run', (v) => Number.parseInt(v, 10), 300)
  .option('--records <n>', 'records per transaction', (v) => Number.parseInt(v, 10), 10)
  .option('--size <bytes>', 'record size', (v) => Number.parseInt(v, 10), 1024)
  .option('--warmup <n>', 'untimed transactions first', (v) => Number.parseInt(v, 10), 30)
  .option('--repeats <n>', 'rounds (median reported)', (v) => Number.parseInt(v, 10), 3)
  .option('--transaction-version <n>', 'Apache Kafka is formatted with transaction.version at this level', (v) => Number.parseInt(v, 10), 2)
  .option('--brokers <list>', 'kafka and/or seqlog', list, ['kafka', 'seqlog'])
  .option('--clients <list>', 'subset of the clients, comma-separated', list)
  .parse();
const options = program.opts<{ transactions: number; records: number; size: number; warmup: number; repeats: number; transactionVersion: number; brokers: string[]; clients?: string[] }>();

interface Client {
  readonly name: string;
  /** A file the client needs, installed by `npm run setup`: a missing one fails the bench. */
  readonly needs?: string;
  command(bootstrap: string, topic: string): { file: string; args: string[] };
}

const clientArgs = (bootstrap: string, topic: string): string[] => [bootstrap, topic, String(options.transactions), String(options.records), String(options.size), String(options.warmup)];
const franzPeer = join(binDir, 'franz-peer');

const allClients: readonly Client[] = [
  { name: 'seqlog', command: (b, t) => ({ file: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'bench/transactions/seqlog-client.ts'), ...clientArgs(b, t)] }) },
  { name: 'java', command: (b, t) => ({ file: javaExecutable(), args: ['-Xmx512m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', `-Dlog4j2.configurationFile=${join(repoRoot, 'test/peers/java/log4j2.properties')}`, '-cp', kafkaClasspath, join(repoRoot, 'bench/transactions/TxnBench.java'), ...clientArgs(b, t)] }) },
  {
    name: 'franz-go',
    needs: franzPeer,
    command: (b, t) => ({
      file: franzPeer,
      args: ['--mode', 'txn-bench', '--bootstrap', b, '--topic', t, '--count', String(options.transactions), '--records', String(options.records), '--size', String(options.size), '--warmup', String(options.warmup), '--timeout-ms', '600000'],
    }),
  },
  { name: 'librdkafka', needs: venvPython, command: (b, t) => ({ file: venvPython, args: [join(repoRoot, 'test/peers/python/txn_bench.py'), ...clientArgs(b, t)] }) },
  { name: 'kafkajs', command: (b, t) => ({ file: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'bench/transactions/kafkajs-client.ts'), ...clientArgs(b, t)] }) },
  { name: 'platformatic', command: (b, t) => ({ file: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'bench/transactions/platformatic-client.ts'), ...clientArgs(b, t)] }) },
];
const clients = options.clients === undefined ? allClients : allClients.filter((c) => options.clients?.includes(c.name));
if (clients.length === 0) throw new Error(`--clients names none of ${allClients.map((c) => c.name).join(', ')}`);
for (const client of clients) {
  if (client.needs !== undefined && !existsSync(client.needs)) throw new Error(`${client.name} needs ${client.needs}: ${setupHint}`);
}

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
        reject(new Error(`${client.name} exited with ${code}: ${(err + out).slice(-2000)}`));
        return;
      }
      const result = JSON.parse(line) as { transactions: number; ms: number };
      resolve((result.transactions * 1000) / result.ms);
    });
  });
}


/** Every client writes to a topic of its own, created first: not every client asks for auto-creation. */
async function createTopic(bootstrap: string, name: string): Promise<void> {
  const admin = new Admin({ bootstrap });
  try {
    await admin.createTopics([{ name, partitions: 1 }]);
  } finally {
    await admin.close();
  }
}

/**
 * What the client wrote must be whole: every transaction committed, each of its records once, so the partition
 * ends at (warmup + transactions) x (records + 1 commit marker). The LSO can trail the commit for a moment (Kafka
 * writes markers after answering EndTxn), hence the wait.
 */
async function checkCommitted(bootstrap: string, topic: string, client: string): Promise<void> {
  const want = BigInt((options.warmup + options.transactions) * (options.records + 1));
  const admin = new Admin({ bootstrap });
  try {
    let got = -1n;
    for (let i = 0; i < 100 && got !== want; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      got = (await admin.listOffsets([{ topic, partition: 0, spec: 'latest' }], { readCommitted: true }))[0].offset;
    }
    if (got !== want) throw new Error(`${client} left ${topic} with a last stable offset of ${got}, expected ${want}`);
  } finally {
    await admin.close();
  }
}

const brokerNames: Record<string, string> = { kafka: `Apache Kafka 4.4 (TV${options.transactionVersion})`, seqlog: 'seqlog serve' };
const rates = new Map<string, number[]>();
for (const broker of options.brokers) {
  if (!(broker in brokerNames)) throw new Error(`--brokers: unknown broker ${broker} (kafka, seqlog)`);
  const target = broker === 'kafka' ? await startBenchKafka({ features: { 'transaction.version': options.transactionVersion } }) : await startSeqlogServe('never');
  try {
    for (let round = 0; round < options.repeats; round++) {
      const order = round % 2 === 0 ? clients : [...clients].reverse();
      for (const client of order) {
        const topic = `bench-txn-${client.name}-${round}`;
        await createTopic(target.bootstrap, topic);
        const rate = await runClient(client, target.bootstrap, topic);
        await checkCommitted(target.bootstrap, topic, client.name);
        const key = `${broker}/${client.name}`;
        rates.set(key, [...(rates.get(key) ?? []), rate]);
        process.stderr.write(`${broker} round ${round + 1} ${client.name}: ${rate.toFixed(0)} txn/s\n`);
      }
    }
  } finally {
    await target.stop();
  }
}

const head = ['client', ...options.brokers.flatMap((b) => [`${brokerNames[b]} txn/s`, 'seqlog client / this'])];
const table = new Table({ head });
for (const client of clients) {
  const row = [client.name];
  for (const broker of options.brokers) {
    const rate = median(rates.get(`${broker}/${client.name}`) ?? []);
    const seqlog = median(rates.get(`${broker}/seqlog`) ?? []);
    row.push(rate.toFixed(0), Number.isNaN(seqlog) || client.name === 'seqlog' ? '1.00' : (seqlog / rate).toFixed(2));
  }
  table.push(row);
}
console.log(`transactions of ${options.records} x ${options.size} B to one partition (medians of ${options.repeats} rounds of ${options.transactions}, ${options.warmup} warm-up)`);
console.log(table.toString());
