// Kafka framing as bytes arrive: splits one connection's byte stream into frames, checking each size prefix
// (negative, above `socket.request.max.bytes` or the largest response accepted) before anything is reserved for it,
// as Kafka's `NetworkReceive` does. Socket reads can go straight into the frame being received (`directReadBuffer`),
// so a large frame is neither gathered from read-sized chunks nor copied.
//
// The broker places request frames in memory that is used again (see request-slabs.ts) instead of a buffer each.
// The client gives every response a buffer of its own at its announced size (`allocateDeclaredSize`), as Java's
// NetworkReceive does: the records decoded from it view its bytes for as long as the application keeps them.
//
// Where a frame goes is chosen once its size is known: after the frames before it in the connection's current
// slab; at the start of that slab again when no frame in it is still referenced; in another slab from the pool;
// or, for a frame larger than a slab or when the pool is at its bound, in a buffer of its own that grows with
// the bytes received (never with the size declared), so a client announcing a huge frame and sending little makes
// the broker hold little.
import { FrameError, frameSizeError } from '../protocol/framing.ts';
import type { RequestSlab, RequestSlabPool } from './request-slabs.ts';

export interface FrameReaderOptions {
  /**
   * A frame that gets a buffer of its own gets it at its announced size at once, and large reads go straight into
   * it. For a peer trusted with that much memory per frame (a client reading its broker's answers); without it the
   * buffer grows with the bytes received, so that a client announcing huge frames and sending little costs the
   * broker little.
   */
  readonly allocateDeclaredSize?: boolean;
}

/**
 * A buffer of its own starts empty and grows (at least doubling) to take the bytes that arrive: a connection that
 * announces a frame and sends a few bytes holds a few bytes, however many such connections there are.
 */
const EMPTY = Buffer.alloc(0);
/**
 * A socket read goes straight into the frame being received while at least this much of it is missing; smaller
 * remainders are read with whatever follows them and copied, so small frames cost one read for many. A buffer of
 * its own is read into only once this much of its frame has arrived, so the room reserved ahead for a read never
 * exceeds what the client already sent.
 */
const DIRECT_READ_MIN_BYTES = 32 * 1024;

const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | null = null;

/**
 * Where a socket read goes when not into a frame (`directReadBuffer` gave null): one buffer every connection of
 * the process shares, since each read is copied out of it in its callback, before any other read can happen.
 */
export function readScratch(): Buffer {
  // allocUnsafeSlow: not a view of Node's shared small-buffer pool. Bytes are read from it only up to what a read
  // wrote into it.
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  return scratch;
}

/**
 * One request frame (the bytes after the size prefix). Its bytes may lie in a reused slab: whoever holds it must
 * `release` it once nothing reads them any more, or `abandon` it when that cannot be known.
 */
export class ReadFrame {
  private done = false;

  constructor(
    readonly bytes: Buffer,
    private readonly slab: RequestSlab | null,
    private readonly pool: RequestSlabPool | null,
  ) {}

  /** Nothing reads `bytes` any more: its memory may hold another frame. Later calls do nothing. */
  release(): void {
    if (this.done) return;
    this.done = true;
    if (this.slab !== null) this.pool?.release(this.slab);
  }

  /** `bytes` may be referenced for as long as anything holds it: its memory is never reused. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    if (this.slab !== null) this.pool?.abandon(this.slab);
  }
}

export class FrameReader {
  /** The slab frames are being placed in, with this reader's reference; null before the first or after close. */
  private slab: RequestSlab | null = null;
  /** Where the next frame placed in `slab` starts. */
  private slabEnd = 0;
  /** The size prefix being read. */
  private readonly prefix = Buffer.alloc(4);
  private prefixFilled = 0;
  /** Size of the frame being received, or -1 while its prefix is incomplete. */
  private expected = -1;
  /** Where the frame being received goes: a slab's bytes (at `targetStart`) or a buffer of its own. */
  private target: Buffer | null = null;
  private targetStart = 0;
  /** The slab holding the frame being received (a reference of its own), or null for a buffer of its own. */
  private targetSlab: RequestSlab | null = null;
  private filled = 0;
  private failed = false;
  private closed = false;
  /** The region `directReadBuffer` last handed out, or null. */
  private direct: Buffer | null = null;

  private readonly allocateDeclaredSize: boolean;

  /** `pool`: the slabs frames are placed in; null gives every frame a buffer of its own. */
  constructor(
    private readonly pool: RequestSlabPool | null,
    readonly maxFrameBytes: number,
    options: FrameReaderOptions = {},
  ) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0) throw new RangeError(`invalid maxFrameBytes ${maxFrameBytes}`);
    this.allocateDeclaredSize = options.allocateDeclaredSize === true;
  }

  /** Bytes received that are not yet part of a returned frame (size prefix included). */
  get buffered(): number {
    return this.expected < 0 ? this.prefixFilled : 4 + this.filled;
  }

  /**
   * Copies `chunk` in and returns every frame it completes, in order. `chunk` is not referenced afterwards (it may
   * be reused by the caller). Throws `FrameError` on a bad size prefix; the reader is unusable after that.
   */
  push(chunk: Uint8Array): ReadFrame[] {
    if (this.failed || this.closed) throw new FrameError('frame reader already failed or closed');
    const frames: ReadFrame[] = [];
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.expected < 0) {
        const n = Math.min(4 - this.prefixFilled, end - pos);
        for (let i = 0; i < n; i++) this.prefix[this.prefixFilled + i] = chunk[pos + i];
        this.prefixFilled += n;
        pos += n;
        if (this.prefixFilled < 4) break;
        this.prefixFilled = 0;
        this.begin(this.prefix.readInt32BE(0));
        if (this.expected === 0) {
          frames.push(this.complete());
          continue;
        }
      }
      const n = Math.min(this.expected - this.filled, end - pos);
      this.reserve(this.filled + n);
      (this.target as Buffer).set(chunk.subarray(pos, pos + n), this.targetStart + this.filled);
      this.filled += n;
      pos += n;
      if (this.filled === this.expected) frames.push(this.complete());
    }
    return frames;
  }

  /**
   * Where the next socket read may put its bytes so that they need no copy (net.Socket's `onread`): the missing
   * part of the frame being received, when it is large. Null: read elsewhere and hand the bytes to `push`.
   */
  directReadBuffer(): Buffer | null {
    this.direct = null;
    if (this.failed || this.closed || this.expected < 0 || this.expected - this.filled < DIRECT_READ_MIN_BYTES) return null;
    if (this.targetSlab === null && !this.allocateDeclaredSize && this.filled < DIRECT_READ_MIN_BYTES) return null;
    this.reserve(Math.min(this.expected, this.filled + DIRECT_READ_MIN_BYTES));
    const target = this.target as Buffer;
    const end = this.targetSlab !== null ? this.targetStart + this.expected : Math.min(target.length, this.expected);
    this.direct = target.subarray(this.targetStart + this.filled, end);
    return this.direct;
  }

  /**
   * `bytes` bytes were read into `buffer`: the region `directReadBuffer` returned last (then they are in place),
   * or any other buffer (then they are copied, as by `push`). Returns the frames completed.
   */
  readInto(bytes: number, buffer: Uint8Array): ReadFrame[] {
    const direct = this.direct;
    this.direct = null;
    if (direct === null || buffer !== direct) return this.push(buffer.subarray(0, bytes));
    if (this.failed || this.closed) throw new FrameError('frame reader already failed or closed');
    if (bytes > direct.length) throw new RangeError(`${bytes} bytes read into a buffer of ${direct.length}`);
    this.filled += bytes;
    return this.filled === this.expected ? [this.complete()] : [];
  }

  /**
   * Gives back what the reader holds (its slab, a partly received frame). Frames already returned stay valid. Call
   * it once the socket reads nothing more (its handle closed, as `socket.destroy()` does at once): a region
   * `directReadBuffer` handed out is then reused like the rest, so a client that keeps reconnecting and closing
   * mid-frame costs the broker no memory.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.direct = null;
    if (this.targetSlab !== null) this.pool?.release(this.targetSlab);
    this.targetSlab = null;
    this.target = null;
    if (this.slab !== null) this.pool?.release(this.slab);
    this.slab = null;
  }

  private begin(size: number): void {
    const refused = frameSizeError(size, this.maxFrameBytes);
    if (refused !== null) {
      this.failed = true;
      throw refused;
    }
    this.expected = size;
    this.filled = 0;
    if (size === 0) return;
    if (this.pool !== null && size <= this.pool.slabBytes && this.placeInSlab(this.pool, size)) return;
    this.target = this.allocateDeclaredSize ? Buffer.allocUnsafe(size) : EMPTY;
    this.targetStart = 0;
    this.targetSlab = null;
  }

  /** Reserves `size` bytes in a slab for the next frame; false when no slab can be had. */
  private placeInSlab(pool: RequestSlabPool, size: number): boolean {
    let slab = this.slab;
    // Only this reader refers to its slab: every frame placed in it has been released, so it starts over.
    if (slab !== null && slab.refs === 1) this.slabEnd = 0;
    if (slab === null || this.slabEnd + size > pool.slabBytes) {
      if (slab !== null) pool.release(slab);
      slab = pool.acquire();
      this.slab = slab;
      this.slabEnd = 0;
      if (slab === null) return false;
    }
    slab.refs++;
    this.target = slab.bytes;
    this.targetStart = this.slabEnd;
    this.targetSlab = slab;
    this.slabEnd += size;
    return true;
  }

  /** Makes sure a buffer of its own can take `length` bytes of the frame, growing it with the bytes received. */
  private reserve(length: number): void {
    const target = this.target as Buffer;
    if (this.targetSlab !== null || target.length >= length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.expected, Math.max(length, target.length * 2)));
    target.copy(grown, 0, 0, this.filled);
    this.target = grown;
  }

  private complete(): ReadFrame {
    const size = this.expected;
    const frame = size === 0 ? new ReadFrame(Buffer.alloc(0), null, this.pool) : new ReadFrame((this.target as Buffer).subarray(this.targetStart, this.targetStart + size), this.targetSlab, this.pool);
    this.expected = -1;
    this.filled = 0;
    this.target = null;
    this.targetSlab = null;
    return frame;
  }
}
