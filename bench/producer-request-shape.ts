// The shape of the Produce requests each producer client sends, seen by a counting proxy between the client and
// `seqlog serve`: requests, batches per request, records per batch, bytes per request, requests in flight when
// one is sent, and the broker's answer time. Same driver shape as bench/producer.bench.ts (WINDOW records
// outstanding, record i to partition i % partitions); each client runs in a process of its own.
//   node --import tsx bench/producer-request-shape.ts
// Environment: SHAPE_CLIENTS (seqlog,librdkafka), SHAPE_FSYNC (always), SHAPE_VALUE (100), SHAPE_PARTITIONS (8),
// SHAPE_RECORDS (100000), SHAPE_SEQLOG_DRIVER (the seqlog driver to run; default bench/producer-peers/node-driver.ts).
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ApiKey } from '../src/protocol/messages/generated/index.ts';
import { decodeRequestFrame } from '../src/protocol/framing.ts';
import { ChildBroker } from '../src/testkit/child-broker.ts';
import { repoRoot, venvPython } from '../test/reference/layout.ts';
import { createTopic, runProcess } from './producer.bench.ts';

interface Shape {
  requests: number;
  batches: number;
  records: number;
  bytes: number;
  inflightAtSend: number[];
  answerMs: number[];
  recordsPerBatch: number[];
  batchesPerRequest: number[];
  sendGapsMs: number[];
}

function emptyShape(): Shape {
  return { requests: 0, batches: 0, records: 0, bytes: 0, inflightAtSend: [], answerMs: [], recordsPerBatch: [], batchesPerRequest: [], sendGapsMs: [] };
}

/** Splits a byte stream into Kafka frames (int32 size prefix). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(4, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

function proxy(target: () => number, shape: () => Shape): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    const sentAt = new Map<number, number>();
    let lastSend = 0;
    const fromClient = framer((frame) => {
        if (frame.readInt16BE(0) !== ApiKey.Produce) return;
        const decoded = decodeRequestFrame(Buffer.from(frame));
        if (decoded.kind !== 'request' || decoded.apiKey !== ApiKey.Produce) return;
        const s = shape();
        const now = performance.now();
        s.inflightAtSend.push(sentAt.size);
        if (lastSend > 0) s.sendGapsMs.push(now - lastSend);
        lastSend = now;
        sentAt.set(decoded.correlationId, now);
        s.requests++;
        s.bytes += frame.length + 4;
        let batches = 0;
        for (const topic of decoded.body.topicData) {
          for (const partition of topic.partitionData) {
            const records = partition.records;
            if (records === null) continue;
            let at = 0;
            while (at + 61 <= records.length) {
              const count = records.readInt32BE(at + 57);
              s.records += count;
              s.recordsPerBatch.push(count);
              batches++;
              at += 12 + records.readInt32BE(at + 8);
            }
          }
        }
        s.batches += batches;
        s.batchesPerRequest.push(batches);
    });
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      fromClient(chunk);
    });
    const fromBroker = framer((frame) => {
      const id = frame.readInt32BE(0);
      const at = sentAt.get(id);
      if (at === undefined) return;
      sentAt.delete(id);
      shape().answerMs.push(performance.now() - at);
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      fromBroker(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      });
    });
  });
}

function quantiles(values: number[]): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `mean ${mean.toFixed(1)} p50 ${at(0.5).toFixed(1)} p90 ${at(0.9).toFixed(1)} max ${at(1).toFixed(1)}`;
}

const clients = (process.env.SHAPE_CLIENTS ?? 'seqlog,librdkafka').split(',');
const fsync = (process.env.SHAPE_FSYNC ?? 'always') as 'always' | 'never';
const value = Number(process.env.SHAPE_VALUE ?? 100);
const partitions = Number(process.env.SHAPE_PARTITIONS ?? 8);
const records = Number(process.env.SHAPE_RECORDS ?? 100_000);
const seqlogDriver = process.env.SHAPE_SEQLOG_DRIVER ?? join(repoRoot, 'bench', 'producer-peers', 'node-driver.ts');

let current = emptyShape();
// The proxy is the advertised address, so it starts first and learns the broker's port once the broker is up.
let brokerPort = 0;
const front = await proxy(() => brokerPort, () => current);
const broker = await ChildBroker.start({ fsync, advertised: `127.0.0.1:${front.port}` });
brokerPort = broker.port;
const bootstrap = `127.0.0.1:${front.port}`;
try {
  for (const [run, client] of clients.entries()) {
    const topic = `shape-${client}-${run}`;
    await createTopic(broker.bootstrap, topic, partitions);
    current = emptyShape();
    let out: string;
    if (client === 'librdkafka') {
      out = await runProcess(venvPython, [join(repoRoot, 'test', 'peers', 'python', 'producer_perf.py'), '--bootstrap', bootstrap, '--topic', topic, '--records', String(records), '--value-bytes', String(value), '--partitions', String(partitions), '--window', '2000'], client);
    } else {
      const name = client.startsWith('seqlog') ? 'seqlog' : client;
      out = await runProcess(process.execPath, ['--import', 'tsx', client.startsWith('seqlog') ? seqlogDriver : join(repoRoot, 'bench', 'producer-peers', 'node-driver.ts'), name, bootstrap, topic, String(records), String(value), String(partitions), '2000'], client);
    }
    const s = current;
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { recordsPerSecond?: number; recordsPerSec?: number; cpuSeconds?: number };
    process.stdout.write(
      [
        `${client} (fsync ${fsync}, ${value} B, ${partitions} partitions): ${Math.round(result.recordsPerSecond ?? result.recordsPerSec ?? 0)} rec/s, client CPU ${result.cpuSeconds?.toFixed(2)} s`,
        `  requests ${s.requests}, batches ${s.batches}, records ${s.records}, bytes/request ${(s.bytes / s.requests).toFixed(0)}`,
        `  batches/request ${quantiles(s.batchesPerRequest)}`,
        `  records/batch   ${quantiles(s.recordsPerBatch)}`,
        `  in flight at send ${quantiles(s.inflightAtSend)}`,
        `  broker answer ms  ${quantiles(s.answerMs)}`,
        `  gap between sends ms ${quantiles(s.sendGapsMs)}`,
        '',
      ].join('\n'),
    );
  }
} finally {
  front.close();
  await broker.close();
}
