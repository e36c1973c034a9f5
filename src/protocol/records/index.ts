// Record batches (magic 2), control records and compression: the hand-written half of the protocol.
export * from './batch-header.ts';
export * from './record-types.ts';
export * from './record-batch-error.ts';
export * from './record-batch-encoder.ts';
export * from './record-batch-decoder.ts';
export * from './validate-batch-for-append.ts';
export * from './prepare-batch-for-append.ts';
export { walkRecords, type RecordsSummary, type WalkedBatch } from './record-walk.ts';
export * from './control-record.ts';
export * from './compression/compression-codec.ts';
export * from './compression/codec-registry.ts';
export { gzipCodec } from './compression/gzip-codec.ts';
export { snappyCodec, SNAPPY_BLOCK_SIZE } from './compression/snappy-codec.ts';
export { lz4Codec, lz4FrameOutputBound, LZ4_FRAME_MAGIC, LZ4_BLOCK_SIZE, LZ4_KAFKA_FRAME_HEADER } from './compression/lz4-codec.ts';
export { zstdCodec, ZSTD_DEFAULT_LEVEL } from './compression/zstd-codec.ts';
