// End-to-end consume throughput: a topic pre-filled with RECORDS uncompressed records (100 B and 1 KiB values,
// 1 and 8 partitions) read from the beginning by each client in its own process, against an in-process seqlog
// broker and then a one-node Apache Kafka 4.4 (the reference harness):
//   seqlog's consumer, KafkaJS, @platformatic/kafka (bench/consumer-peers/node-consume.ts), librdkafka
//   (confluent-kafka-python, test/peers/python/consumer_perf.py) and the Java consumer (Kafka's
//   ConsumerPerformance, test/peers/java/consumer-perf.sh, its fetch.* figures).
// Each client is timed from its first record to its last, so group joins and connection set-up are left out;
// every client must report exactly the records in the topic or the benchmark fails. A missing peer fails it too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { startBroker } from '../src/broker/index.ts';
import { BrokerConnection, Producer } from '../src/client/index.ts';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../src/protocol/errors/index.ts';
import { kafkaLibsDir, repoRoot, setupHint, venvPython } from '../test/reference/layout.ts';
import { startReferenceKafka, startScriptJvmOptions } from '../test/reference/kafka.ts';
import type { Benchmark } from './harness.ts';

const CLIENTS = ['seqlog', 'kafkajs', 'platformatic', 'librdkafka', 'java'] as const;
type Client = (typeof CLIENTS)[number];

interface Row {
  broker: string;
  client: Client;
  valueBytes: number;
  partitions: number;
  recordsPerSecond: number;
  mbPerSecond: number;
}

/** Records per case: enough for a few seconds of the fastest client. */
function recordsFor(valueBytes: number): number {
  return valueBytes <= 100 ? 300_000 : 100_000;
}

function runProcess(file: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${what} exited ${code}: ${(out + err).slice(-800)}`));
    });
  });
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const [host, port] = bootstrap.split(',')[0].split(':');
  const connection = await BrokerConnection.open({ host, port: Number(port) });
  try {
    await connection.negotiateApiVersions();
    const response = await connection.send(ApiKey.CreateTopics, connection.versionFor(ApiKey.CreateTopics, 2, 7) ?? 2, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const code = response.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`creating ${topic}: ${errorName(code)}`);
  } finally {
    connection.close();
  }
}

async function fill(bootstrap: string, topic: string, partitions: number, valueBytes: number, records: number): Promise<void> {
  const producer = new Producer({ bootstrap, batchSize: 256 * 1024, lingerMs: 5 });
  const value = Buffer.alloc(valueBytes, 0x61);
  try {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < records; i++) {
      pending.push(producer.send({ topic, partition: i % partitions, value }));
      if (pending.length >= 20_000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  } finally {
    await producer.close();
  }
}

interface Result {
  records: number;
  bytes: number;
  seconds: number;
}

async function runClient(client: Client, bootstrap: string, topic: string, records: number): Promise<Result> {
  switch (client) {
    case 'seqlog':
    case 'kafkajs':
    case 'platformatic': {
      const out = await runProcess(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'consumer-peers', 'node-consume.ts'), client, bootstrap, topic, String(records)], client);
      return JSON.parse(out.trim().split('\n').pop() ?? '') as Result;
    }
    case 'librdkafka': {
      const out = await runProcess(venvPython, [join(repoRoot, 'test', 'peers', 'python', 'consumer_perf.py'), '--bootstrap', bootstrap, '--topic', topic, '--records', String(records)], 'consumer_perf.py');
      return JSON.parse(out.trim().split('\n').pop() ?? '') as Result;
    }
    case 'java': {
      const out = await runProcess('bash', [join(repoRoot, 'test', 'peers', 'java', 'consumer-perf.sh'), '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records), '--group', `bench-java-${Date.now()}`, '--timeout', '60000'], 'ConsumerPerformance');
      // "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
      const line = out.trim().split('\n').reverse().find((l) => /^\d{4}-/.test(l.trim()));
      const fields = line?.split(',').map((f) => f.trim());
      if (fields === undefined || fields.length < 10) throw new Error(`unexpected ConsumerPerformance output: ${out.slice(-500)}`);
      const consumed = Number(fields[4]);
      const fetchMs = Number(fields[7]);
      return { records: consumed, bytes: Number(fields[2]) * 1024 * 1024, seconds: fetchMs / 1000 };
    }
  }
}

async function runBroker(name: string, bootstrap: string, rows: Row[]): Promise<void> {
  for (const valueBytes of [100, 1024]) {
    for (const partitions of [1, 8]) {
      const records = recordsFor(valueBytes);
      const topic = `consume-bench-${valueBytes}-${partitions}`;
      await createTopic(bootstrap, topic, partitions);
      process.stderr.write(`consumer bench (${name}): filling ${topic} with ${records} records\n`);
      await fill(bootstrap, topic, partitions, valueBytes, records);
      for (const client of CLIENTS) {
        process.stderr.write(`consumer bench (${name}): ${client}, ${valueBytes} B, ${partitions} partition(s)\n`);
        const result = await runClient(client, bootstrap, topic, records);
        if (result.records !== records) throw new Error(`${client} (${name}, ${valueBytes} B, ${partitions} partitions) read ${result.records} of ${records} records`);
        rows.push({ broker: name, client, valueBytes, partitions, recordsPerSecond: records / result.seconds, mbPerSecond: (records * valueBytes) / result.seconds / 1e6 });
      }
    }
  }
}

async function runAll(): Promise<string[]> {
  if (!existsSync(venvPython)) throw new Error(`librdkafka peer missing: no ${venvPython} (confluent-kafka); ${setupHint}`);
  if (!existsSync(kafkaLibsDir)) throw new Error(`Java peer missing: no ${kafkaLibsDir}; ${setupHint}`);
  const rows: Row[] = [];
  const broker = await startBroker();
  try {
    await runBroker('seqlog', broker.bootstrap, rows);
  } finally {
    await broker.close();
  }
  const kafka = await startReferenceKafka({ brokers: 1, heapMb: 1024, jvmOptions: startScriptJvmOptions });
  try {
    await runBroker('kafka 4.4', kafka.bootstrap, rows);
  } finally {
    await kafka.stop();
  }

  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({ head: ['broker', 'client', 'value', 'partitions', 'records/s', 'MB/s'], colAligns: ['left', 'left', 'right', 'right', 'right', 'right'], ...style });
  for (const row of rows) table.push([row.broker, row.client, `${row.valueBytes} B`, row.partitions, Math.round(row.recordsPerSecond).toLocaleString('en-US'), row.mbPerSecond.toFixed(1)]);
  const peers = CLIENTS.filter((c) => c !== 'seqlog');
  const ratios = new Table({ head: ['seqlog / peer (records/s)', 'value', 'partitions', ...peers], ...style });
  for (const brokerName of ['seqlog', 'kafka 4.4']) {
    for (const valueBytes of [100, 1024]) {
      for (const partitions of [1, 8]) {
        const of = (client: Client): Row | undefined => rows.find((r) => r.broker === brokerName && r.client === client && r.valueBytes === valueBytes && r.partitions === partitions);
        const own = of('seqlog');
        if (own === undefined) continue;
        ratios.push([brokerName, `${valueBytes} B`, partitions, ...peers.map((peer) => (own.recordsPerSecond / (of(peer)?.recordsPerSecond ?? Number.NaN)).toFixed(2))]);
      }
    }
  }
  return [
    'uncompressed records read from the beginning, each client in its own process, timed from first to last record',
    ...table.toString().split('\n'),
    ...ratios.toString().split('\n'),
  ];
}

export const consumerBench: Benchmark = {
  name: 'consumer',
  description: 'consume throughput from seqlog and Apache Kafka: seqlog consumer vs KafkaJS, @platformatic/kafka, librdkafka, Java',
  build: () => [],
  report: runAll,
};
