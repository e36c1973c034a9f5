// Reusable buffers for reading stored record batches that go straight to a socket (Fetch). Kafka sends them from
// the page cache with sendfile (`FileRecords.writeTo`); Node has no sendfile, so each catching-up Fetch reads up
// to `max.partition.fetch.bytes` into memory. A fresh buffer per read costs the kernel fresh pages to map and
// zero, and the garbage collector a large external allocation to track; a slab that is reused costs neither.
//
// Ownership: a request takes a `ReadBufferLease`, reads through it, and releases it only once the answer that
// holds those bytes has been handed to the kernel. A lease that is never released (the connection closed first)
// just leaves its slabs to the garbage collector; a slab is never handed out while a lease still holds it.

/** Where a read gets its buffer: `length` bytes, possibly a view of a larger reused slab. */
export interface ReadBuffers {
  acquire(length: number): Buffer;
}

export class ReadBufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** Size of each slab: reads of more than this get a buffer of their own. */
    readonly slabBytes: number,
    /** Slabs kept for reuse at most; more released slabs are left to the garbage collector. */
    private readonly maxFreeSlabs: number,
  ) {}

  /** Slabs waiting for reuse. */
  get freeSlabs(): number {
    return this.free.length;
  }

  /** A lease for one request's reads; `release` it once nothing refers to what was read through it. */
  lease(): ReadBufferLease {
    return new ReadBufferLease(this);
  }

  /** A slab, reused when one is free. */
  take(): Buffer {
    // allocUnsafeSlow: a slab of its own, never a piece of Node's shared small-buffer pool.
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
  }

  give(slab: Buffer): void {
    if (this.free.length < this.maxFreeSlabs) this.free.push(slab);
  }
}

export class ReadBufferLease implements ReadBuffers {
  private slabs: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: ReadBufferPool) {}

  /**
   * `length` bytes to read into. A slab serves reads of at least half its size (so an answer pins at most twice
   * the memory it is charged for); smaller or larger reads get a buffer of their own.
   */
  acquire(length: number): Buffer {
    if (this.released || length > this.pool.slabBytes || length < this.pool.slabBytes / 2) return Buffer.allocUnsafe(length);
    const slab = this.pool.take();
    this.slabs.push(slab);
    return slab.subarray(0, length);
  }

  /** Returns the slabs for reuse; only the first call counts. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const slab of this.slabs) this.pool.give(slab);
    this.slabs = [];
  }
}
