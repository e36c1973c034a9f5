// End-to-end produce throughput and ack latency against an in-process seqlog broker: seqlog's producer vs
// KafkaJS, both idempotent with acks=all, for 100 B and 1 KiB values on 1 and 8 partitions. Async, so it runs
// in `build()` and reports through `report` (see main.ts) rather than through the synchronous case sampler.
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/broker/index.ts';
import { Producer } from '../src/client/index.ts';
import { median, type Benchmark } from './harness.ts';

interface Row {
  client: string;
  valueBytes: number;
  partitions: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const RECORDS = 20_000;
const WINDOW = 2_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Keeps `WINDOW` sends outstanding; records each send's ack latency. */
async function drive(send: (i: number) => Promise<unknown>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = new Array<number>(RECORDS);
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < RECORDS) {
      const i = next++;
      const t0 = performance.now();
      await send(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  return { seconds: (performance.now() - start) / 1000, latencies };
}

async function runAll(): Promise<string[]> {
  const broker = await startBroker({ numPartitions: 8 });
  const rows: Row[] = [];
  try {
    for (const valueBytes of [100, 1024]) {
      const value = Buffer.alloc(valueBytes, 0x61);
      for (const partitions of [1, 8]) {
        const topicSeqlog = `bench-seqlog-${valueBytes}-${partitions}`;
        const producer = new Producer({ bootstrap: broker.bootstrap });
        await producer.send({ topic: topicSeqlog, partition: 0, value });
        const seq = await drive((i) => producer.send({ topic: topicSeqlog, partition: i % partitions, value }));
        await producer.close();
        rows.push({ client: 'seqlog', valueBytes, partitions, recordsPerSecond: RECORDS / seq.seconds, mbPerSecond: (RECORDS * valueBytes) / seq.seconds / 1e6, p50Ms: median(seq.latencies), p99Ms: percentile(seq.latencies, 99) });

        const topicKafkajs = `bench-kafkajs-${valueBytes}-${partitions}`;
        const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
        const kjs = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
        await kjs.connect();
        await kjs.send({ topic: topicKafkajs, acks: -1, messages: [{ value, partition: 0 }] });
        // KafkaJS has no accumulator: batch the window per call as its users do (100 records per send()).
        const batched = await drive(async (i) => {
          if (i % 100 !== 0) return;
          await kjs.send({ topic: topicKafkajs, acks: -1, messages: Array.from({ length: 100 }, (_, j) => ({ value, partition: (i + j) % partitions })) });
        });
        await kjs.disconnect();
        const kLatencies = batched.latencies.filter((_, i) => i % 100 === 0);
        rows.push({ client: 'kafkajs (100/send)', valueBytes, partitions, recordsPerSecond: RECORDS / batched.seconds, mbPerSecond: (RECORDS * valueBytes) / batched.seconds / 1e6, p50Ms: median(kLatencies), p99Ms: percentile(kLatencies, 99) });
      }
    }
  } finally {
    await broker.close();
  }
  const lines = ['client | value | partitions | records/s | MB/s | p50 ack ms | p99 ack ms'];
  for (const row of rows) {
    lines.push(`${row.client} | ${row.valueBytes} B | ${row.partitions} | ${Math.round(row.recordsPerSecond)} | ${row.mbPerSecond.toFixed(1)} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)}`);
  }
  for (let i = 0; i + 1 < rows.length; i += 2) {
    lines.push(`ratio seqlog/kafkajs ${rows[i].valueBytes} B x${rows[i].partitions}: ${(rows[i].recordsPerSecond / rows[i + 1].recordsPerSecond).toFixed(2)}x records/s`);
  }
  return lines;
}

export const producerBench: Benchmark = {
  name: 'producer',
  description: 'idempotent acks=all produce to an in-process broker: seqlog producer vs KafkaJS',
  build: () => [],
  report: runAll,
};
