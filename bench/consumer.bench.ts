// End-to-end consume throughput: a topic pre-filled with RECORDS uncompressed records (100 B and 1 KiB values,
// 1 and 8 partitions) read from the beginning by each client in a process of its own, against `seqlog serve`
// (a broker process of its own) and Apache Kafka 4.4 (with its start scripts' JVM settings):
//   seqlog's consumer, KafkaJS, @platformatic/kafka (bench/consumer-peers/node-consume.ts), librdkafka
//   (confluent-kafka-python, test/peers/python/consumer_perf.py) and the Java consumer (Kafka's
//   ConsumerPerformance, test/peers/java/consumer-perf.sh, its fetch.* figures). librdkafka runs twice: with its
//   defaults (check.crcs off) and as `librdkafka-crc` with check.crcs on, the CRC-32C check of every batch that the
//   Java consumer and seqlog's make by default.
// Each client is timed from its first record to its last, so group joins and connection set-up are left out;
// every client must report exactly the records in the topic or the benchmark fails. A missing peer fails it too.
// Every case runs RUNS times, the client order reversed on every other round; the table gives medians (and the
// min-max range), the ratios compare medians, and the machine's load average is printed before and after each
// broker's runs. The client CPU-s column (process CPU time over the same span, librdkafka's threads included;
// not reported by ConsumerPerformance) moves much less with the machine's load than records/s does. The broker
// CPU-s column is the broker process's CPU (every thread) from the client process's start to its exit.
// Environment: CONSUMER_BENCH_RUNS (3), and comma lists CONSUMER_BENCH_BROKERS (seqlog-always,kafka; also
// seqlog-never, kafka-flush), CONSUMER_BENCH_CLIENTS (seqlog,kafkajs,platformatic,librdkafka,librdkafka-crc,java),
// CONSUMER_BENCH_VALUES (100,1024), CONSUMER_BENCH_PARTITIONS (1,8).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Producer } from '../src/client/index.ts';
import { kafkaLibsDir, repoRoot, setupHint, venvPython } from '../test/reference/layout.ts';
import { benchMatrix, matrixRows, rateSpread, runMatrix } from './bench-matrix.ts';
import { median, type Benchmark } from './harness.ts';
import { BROKER_LABEL, createTopic, runProcess, startTarget, type BrokerKind } from './producer.bench.ts';

const ALL_CLIENTS = ['seqlog', 'kafkajs', 'platformatic', 'librdkafka', 'librdkafka-crc', 'java'] as const;
type Client = (typeof ALL_CLIENTS)[number];
const ALL_BROKERS: readonly BrokerKind[] = ['seqlog-always', 'seqlog-never', 'kafka', 'kafka-flush'];

interface Measured {
  records: number;
  bytes: number;
  seconds: number;
  /** NaN where the client does not report it (ConsumerPerformance). */
  cpuSeconds: number;
}

interface Row {
  broker: string;
  client: Client;
  valueBytes: number;
  partitions: number;
  recordsPerSecond: number;
  min: number;
  max: number;
  mbPerSecond: number;
  cpuSeconds: number;
  brokerCpuSeconds: number;
}

const RUNS = Number(process.env.CONSUMER_BENCH_RUNS ?? 3);

/**
 * Records per case: about a second of the fastest client. Fewer would measure start-up more than steady reading:
 * librdkafka's fetcher threads prefetch up to 100,000 records (`queued.min.messages`) before its first record is
 * handed out and timing starts, and a JavaScript client's first batches run before its code is optimised.
 */
function recordsFor(valueBytes: number): number {
  return valueBytes <= 100 ? 2_000_000 : 1_000_000;
}

async function fill(bootstrap: string, topic: string, partitions: number, valueBytes: number, records: number): Promise<void> {
  const producer = new Producer({ bootstrap });
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

function parsed(out: string, what: string): Measured {
  const line = out.trim().split('\n').pop() ?? '';
  try {
    const result = JSON.parse(line) as Partial<Measured>;
    return { records: Number(result.records), bytes: Number(result.bytes), seconds: Number(result.seconds), cpuSeconds: result.cpuSeconds ?? Number.NaN };
  } catch {
    throw new Error(`${what}: unexpected output ${out.slice(-500)}`);
  }
}

async function runClient(client: Client, bootstrap: string, topic: string, records: number): Promise<Measured> {
  switch (client) {
    case 'seqlog':
    case 'kafkajs':
    case 'platformatic':
      return parsed(await runProcess(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'consumer-peers', 'node-consume.ts'), client, bootstrap, topic, String(records)], client), client);
    case 'librdkafka':
    case 'librdkafka-crc': {
      const crcs = client === 'librdkafka-crc' ? ['--check-crcs'] : [];
      return parsed(await runProcess(venvPython, [join(repoRoot, 'test', 'peers', 'python', 'consumer_perf.py'), '--bootstrap', bootstrap, '--topic', topic, '--records', String(records), ...crcs], 'consumer_perf.py'), 'consumer_perf.py');
    }
    case 'java': {
      const out = await runProcess('bash', [join(repoRoot, 'test', 'peers', 'java', 'consumer-perf.sh'), '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records), '--group', `bench-java-${Date.now()}`, '--timeout', '60000'], 'ConsumerPerformance');
      // "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
      const line = out.trim().split('\n').reverse().find((l) => /^\d{4}-/.test(l.trim()));
      const fields = line?.split(',').map((f) => f.trim());
      if (fields === undefined || fields.length < 10) throw new Error(`unexpected ConsumerPerformance output: ${out.slice(-500)}`);
      return { records: Number(fields[4]), bytes: Number(fields[2]) * 1024 * 1024, seconds: Number(fields[7]) / 1000, cpuSeconds: Number.NaN };
    }
  }
}

async function runAll(): Promise<string[]> {
  const matrix = benchMatrix('CONSUMER_BENCH', { clients: ALL_CLIENTS, brokers: ALL_BROKERS }, { clients: ALL_CLIENTS, brokers: ['seqlog-always', 'kafka'] });
  const { clients, brokers, values, partitionCounts } = matrix;
  if ((clients.includes('librdkafka') || clients.includes('librdkafka-crc')) && !existsSync(venvPython)) throw new Error(`librdkafka peer missing: no ${venvPython} (confluent-kafka); ${setupHint}`);
  if (!existsSync(kafkaLibsDir)) throw new Error(`Java peer / reference Kafka missing: no ${kafkaLibsDir}; ${setupHint}`);
  const topicOf = (valueBytes: number, partitions: number): string => `consume-bench-${valueBytes}-${partitions}`;
  const { cases, loads } = await runMatrix(matrix, {
    runs: RUNS,
    start: startTarget,
    label: (kind) => BROKER_LABEL[kind],
    async prepare({ broker, bootstrap, valueBytes, partitions }) {
      const topic = topicOf(valueBytes, partitions);
      await createTopic(bootstrap, topic, partitions);
      process.stderr.write(`consumer bench: ${BROKER_LABEL[broker]}, filling ${topic} with ${recordsFor(valueBytes)} records\n`);
      await fill(bootstrap, topic, partitions, valueBytes, recordsFor(valueBytes));
    },
    async measure({ broker, bootstrap, valueBytes, partitions }, client, run) {
      const records = recordsFor(valueBytes);
      process.stderr.write(`consumer bench: ${BROKER_LABEL[broker]}, ${client}, ${valueBytes} B, ${partitions} partition(s), run ${run + 1}/${RUNS}\n`);
      const result = await runClient(client, bootstrap, topicOf(valueBytes, partitions), records);
      if (result.records !== records) throw new Error(`${client} (${BROKER_LABEL[broker]}, ${valueBytes} B, ${partitions} partitions) read ${result.records} of ${records} records`);
      return result;
    },
  });
  const rows: Row[] = matrixRows(cases, (broker) => BROKER_LABEL[broker], (runs, valueBytes) => ({
    ...rateSpread(runs.map((r) => r.records / r.seconds)),
    mbPerSecond: median(runs.map((r) => (r.records * valueBytes) / r.seconds / 1e6)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    brokerCpuSeconds: median(runs.map((r) => r.brokerCpuSeconds)),
  }));

  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({ head: ['broker', 'client', 'value', 'partitions', 'records/s (median)', 'min-max', 'MB/s', 'client CPU-s', 'broker CPU-s'], colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'], ...style });
  const k = (n: number): string => `${Math.round(n / 1000)}k`;
  for (const row of rows) {
    table.push([row.broker, row.client, `${row.valueBytes} B`, row.partitions, Math.round(row.recordsPerSecond).toLocaleString('en-US'), `${k(row.min)}-${k(row.max)}`, row.mbPerSecond.toFixed(1), Number.isNaN(row.cpuSeconds) ? '-' : row.cpuSeconds.toFixed(2), row.brokerCpuSeconds.toFixed(2)]);
  }
  const peers = clients.filter((c) => c !== 'seqlog');
  const ratios = new Table({ head: ['seqlog / peer (median records/s)', 'value', 'partitions', ...peers], ...style });
  for (const kind of brokers) {
    for (const valueBytes of values) {
      for (const partitions of partitionCounts) {
        const of = (client: Client): Row | undefined => rows.find((r) => r.broker === BROKER_LABEL[kind] && r.client === client && r.valueBytes === valueBytes && r.partitions === partitions);
        const own = of('seqlog');
        if (own === undefined) continue;
        ratios.push([BROKER_LABEL[kind], `${valueBytes} B`, partitions, ...peers.map((peer) => (own.recordsPerSecond / (of(peer)?.recordsPerSecond ?? Number.NaN)).toFixed(2))]);
      }
    }
  }
  return [
    `uncompressed records read from the beginning, ${RUNS} runs per case, broker and every client in its own process, timed from first to last record`,
    ...loads,
    ...table.toString().split('\n'),
    ...ratios.toString().split('\n'),
  ];
}

export const consumerBench: Benchmark = {
  name: 'consumer',
  description: 'consume throughput, broker and clients in their own processes: seqlog consumer vs KafkaJS, @platformatic/kafka, librdkafka, Java, against seqlog serve and Kafka 4.4',
  build: () => [],
  report: runAll,
};
