// A growable big-endian byte writer for the Kafka wire format.
//
// Protocol varints (compact lengths, tagged-field tags and sizes) are *unsigned* LEB128;
// record-level varints (inside record batches) are *zigzag* signed: `varint`/`varlong` below.

const textEncoder = new TextEncoder();
const EMPTY = Buffer.alloc(0);

/**
 * Where a Writer takes its memory and gives it back when it grows or is released: a pool of reused buffers (the
 * producer's `BufferPool`), so that memory written at hundreds of MB/s is not fresh pages each time.
 */
export interface WriterMemory {
  /** A buffer of at least `bytes`, owned by the caller until given back. */
  take(bytes: number): Buffer;
  /** Returns memory from `take` (any view of it); anything else, or memory already given back, is ignored. */
  give(bytes: Uint8Array): void;
}

export class Writer {
  private buf: Buffer;
  // int64 goes through a DataView: Buffer.writeBigInt64BE splits the bigint into intermediate bigints, which
  // made int64-heavy messages (snapshots, offsets) garbage-collector bound.
  private view: DataView;
  private pos = 0;
  /**
   * Gathering (`spliceAtLeast`): byte arrays at least this long are not copied in but kept by reference, to be
   * written after the bytes before them; `splices` holds their positions in `buf` and the arrays themselves.
   */
  private readonly spliceAtLeast: number;
  private readonly splices: { at: number; bytes: Uint8Array }[] = [];
  private splicedBytes = 0;

  /**
   * `spliceAtLeast`: keep byte arrays of at least this many bytes by reference instead of copying them (a Fetch
   * answer's stored record batches), so that the result is read with `finishChunks`. Infinity (the default)
   * copies everything.
   */
  constructor(initialCapacity = 256, spliceAtLeast = Infinity, private readonly memory: WriterMemory | null = null) {
    this.buf = memory === null ? Buffer.allocUnsafe(initialCapacity) : memory.take(initialCapacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.spliceAtLeast = spliceAtLeast;
  }

  /** Bytes the writer holds room for before it must grow (and copy). */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Gives the writer's memory back to its `WriterMemory`: nothing written may be read after this (views from
   * `finish` included). Without a `WriterMemory`, or with `giveBack` false (views of the bytes may still be read
   * elsewhere), the bytes are left to the garbage collector.
   */
  release(giveBack = true): void {
    if (giveBack) this.memory?.give(this.buf);
    this.buf = EMPTY;
    this.view = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
    this.pos = 0;
  }

  /** Bytes written so far, spliced arrays included. */
  get length(): number {
    return this.pos + this.splicedBytes;
  }

  /** The bytes written so far (a view, not a copy). Throws if arrays were spliced: use `finishChunks`. */
  finish(): Buffer {
    if (this.splices.length > 0) throw new Error('Writer.finish on a writer holding spliced byte arrays; use finishChunks');
    return this.buf.subarray(0, this.pos);
  }

  /** The bytes written so far as consecutive chunks (views, not copies): the spliced arrays between the rest. */
  finishChunks(): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const { at, bytes } of this.splices) {
      if (at > from) chunks.push(this.buf.subarray(from, at));
      chunks.push(bytes);
      from = at;
    }
    if (this.pos > from || chunks.length === 0) chunks.push(this.buf.subarray(from, this.pos));
    return chunks;
  }

  /**
   * Reserve `n` bytes and return their start so they can be patched later (e.g. a length prefix). The start
   * counts copied bytes only: with gathering, `length - at` is a size only when nothing was spliced before `at`.
   */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  patchInt32(at: number, value: number): void {
    this.buf.writeInt32BE(value, at);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length, 32) * 2;
    while (cap < need) cap *= 2;
    const next = this.memory === null ? Buffer.allocUnsafe(cap) : this.memory.take(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.memory?.give(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Unsigned LEB128 varint (protocol: compact lengths, tags). Accepts 0..2^32-1. */
  uvarint(v: number): this {
    this.ensure(5);
    let value = v >>> 0;
    while (value >= 0x80) {
      this.buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buf[this.pos++] = value;
    return this;
  }

  /** Zigzag signed varint (records). */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag signed varlong (records). */
  varlong(v: bigint): this {
    this.ensure(10);
    let value = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (value >= 0x80n) {
      this.buf[this.pos++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.buf[this.pos++] = Number(value);
    return this;
  }

  uuid(v: Uint8Array): this {
    if (v.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${v.length}`);
    return this.raw(v);
  }

  raw(bytes: Uint8Array): this {
    if (bytes.length >= this.spliceAtLeast) {
      this.splices.push({ at: this.pos, bytes });
      this.splicedBytes += bytes.length;
      return this;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  private utf8(v: string): Uint8Array {
    return textEncoder.encode(v);
  }

  /** int16-length string; null writes -1. */
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const bytes = this.utf8(v);
    return this.int16(bytes.length).raw(bytes);
  }

  /** uvarint(length+1) string; null writes 0. */
  compactString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const bytes = this.utf8(v);
    return this.uvarint(bytes.length + 1).raw(bytes);
  }

  /** int32-length bytes; null writes -1. */
  bytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    return this.int32(v.length).raw(v);
  }

  /** uvarint(length+1) bytes; null writes 0. */
  compactBytes(v: Uint8Array | null): this {
    if (v === null) return this.uvarint(0);
    return this.uvarint(v.length + 1).raw(v);
  }

  /** int32 array length; null writes -1. */
  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }

  /** uvarint(length+1) array length; null writes 0. */
  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1);
  }
}
