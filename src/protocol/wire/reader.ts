// A bounds-checked big-endian reader for the Kafka wire format. Every read that would run past the end
// throws `DecodeError`, so a truncated or lying frame can never make us read foreign memory or allocate
// from an attacker-chosen length.

const textDecoder = new TextDecoder('utf-8', { fatal: false });

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export class Reader {
  readonly buf: Buffer;
  private pos: number;
  private readonly end: number;
  // int64 through a DataView: cheaper than Buffer.readBigInt64BE, which builds the value from intermediate bigints.
  private readonly view: DataView;

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = offset;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError(`need ${n} bytes at offset ${this.pos}, only ${this.end - this.pos} left`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128, at most 5 bytes (Kafka's `ByteUtils.readUnsignedVarint`). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.uint8();
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
    }
    throw new DecodeError('varint is longer than 5 bytes');
  }

  /** Zigzag signed varint (records). */
  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zigzag signed varlong (records), at most 10 bytes. */
  varlong(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.uint8();
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        value = BigInt.asUintN(64, value);
        return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
      }
    }
    throw new DecodeError('varlong is longer than 10 bytes');
  }

  uuid(): Uint8Array {
    return this.raw(16);
  }

  /** A view of the next `n` bytes (no copy). */
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private utf8(n: number): string {
    this.need(n);
    const v = textDecoder.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }

  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return this.utf8(n);
  }

  compactString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    return this.raw(n);
  }

  compactBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.raw(n - 1);
  }

  /**
   * Array length (int32, -1 = null). Each element takes at least `minElementSize` bytes, so a length larger
   * than the bytes left is rejected before anything is allocated for it.
   */
  arrayLength(minElementSize = 1): number | null {
    const n = this.int32();
    if (n < 0) return null;
    this.checkArrayLength(n, minElementSize);
    return n;
  }

  compactArrayLength(minElementSize = 1): number | null {
    const n = this.uvarint();
    if (n === 0) return null;
    this.checkArrayLength(n - 1, minElementSize);
    return n - 1;
  }

  private checkArrayLength(n: number, minElementSize: number): void {
    if (n * minElementSize > this.remaining) {
      throw new DecodeError(`array of ${n} elements cannot fit in ${this.remaining} bytes`);
    }
  }
}
