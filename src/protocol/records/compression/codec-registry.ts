// Codec lookup by the attributes' compression id (Kafka's `CompressionType.forId`).
import { CompressionType } from '../batch-header.ts';
import { corruptMessage, RecordBatchError } from '../record-batch-error.ts';
import { ErrorCode } from '../../errors/error-table.ts';
import { asBuffer, type CompressionCodec } from './compression-codec.ts';
import { gzipCodec } from './gzip-codec.ts';
import { snappyCodec } from './snappy-codec.ts';
import { lz4Codec } from './lz4-codec.ts';
import { zstdCodec } from './zstd-codec.ts';

const noneCodec: CompressionCodec = {
  name: 'none',
  id: CompressionType.none,
  compress: (data) => asBuffer(data),
  decompress(data, maxOutputBytes) {
    if (maxOutputBytes !== undefined && data.length > maxOutputBytes) {
      throw corruptMessage(`records of ${data.length} bytes exceed the ${maxOutputBytes} allowed`);
    }
    return asBuffer(data);
  },
  compressAsync: async (data) => asBuffer(data),
  decompressAsync: async (data) => asBuffer(data),
  ensureAvailable() {},
};

const codecs: readonly CompressionCodec[] = [noneCodec, gzipCodec, snappyCodec, lz4Codec, zstdCodec];

export function isKnownCompressionType(id: number): id is CompressionType {
  return id >= 0 && id < codecs.length;
}

/** The codec for an attributes compression id; ids 5..7 throw UNSUPPORTED_COMPRESSION_TYPE. */
export function codecFor(id: number): CompressionCodec {
  const codec = codecs[id];
  if (codec === undefined) {
    throw new RecordBatchError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type id ${id}`);
  }
  return codec;
}

/** The codec for a Kafka `compression.type` name. */
export function codecByName(name: string): CompressionCodec | undefined {
  return codecs.find((codec) => codec.name === name);
}

export function compress(type: CompressionType, data: Uint8Array): Buffer {
  return codecFor(type).compress(data);
}

export function decompress(type: CompressionType, data: Uint8Array, maxOutputBytes?: number): Buffer {
  return codecFor(type).decompress(data, maxOutputBytes);
}
