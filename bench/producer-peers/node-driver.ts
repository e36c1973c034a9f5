// One Node producer client in a process of its own, for bench/producer.bench.ts (so no client shares an event
// loop with the broker or with another client):
//   node --import tsx bench/producer-peers/node-driver.ts <seqlog|kafkajs|platformatic> <bootstrap> <topic>
//     <records> <valueBytes> <partitions> <window>
// Idempotent, acks=all. Record i goes to partition i % partitions. seqlog's producer takes one record per
// send() with `window` sends outstanding (its accumulator batches them). KafkaJS has no accumulator: it gets
// PER_CALL records per send(), `window` records outstanding. @platformatic/kafka 1.x advances a partition's
// idempotent sequence only when a Produce response arrives (Producer#performSend), so concurrent send() calls
// reuse sequence numbers; its only correct idempotent use is one send() at a time, PLATFORMATIC_PER_CALL
// records each. One record is acknowledged before timing starts (connections, metadata, InitProducerId).
// Prints one JSON line: records/s, MB/s, p50/p99 ack latency in ms (per send() call).
import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { Producer } from '../../src/client/index.ts';
import type { ProducerOptions } from '../../src/client/index.ts';
import { PER_CALL, PLATFORMATIC_PER_CALL } from './call-sizes.ts';


interface Measured {
  recordsPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU-seconds (user + system) this process spent in the timed part. */
  cpuSeconds: number;
  /** The system (kernel) part of cpuSeconds: socket writes and reads, most of it on loopback. */
  cpuSystemSeconds: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function measured(records: number, valueBytes: number, run: { seconds: number; cpuSeconds: number; cpuSystemSeconds: number; latencies: number[] }): Measured {
  const { seconds, latencies } = run;
  return {
    recordsPerSecond: records / seconds,
    mbPerSecond: (records * valueBytes) / seconds / 1e6,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuSeconds: run.cpuSeconds,
    cpuSystemSeconds: run.cpuSystemSeconds,
  };
}

/** Keeps `calls` send() calls outstanding until `total` calls were made; records each call's latency. */
async function drive(total: number, calls: number, send: (call: number) => Promise<unknown>): Promise<{ seconds: number; cpuSeconds: number; cpuSystemSeconds: number; latencies: number[] }> {
  const latencies = new Array<number>(total);
  let next = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await send(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, calls) }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, cpuSystemSeconds: cpu.system / 1e6, latencies };
}

async function runSeqlog(bootstrap: string, topic: string, records: number, value: Buffer, partitions: number, window: number, idempotent = true): Promise<Measured> {
  // PRODUCER_BENCH_SEQLOG_CONFIG: extra producer options as JSON, to try settings against the same peers.
  const extra = JSON.parse(process.env.PRODUCER_BENCH_SEQLOG_CONFIG ?? '{}') as Partial<ProducerOptions>;
  const producer = new Producer({ bootstrap, idempotent, acks: 'all', ...extra });
  try {
    await producer.send({ topic, partition: 0, value });
    const run = await drive(records, window, (i) => producer.send({ topic, partition: i % partitions, value }));
    // PRODUCER_BENCH_METRICS=1: the producer's own view (batch sizes, queue time, request latency) on stderr.
    if (process.env.PRODUCER_BENCH_METRICS === '1') process.stderr.write(`${JSON.stringify(producer.metrics())}\n`);
    return measured(records, value.length, run);
  } finally {
    await producer.close();
  }
}

async function runKafkajs(bootstrap: string, topic: string, records: number, value: Buffer, partitions: number, window: number): Promise<Measured> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value, partition: 0 }] });
    const calls = Math.ceil(records / PER_CALL);
    const run = await drive(calls, Math.ceil(window / PER_CALL), (call) => {
      const first = call * PER_CALL;
      const count = Math.min(PER_CALL, records - first);
      return producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, j) => ({ value, partition: (first + j) % partitions })) });
    });
    return measured(records, value.length, run);
  } finally {
    await producer.disconnect();
  }
}

async function runPlatformatic(bootstrap: string, topic: string, records: number, value: Buffer, partitions: number): Promise<Measured> {
  const producer = new PlatformaticProducer({ clientId: 'seqlog-bench', bootstrapBrokers: [bootstrap], idempotent: true, acks: -1, autocreateTopics: false });
  try {
    await producer.send({ messages: [{ topic, value, partition: 0 }] });
    const run = await drive(Math.ceil(records / PLATFORMATIC_PER_CALL), 1, (call) => {
      const first = call * PLATFORMATIC_PER_CALL;
      const count = Math.min(PLATFORMATIC_PER_CALL, records - first);
      return producer.send({ messages: Array.from({ length: count }, (_, j) => ({ topic, value, partition: (first + j) % partitions })) });
    });
    return measured(records, value.length, run);
  } finally {
    await producer.close();
  }
}

const [client, bootstrap, topic, recordsText, valueText, partitionsText, windowText] = process.argv.slice(2);
const records = Number(recordsText);
const value = Buffer.alloc(Number(valueText), 0x61);
const partitions = Number(partitionsText);
const window = Number(windowText ?? '2000');
let result: Measured;
switch (client) {
  case 'seqlog':
    result = await runSeqlog(bootstrap, topic, records, value, partitions, window);
    break;
  case 'seqlog-noidem':
    // Idempotence off, acks=all still: the denominator of the idempotence on/off ratio.
    result = await runSeqlog(bootstrap, topic, records, value, partitions, window, false);
    break;
  case 'kafkajs':
    result = await runKafkajs(bootstrap, topic, records, value, partitions, window);
    break;
  case 'platformatic':
    result = await runPlatformatic(bootstrap, topic, records, value, partitions);
    break;
  default:
    throw new Error(`unknown client ${client}; expected seqlog, seqlog-noidem, kafkajs or platformatic`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
