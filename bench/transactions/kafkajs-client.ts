// One client process of `npm run bench:transactions`: KafkaJS's transactional producer (see seqlog-client.ts).
//   node --import tsx bench/transactions/kafkajs-client.ts <bootstrap> <topic> <transactions> <records> <size> <warmup>
import { performance } from 'node:perf_hooks';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

const [bootstrap, topic, transactions, records, size, warmup] = process.argv.slice(2);
const value = Buffer.alloc(Number(size), 0x61);
const messages = Array.from({ length: Number(records) }, (_, i) => ({ key: String(i), value, partition: 0 }));
const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR, logCreator: () => () => undefined });
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner,
  transactionalId: `bench-kafkajs-${topic}`,
  idempotent: true,
  maxInFlightRequests: 1,
});

async function run(count: number): Promise<void> {
  for (let t = 0; t < count; t++) {
    const transaction = await producer.transaction();
    await transaction.send({ topic, acks: -1, messages });
    await transaction.commit();
  }
}

await producer.connect();
await run(Number(warmup));
const started = performance.now();
await run(Number(transactions));
const ms = performance.now() - started;
await producer.disconnect();
console.log(JSON.stringify({ client: 'kafkajs', transactions: Number(transactions), ms }));
