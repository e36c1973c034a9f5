// Small helpers shared by the generated codecs in `generated/`. Kept free of closures and allocation so the
// generated straight-line code stays fast on the Produce/Fetch path.
import { DecodeError } from '../wire/reader.ts';
import type { Reader } from '../wire/reader.ts';

/** An encode or decode was asked for a version the message does not define (Kafka's UnsupportedVersionException). */
export class UnsupportedVersionError extends Error {
  override readonly name = 'UnsupportedVersionError';
}

/** A value that cannot be encoded: null in a non-nullable field (Kafka throws NullPointerException there). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}

export function checkVersion(message: string, version: number, lowest: number, highest: number): void {
  if (!(version >= lowest && version <= highest) || !Number.isInteger(version)) {
    throw new UnsupportedVersionError(`${message} has no version ${version} (valid: ${lowest}-${highest})`);
  }
}

/** Kafka refuses to silently drop a non-default value in a field the target version does not have. */
export function fieldNotInVersion(field: string, version: number): UnsupportedVersionError {
  return new UnsupportedVersionError(`attempted to write a non-default ${field} at version ${version}`);
}

export function nullNotAllowed(field: string, version: number): EncodeError {
  return new EncodeError(`${field} is null but is not nullable at version ${version}`);
}

/** Decoding a null where the version does not allow one is a malformed message. */
export function nullOnWire(field: string): DecodeError {
  return new DecodeError(`non-nullable field ${field} was serialized as null`);
}

export function notNull<T>(value: T | null, field: string): T {
  if (value === null) throw nullOnWire(field);
  return value;
}

export function taggedSizeMismatch(field: string, expected: number, actual: number): DecodeError {
  return new DecodeError(`tagged field ${field} declared ${expected} bytes but used ${actual}`);
}

/** Shared all-zero UUID (Kafka's `Uuid.ZERO_UUID`); do not write into it. */
export const ZERO_UUID: Buffer = Buffer.alloc(16);

export function isZeroUuid(uuid: Uint8Array): boolean {
  for (let i = 0; i < uuid.length; i++) if (uuid[i] !== 0) return false;
  return true;
}

/** Number of bytes of an unsigned varint. */
export function uvarintSize(value: number): number {
  let v = value >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

/** Shared empty byte string used as the default of bytes fields; zero-length, so it cannot be written into. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/**
 * Skips a whole tagged-field section of a struct that knows no tags at this version. Kafka keeps unknown tagged
 * fields as raw bytes to write them back; we drop them (nothing we forward needs them).
 */
export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}
