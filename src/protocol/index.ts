// The public protocol surface (`seqlog/protocol`): typed messages and their registry, framing, the wire
// reader/writer, record batches and the error table. Imports nothing outside `src/protocol/`.
export * from './messages/generated/index.ts';
export type { AnyApiDescriptor, ApiDescriptor, VersionRange } from './messages/api-descriptor.ts';
export { EncodeError, UnsupportedVersionError } from './messages/runtime.ts';
export * from './framing.ts';
export { DecodeError, Reader } from './wire/reader.ts';
export { Writer } from './wire/writer.ts';
export { crc32c } from './wire/crc32c.ts';
export * from './records/index.ts';
export * from './errors/index.ts';
