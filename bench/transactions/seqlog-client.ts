// One client process of `npm run bench:transactions`: seqlog's transactional producer runs `warmup` then
// `transactions` transactions of `records` records of `size` bytes to one partition, and prints a JSON line.
//   node --import tsx bench/transactions/seqlog-client.ts <bootstrap> <topic> <transactions> <records> <size> <warmup>
import { performance } from 'node:perf_hooks';
import { Producer, type RecordMetadata } from '../../src/client/index.ts';

const [bootstrap, topic, transactions, records, size, warmup] = process.argv.slice(2);
const value = Buffer.alloc(Number(size), 0x61);
const batch = Array.from({ length: Number(records) }, (_, i) => ({ topic, partition: 0, key: String(i), value }));
const producer = new Producer({ bootstrap, transactionalId: `bench-seqlog-${topic}` });

async function run(count: number): Promise<void> {
  for (let t = 0; t < count; t++) {
    let sent: Promise<RecordMetadata[]> | null = null;
    // Like KafkaProducer: the sends are not awaited inside; commitTransaction() flushes them.
    await producer.transaction(async (tx) => {
      sent = tx.send(batch);
    });
    await sent;
  }
}

await producer.initTransactions();
await run(Number(warmup));
const started = performance.now();
await run(Number(transactions));
const ms = performance.now() - started;
await producer.close();
console.log(JSON.stringify({ client: 'seqlog', transactions: Number(transactions), ms, transactionVersion: producer.transactionVersion }));
