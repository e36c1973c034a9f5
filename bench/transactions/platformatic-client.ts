// One client process of `npm run bench:transactions`: @platformatic/kafka's transactional producer (see
// seqlog-client.ts). Its transaction.send() resolves after the produce response, so each transaction is
// begin -> one send of all records -> commit.
//   node --import tsx bench/transactions/platformatic-client.ts <bootstrap> <topic> <transactions> <records> <size> <warmup>
import { performance } from 'node:perf_hooks';
import { Producer } from '@platformatic/kafka';

const [bootstrap, topic, transactions, records, size, warmup] = process.argv.slice(2);
const value = Buffer.alloc(Number(size), 0x61);
const messages = Array.from({ length: Number(records) }, (_, i) => ({ topic, partition: 0, key: Buffer.from(String(i)), value }));
const producer = new Producer({
  clientId: 'bench-platformatic',
  bootstrapBrokers: bootstrap.split(','),
  idempotent: true,
  acks: -1,
  transactionalId: `bench-platformatic-${topic}`,
  autocreateTopics: true,
});

async function run(count: number): Promise<void> {
  for (let t = 0; t < count; t++) {
    const transaction = await producer.beginTransaction();
    await transaction.send({ messages });
    await transaction.commit();
  }
}

await run(Number(warmup));
const started = performance.now();
await run(Number(transactions));
const ms = performance.now() - started;
await producer.close();
console.log(JSON.stringify({ client: 'platformatic', transactions: Number(transactions), ms }));
