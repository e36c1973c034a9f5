// Produce request encode/decode carrying 1 MiB of 1 KiB records, using the generated protocol codec
// (src/protocol/messages/generated/00-produce.ts). Loaded dynamically so the other benches still run while
// the generated code is missing or being regenerated; the bench then reports itself unavailable.
import { Reader } from '../src/protocol/wire/reader.ts';
import { Writer } from '../src/protocol/wire/writer.ts';
import { encodeRecordBatch } from '../src/protocol/records/record-batch-encoder.ts';
import { validateBatchForAppend } from '../src/protocol/records/validate-batch-for-append.ts';
import { jsonRecords } from './fixtures.ts';
import type { Benchmark } from './harness.ts';

interface ProduceRequestShape {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

interface ProduceCodec {
  encodeProduceRequest(w: Writer, m: ProduceRequestShape, version: number): void;
  decodeProduceRequest(r: Reader, version: number): ProduceRequestShape;
}

const GENERATED = '../src/protocol/messages/generated/00-produce.ts';
const VERSION = 9;

export const produceRequestBench: Benchmark = {
  name: 'produce-request',
  description: `Produce v${VERSION} request with one 1 MiB batch (1024 x 1 KiB records): generated codec + record batch`,
  async build() {
    const codec = (await import(GENERATED)) as ProduceCodec;
    const records = jsonRecords(1024);
    const bytes = records.reduce((sum, r) => sum + (r.value?.length ?? 0) + (r.key?.length ?? 0), 0);
    const batchInput = { producerId: 1000n, producerEpoch: 0, baseSequence: 0, records };
    const request = (batch: Buffer): ProduceRequestShape => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records: batch }] }],
    });
    const encodeRequest = (message: ProduceRequestShape): Buffer => {
      const writer = new Writer(bytes + 65_536);
      codec.encodeProduceRequest(writer, message, VERSION);
      return writer.finish();
    };
    const prebuilt = request(encodeRecordBatch(batchInput));
    const encoded = encodeRequest(prebuilt);
    const decode = () => codec.decodeProduceRequest(new Reader(encoded), VERSION);
    const check = decode().topicData[0].partitionData[0].records;
    if (check === null || !validateBatchForAppend(check).ok) throw new Error('produce request does not round-trip');
    return [
      { label: 'request encode (batch prebuilt)', bytesPerOp: bytes, itemsPerOp: records.length, run: () => encodeRequest(prebuilt) },
      { label: 'request decode (records stay a view)', bytesPerOp: bytes, itemsPerOp: records.length, run: decode },
      {
        label: 'client: batch + request encode',
        bytesPerOp: bytes,
        itemsPerOp: records.length,
        run: () => encodeRequest(request(encodeRecordBatch(batchInput))),
      },
      {
        label: 'broker: request decode + validate',
        bytesPerOp: bytes,
        itemsPerOp: records.length,
        run: () => {
          const records = decode().topicData[0].partitionData[0].records;
          return records === null ? null : validateBatchForAppend(records);
        },
      },
    ];
  },
};
