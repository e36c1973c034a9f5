// Reusable buffers for reading stored record batches that go straight to a socket (Fetch). Kafka sends them from
// the page cache with sendfile (`FileRecords.writeTo`); Node has no sendfile, so each catching-up Fetch reads up
// to `max.partition.fetch.bytes` into memory. A fresh buffer per read costs the kernel fresh pages to map and
// zero, and the garbage collector a large external allocation to track (which starts full collections of the
// whole heap); a buffer that is reused costs neither.
//
// Buffers come in power-of-two sizes from a sixteenth of a slab up to a slab, so an answer never pins more than
// twice the bytes it holds (what the connection's memory budget charges it for). Smaller reads are not worth
// keeping buffers for, and larger ones (a single batch above the slab, KIP-74) are rare.
//
// Ownership: a request takes a `ReadBufferLease`, reads through it, and releases it only once the answer that
// holds those bytes has been handed to the kernel. A lease that is never released (the connection closed first)
// just leaves its buffers to the garbage collector; a buffer is never handed out while a lease still holds it.

/** Where a read gets its buffer, and where an answer cut shorter than its read goes. */
export interface ReadBuffers {
  /** `length` bytes to read into, possibly a view of a larger reused buffer. */
  acquire(length: number): Buffer;
  /**
   * `read[0, end)` in memory at most twice `end`, for an answer that holds under half of what was read (its
   * read ended inside a batch too large to send whole). `read` is not used again by the caller.
   */
  trim(read: Buffer, end: number): Buffer;
}

/** Buffers are this many times smaller than a slab at the smallest. */
const SIZE_CLASSES = 5;

export class ReadBufferPool {
  /** Idle buffers by size class, smallest first; the most recently returned last (warmest in cache). */
  private readonly free: Buffer[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  private readonly smallestBytes: number;
  private idleBytes = 0;

  constructor(
    /** The largest buffer, a power of two: reads of more than this get a buffer of their own. */
    readonly slabBytes: number,
    /** Bytes kept for reuse at most; more released buffers are left to the garbage collector. */
    private readonly maxIdleBytes: number,
  ) {
    if (slabBytes < 2 ** SIZE_CLASSES || (slabBytes & (slabBytes - 1)) !== 0) throw new RangeError(`slabBytes must be a power of two of at least ${2 ** SIZE_CLASSES}, got ${slabBytes}`);
    this.smallestBytes = slabBytes / 2 ** (SIZE_CLASSES - 1);
  }

  /** Buffers waiting for reuse. */
  get freeSlabs(): number {
    let count = 0;
    for (const buffers of this.free) count += buffers.length;
    return count;
  }

  /** A lease for one request's reads; `release` it once nothing refers to what was read through it. */
  lease(): ReadBufferLease {
    return new ReadBufferLease(this);
  }

  /**
   * The size of the buffer that serves a read of `length`: the smallest class that holds it, or -1 when the read
   * gets a buffer of its own (above a slab, or so small that the smallest class would be more than twice it).
   */
  sizeFor(length: number): number {
    if (length > this.slabBytes || length * 2 <= this.smallestBytes) return -1;
    let size = this.smallestBytes;
    while (size < length) size *= 2;
    return size;
  }

  /** A buffer of `size` (a value of `sizeFor`), reused when one is free. */
  take(size: number): Buffer {
    const idle = this.free[this.classOf(size)].pop();
    if (idle === undefined) return Buffer.allocUnsafeSlow(size); // a buffer of its own, never a piece of Node's shared pool
    this.idleBytes -= size;
    return idle;
  }

  give(buffer: Buffer): void {
    if (this.idleBytes + buffer.length > this.maxIdleBytes) return;
    this.free[this.classOf(buffer.length)].push(buffer);
    this.idleBytes += buffer.length;
  }

  private classOf(size: number): number {
    return 31 - Math.clz32(size / this.smallestBytes);
  }
}

export class ReadBufferLease implements ReadBuffers {
  private held: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: ReadBufferPool) {}

  acquire(length: number): Buffer {
    const size = this.pool.sizeFor(length);
    if (this.released || size < 0) return Buffer.allocUnsafe(length);
    const buffer = this.pool.take(size);
    this.held.push(buffer);
    return buffer.subarray(0, length);
  }

  /** Copies the answer into a buffer of its size class and gives the read's buffer back at once. */
  trim(read: Buffer, end: number): Buffer {
    const answer = this.acquire(end);
    read.copy(answer, 0, 0, end);
    const at = this.held.findIndex((buffer) => buffer.buffer === read.buffer);
    if (at >= 0) this.pool.give(this.held.splice(at, 1)[0]);
    return answer;
  }

  /** Returns the buffers for reuse; only the first call counts. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const buffer of this.held) this.pool.give(buffer);
    this.held = [];
  }
}
