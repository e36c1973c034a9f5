// A client cannot make a partition unreadable: the real broker (in process, port 0) is sent batches whose records
// are malformed, plain and compressed; each gets Kafka's error code, nothing is stored, and the partition still
// reads back with seqlog's decoder and KafkaJS's. Then a bounded fuzz: valid batches with random bytes flipped
// (CRC fixed, so the record checks are what decides), produced one after another; at the end every stored batch
// decodes, record for record, in both decoders.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import { BatchField, CompressionType, RECORD_BATCH_OVERHEAD, batchSpans, codecFor, encodeRecordBatch, iterateRecordBatches, writeCrc } from '../../src/protocol/records/index.ts';

const require = createRequire(import.meta.url);
const kafkaJsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<{ records: unknown[] }>;
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;

let broker: RunningBroker;
let dataDir: string;
let connection: BrokerConnection;

async function createTopic(name: string): Promise<void> {
  const response = await connection.send(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assert.equal(response.topics[0].errorCode, ErrorCode.NONE);
}

async function produce(topic: string, records: Buffer) {
  const response = await connection.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return response.responses[0].partitionResponses[0];
}

async function fetchAll(topic: string): Promise<{ highWatermark: bigint; records: Buffer }> {
  const response = await connection.send(ApiKey.Fetch, 12, {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 50 * 1024 * 1024, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const partition = response.responses[0].partitions[0];
  assert.equal(partition.errorCode, ErrorCode.NONE);
  return { highWatermark: partition.highWatermark, records: partition.records ?? Buffer.alloc(0) };
}

/** Every stored batch decodes in seqlog's decoder and in KafkaJS's (for the codecs KafkaJS ships); returns the record count. */
async function readBack(topic: string): Promise<number> {
  const { highWatermark, records } = await fetchAll(topic);
  let count = 0;
  for (const batch of iterateRecordBatches(records)) count += batch.records.length;
  for (const { buf, at, size } of batchSpans(records)) {
    const compression = buf.readInt16BE(at + BatchField.attributes) & 0x07;
    if (compression > CompressionType.gzip) continue;
    const decoded = await kafkaJsDecodeBatch(new KafkaJsDecoder(buf.subarray(at, at + size)));
    assert.equal(decoded.records.length, buf.readInt32BE(at + BatchField.recordsCount));
  }
  assert.equal(BigInt(count), highWatermark, 'every offset up to the high watermark is a readable record');
  return count;
}

function zz(n: number): Buffer {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** A client batch around a raw records section, compressed with `compression`, with a valid CRC. */
function batchOf(section: Buffer, count: number, compression: CompressionType): Buffer {
  const payload = compression === CompressionType.none ? section : codecFor(compression).compress(section);
  const template = encodeRecordBatch({ records: Array.from({ length: count }, () => ({ key: null, value: null, timestamp: BigInt(Date.now()) })) });
  const batch = Buffer.concat([template.subarray(0, RECORD_BATCH_OVERHEAD), payload]);
  batch.writeInt32BE(batch.length - 12, BatchField.batchLength);
  batch.writeInt16BE(compression, BatchField.attributes);
  writeCrc(batch, 0, batch.length);
  return batch;
}

const record = (i: number, value: string, length?: number) => {
  const body = Buffer.concat([Buffer.from([0]), zz(0), zz(i), zz(-1), zz(value.length), Buffer.from(value), zz(0)]);
  return Buffer.concat([zz(length ?? body.length), body]);
};

const defects: ReadonlyArray<readonly [string, Buffer, number]> = [
  ['a record length that lies (longer)', Buffer.concat([record(0, 'a', 30), record(1, 'b')]), 2],
  ['a record length that lies (shorter)', Buffer.concat([record(0, 'abc', 4), record(1, 'b')]), 2],
  ['a value length beyond the record', Buffer.concat([zz(8), Buffer.from([0]), zz(0), zz(0), zz(-1), zz(90), Buffer.from('ab'), zz(0)]), 1],
  ['fewer records than recordsCount', record(0, 'a'), 2],
  ['trailing bytes', Buffer.concat([record(0, 'a'), Buffer.from([7, 7])]), 1],
  ['a negative header count', Buffer.concat([zz(6), Buffer.from([0]), zz(0), zz(0), zz(-1), zz(-1), zz(-2)]), 1],
];

describe('record validation on the real broker', { timeout: 120_000 }, () => {
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'seqlog-record-validation-'));
    broker = await startBroker({ dataDir, port: 0 });
    connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
    await connection.negotiateApiVersions();
  });

  after(async () => {
    connection?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const compression of [CompressionType.none, CompressionType.gzip, CompressionType.zstd]) {
    it(`${codecFor(compression).name}: each malformed batch is INVALID_RECORD, nothing is stored, the partition reads back`, async () => {
      const topic = `defects-${codecFor(compression).name}`;
      await createTopic(topic);
      for (const [defect, section, count] of defects) {
        const answer = await produce(topic, batchOf(section, count, compression));
        assert.equal(errorName(answer.errorCode), 'INVALID_RECORD', defect);
        assert.equal(answer.baseOffset, -1n, defect);
      }
      const good = await produce(topic, batchOf(Buffer.concat([record(0, 'ok-0'), record(1, 'ok-1')]), 2, compression));
      assert.equal(good.errorCode, ErrorCode.NONE);
      assert.equal(good.baseOffset, 0n, 'no rejected batch took an offset');
      assert.equal(await readBack(topic), 2);
    });
  }

  it('fuzz: 300 mutated batches; whatever was acknowledged reads back in both decoders', async () => {
    const topic = 'fuzz';
    await createTopic(topic);
    const rng = fc.sample(
      fc.record({
        values: fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        compression: fc.constantFrom(CompressionType.none, CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd),
        flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        afterCompression: fc.boolean(),
      }),
      { numRuns: 300, seed: 20261206 },
    );
    let acknowledged = 0;
    const codes = new Map<string, number>();
    for (const { values, compression, flips, afterCompression } of rng) {
      const plain = encodeRecordBatch({ records: values.map((value, i) => ({ key: i % 2 ? Buffer.from('k') : null, value, headers: i % 3 === 0 ? [{ key: 'h', value: Buffer.from('v') }] : [], timestamp: BigInt(Date.now()) })) });
      const section = Buffer.from(plain.subarray(RECORD_BATCH_OVERHEAD));
      let batch: Buffer;
      if (afterCompression && compression !== CompressionType.none) {
        batch = batchOf(section, values.length, compression);
        for (const [at, xor] of flips) batch[RECORD_BATCH_OVERHEAD + (at % (batch.length - RECORD_BATCH_OVERHEAD))] ^= xor;
        writeCrc(batch, 0, batch.length);
      } else {
        for (const [at, xor] of flips) section[at % section.length] ^= xor;
        batch = batchOf(section, values.length, compression);
      }
      const answer = await produce(topic, batch);
      const name = errorName(answer.errorCode);
      codes.set(name, (codes.get(name) ?? 0) + 1);
      if (answer.errorCode === ErrorCode.NONE) acknowledged += values.length;
      else assert.ok(['INVALID_RECORD', 'CORRUPT_MESSAGE', 'UNKNOWN_SERVER_ERROR'].includes(name), name);
    }
    assert.ok((codes.get('NONE') ?? 0) > 0 && (codes.get('INVALID_RECORD') ?? 0) > 0, `both outcomes occur: ${[...codes].join(' ')}`);
    assert.equal(await readBack(topic), acknowledged);
  });
});
