// Broker start-up against partition count: for each count, a topic of that many partitions is created and the
// broker closed cleanly, then started again on the same data; prints the time to start and the file descriptors
// the broker process holds once started and after one produce to every partition.
//
//   npm run bench:startup                  counts 1, 100, 1000, 10001
//   npm run bench:startup -- 1 20000       other counts
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../src/broker/index.ts';
import { BrokerConnection } from '../src/client/connection/broker-connection.ts';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../src/protocol/records/index.ts';

const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
const partitionCounts = counts.length > 0 ? counts : [1, 100, 1000, 10001];

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function produceToEvery(port: number, partitions: number): Promise<void> {
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port });
  try {
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }] });
    for (let from = 0; from < partitions; from += 1000) {
      const partitionData = [];
      for (let index = from; index < Math.min(partitions, from + 1000); index++) partitionData.push({ index, records });
      const answer = await connection.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 60000, topicData: [{ name: 't', partitionData }] });
      const failed = answer.responses[0].partitionResponses.find((p) => p.errorCode !== 0);
      if (failed !== undefined) throw new Error(`produce failed: ${failed.errorCode}`);
    }
  } finally {
    connection.close();
  }
}

const rows: string[][] = [];
const baseFds = openFds();
for (const partitions of partitionCounts) {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-startup-'));
  try {
    const created = await startBroker({ dataDir });
    const createdAt = Date.now();
    const connection = await BrokerConnection.open({ host: '127.0.0.1', port: created.port });
    // One operation may write at most 10,000 records (Kafka's limit): larger topics grow by CreatePartitions.
    const first = Math.min(partitions, 5000);
    const answer = await connection.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 't', numPartitions: first, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 600000,
      validateOnly: false,
    });
    if (answer.topics[0].errorCode !== 0) throw new Error(`CreateTopics failed: ${answer.topics[0].errorCode}`);
    for (let count = first; count < partitions; ) {
      count = Math.min(partitions, count + 5000);
      const grown = await connection.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 't', count, assignments: null }], timeoutMs: 600000, validateOnly: false });
      if (grown.results[0].errorCode !== 0) throw new Error(`CreatePartitions failed: ${grown.results[0].errorCode}`);
    }
    connection.close();
    const createMs = Date.now() - createdAt;
    await produceToEvery(created.port, partitions);
    await created.close();

    const started = Date.now();
    const broker = await startBroker({ dataDir });
    const startMs = Date.now() - started;
    const fdsAfterStart = openFds() - baseFds;
    await produceToEvery(broker.port, partitions);
    const fdsAfterProduce = openFds() - baseFds;
    await broker.close();
    rows.push([String(partitions), String(createMs), String(startMs), String(fdsAfterStart), String(fdsAfterProduce)]);
    console.log(rows[rows.length - 1].join('\t'));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
console.log('\n| partitions | create topic (ms) | start-up (ms) | open fds after start-up | open fds after a produce to each |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
