// Broker end-to-end benchmark: seqlog's broker against Apache Kafka 4.4 in the same run, driven by the same peer
// producer (Kafka's own ProducerPerformance, the fastest producer we have) and consumer (ConsumerPerformance).
//   npm run bench:broker                       (needs `npm run setup`: Kafka jars, Java)
//   npm run bench:broker -- --records 100000 --repeats 3
// Cases: acks=all 1 KiB records, durable (seqlog `log.flush.policy=always` vs Kafka `log.flush.interval.messages=1`)
// and page-cache (seqlog `never` vs Kafka's default), each with idempotence off and on; fetch throughput; start-up.
// Each case runs `repeats` times against a fresh topic and reports the MEDIAN; ratios are seqlog / Kafka.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { startBroker } from '../src/broker/index.ts';
import { BrokerConnection } from '../src/client/index.ts';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../src/protocol/records/index.ts';
import { javaExecutable, kafkaClasspath, repoRoot } from '../test/reference/layout.ts';
import { median } from './harness.ts';
import { startBenchKafka, startSeqlogServe, type BenchBroker } from './bench-brokers.ts';

const program = new Command()
  .option('--records <n>', 'records per producer run', (v) => Number.parseInt(v, 10), 200000)
  .option('--record-size <bytes>', 'record size', (v) => Number.parseInt(v, 10), 1024)
  .option('--repeats <n>', 'runs per case (median reported)', (v) => Number.parseInt(v, 10), 3)
  .parse();
const options = program.opts<{ records: number; recordSize: number; repeats: number }>();

interface PerfResult {
  recordsPerSec: number;
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function runJava(mainClass: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(javaExecutable(), ['-Xmx512m', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${join(repoRoot, 'test/peers/java/log4j2.properties')}`, '-cp', kafkaClasspath, mainClass, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${mainClass} exited ${code}: ${out.slice(-500)}`))));
  });
}

/** Kafka's ProducerPerformance final line: "N records sent, R records/sec (M MB/sec), ... X ms 50th, ... Z ms 99th, ...". */
async function producerPerformance(bootstrap: string, topic: string, idempotent: boolean): Promise<PerfResult> {
  const out = await runJava('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(options.records), '--record-size', String(options.recordSize), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', `enable.idempotence=${idempotent}`, 'linger.ms=5', 'batch.size=65536',
  ]);
  const line = out.split('\n').reverse().find((l) => l.includes('records sent'));
  const match = line && /([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?(\d+) ms 50th.*?(\d+) ms 99th/.exec(line);
  if (!match) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-300)}`);
  return { recordsPerSec: Number(match[1]), mbPerSec: Number(match[2]), p50Ms: Number(match[3]), p99Ms: Number(match[4]) };
}

/** ConsumerPerformance prints a CSV line: start, end, MB, MB/sec, records, records/sec, ... */
async function consumerPerformance(bootstrap: string, topic: string): Promise<{ recordsPerSec: number; mbPerSec: number }> {
  const out = await runJava('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(options.records), '--group', `bench-${topic}`, '--timeout', '60000',
  ]);
  const line = out.split('\n').reverse().find((l) => /^\d{4}-\d\d-\d\d/.test(l.trim()));
  if (!line) throw new Error(`unexpected ConsumerPerformance output: ${out.slice(-300)}`);
  const fields = line.split(',').map((f) => f.trim());
  return { mbPerSec: Number(fields[3]), recordsPerSec: Number(fields[5]) };
}

interface Target extends BenchBroker {
  readonly name: string;
}

async function startSeqlogServer(fsync: 'always' | 'never'): Promise<Target> {
  return { name: `seqlog (fsync ${fsync})`, ...(await startSeqlogServe(fsync)) };
}

async function startKafka(durable: boolean): Promise<Target> {
  return { name: `Kafka 4.4 (${durable ? 'flush every message' : 'default flush'})`, ...(await startBenchKafka({ durable })) };
}

/** In-process seqlog: from startBroker() to the first acks=all answer. */
async function embeddedStartToFirstAck(): Promise<number> {
  const started = performance.now();
  const broker = await startBroker();
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
  await connection.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'first', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('first'), timestamp: BigInt(Date.now()) }] });
  await connection.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'first', partitionData: [{ index: 0, records }] }] });
  const elapsed = performance.now() - started;
  connection.close();
  await broker.close();
  return elapsed;
}

interface Row {
  case: string;
  target: string;
  value: PerfResult | { recordsPerSec: number; mbPerSec: number };
}

const rows: Row[] = [];
const plan: { durable: boolean }[] = [{ durable: true }, { durable: false }];
const perTarget = 2 * options.repeats + 1;
const bar = new cliProgress.SingleBar({ format: 'broker bench [{bar}] {value}/{total} {stage}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 }, cliProgress.Presets.shades_classic);
bar.start(plan.length * 2 * perTarget, 0, { stage: '' });

const startups: { name: string; ms: number }[] = [];
for (const { durable } of plan) {
  for (const start of [() => startSeqlogServer(durable ? 'always' : 'never'), () => startKafka(durable)]) {
    const target = await start();
    startups.push({ name: target.name, ms: target.startupMs });
    try {
      for (const idempotent of [false, true]) {
        const results: PerfResult[] = [];
        for (let i = 0; i < options.repeats; i++) {
          bar.update({ stage: `${target.name} idempotence ${idempotent ? 'on' : 'off'} run ${i + 1}` });
          results.push(await producerPerformance(target.bootstrap, `ingest-${idempotent}-${i}`, idempotent));
          bar.increment();
        }
        rows.push({
          case: `ingest acks=all ${options.recordSize} B, idempotence ${idempotent ? 'on' : 'off'}, ${durable ? 'durable' : 'page cache'}`,
          target: target.name,
          value: {
            recordsPerSec: median(results.map((r) => r.recordsPerSec)),
            mbPerSec: median(results.map((r) => r.mbPerSec)),
            p50Ms: median(results.map((r) => r.p50Ms)),
            p99Ms: median(results.map((r) => r.p99Ms)),
          },
        });
      }
      bar.update({ stage: `${target.name} fetch` });
      rows.push({ case: `fetch ${options.recordSize} B records (consumer group)`, target: target.name, value: await consumerPerformance(target.bootstrap, 'ingest-false-0') });
      bar.increment();
    } finally {
      await target.stop();
    }
  }
}
bar.stop();

const table = new Table({ head: ['case', 'target', 'records/s', 'MB/s', 'p50 ms', 'p99 ms'] });
for (const row of rows) {
  const v = row.value;
  table.push([row.case, row.target, Math.round(v.recordsPerSec).toLocaleString('en-US'), v.mbPerSec.toFixed(1), 'p50Ms' in v ? v.p50Ms : '', 'p99Ms' in v ? v.p99Ms : '']);
}
console.log(table.toString());

const ratios = new Table({ head: ['case', 'seqlog / Kafka (records/s)'] });
const cases = [...new Set(rows.map((r) => r.case))];
for (const name of cases) {
  const seqlogRow = rows.find((r) => r.case === name && r.target.startsWith('seqlog'));
  const kafkaRow = rows.find((r) => r.case === name && r.target.startsWith('Kafka'));
  if (seqlogRow && kafkaRow) ratios.push([name, (seqlogRow.value.recordsPerSec / kafkaRow.value.recordsPerSec).toFixed(2)]);
}
for (const durable of ['durable', 'page cache']) {
  for (const target of ['seqlog', 'Kafka']) {
    const off = rows.find((r) => r.case.includes('idempotence off') && r.case.includes(durable) && r.target.startsWith(target));
    const on = rows.find((r) => r.case.includes('idempotence on') && r.case.includes(durable) && r.target.startsWith(target));
    if (off && on) ratios.push([`cost of idempotence, ${target}, ${durable} (on / off)`, (on.value.recordsPerSec / off.value.recordsPerSec).toFixed(2)]);
  }
}
console.log(ratios.toString());

const embedded = median([await embeddedStartToFirstAck(), await embeddedStartToFirstAck(), await embeddedStartToFirstAck()]);
const startTable = new Table({ head: ['start-up', 'ms'] });
startTable.push(['seqlog embedded: startBroker() to first acks=all answer (median of 3)', embedded.toFixed(1)]);
for (const s of startups) startTable.push([`${s.name}: process start to ready`, Math.round(s.ms)]);
console.log(startTable.toString());
