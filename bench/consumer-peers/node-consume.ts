// One Node consumer in its own process for bench/consumer.bench.ts:
//   node --import tsx bench/consumer-peers/node-consume.ts <seqlog|kafkajs|platformatic> <bootstrap> <topic> <records>
// Reads the topic from the beginning until <records> records arrived and prints one JSON line
// {"records": n, "bytes": b, "seconds": s, "cpuSeconds": c}, timed from the first record to the last (group joins
// and connection set-up excluded, as ConsumerPerformance's fetch.* figures do); c is the process's CPU time over
// the same span. Values are touched (length summed)
// so that no client gets away with not decoding them.
import { Kafka, logLevel } from 'kafkajs';
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { Consumer } from '../../src/client/index.ts';

const [client, bootstrap, topic, recordsArg] = process.argv.slice(2);
const records = Number(recordsArg);
let count = 0;
let bytes = 0;
let first = 0;
let cpuFirst: NodeJS.CpuUsage = { user: 0, system: 0 };

function done(): void {
  const seconds = (performance.now() - first) / 1000;
  const cpu = process.cpuUsage(cpuFirst);
  process.stdout.write(`${JSON.stringify({ records: count, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
}

function seen(valueLength: number): boolean {
  if (count === 0) {
    first = performance.now();
    cpuFirst = process.cpuUsage();
  }
  count++;
  bytes += valueLength;
  return count >= records;
}

if (client === 'seqlog') {
  const consumer = new Consumer({ bootstrap, isolationLevel: 'read_uncommitted', autoOffsetReset: 'earliest' });
  const partitions = await consumer.partitionsFor(topic);
  consumer.assign(partitions.map((partition) => ({ topic, partition })));
  const controller = new AbortController();
  await consumer.run({
    signal: controller.signal,
    eachBatch: (batch) => {
      for (const record of batch.records) {
        if (seen(record.value?.length ?? 0)) {
          controller.abort();
          break;
        }
      }
    },
  });
  done();
  await consumer.close();
} else if (client === 'kafkajs') {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${process.pid}`, readUncommitted: true });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (seen(message.value?.length ?? 0)) return resolve();
      },
    });
  });
  done();
  await consumer.disconnect();
} else if (client === 'platformatic') {
  const consumer = new PlatformaticConsumer({ groupId: `bench-platformatic-${process.pid}`, clientId: 'bench', bootstrapBrokers: [bootstrap] });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  for await (const message of stream) {
    if (seen((message.value as Buffer | undefined)?.length ?? 0)) break;
  }
  done();
  await stream.close();
  await consumer.close();
} else {
  throw new Error(`unknown client ${client}`);
}
process.exit(0);
