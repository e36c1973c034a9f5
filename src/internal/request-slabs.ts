// Reusable memory for request frames as they are read from sockets. Kafka's `NetworkReceive` reads each request
// into a buffer of its own, taken from the `queued.max.request.bytes` `MemoryPool`; here a fresh buffer per request
// costs a large external allocation, and a few dozen megabytes of them make V8 run a full mark-compact however
// small the live heap is. So frames are placed in slabs that are used again once nothing reads them.
//
// Ownership is counted per slab: one reference for the connection that is placing frames in it, one for each frame
// placed in it and not yet released. A slab goes back to the pool only when the count reaches zero, so its bytes
// are never overwritten while a frame in it is still referenced. A frame whose owner cannot tell when it is done
// with it is `abandon`ed: its slab is never reused and is left to the garbage collector.

/** One slab and how many holders it has (see the file comment). */
export class RequestSlab {
  /** Holders: the connection placing frames in it, plus the frames in it not yet released. */
  refs = 1;
  /** Set when a frame in it was abandoned: the slab must never return to the pool. */
  abandoned = false;

  constructor(readonly bytes: Buffer) {}
}

export class RequestSlabPool {
  private readonly idle: RequestSlab[] = [];
  /** Slabs created and still owned by the pool (idle or in use, not abandoned or dropped). */
  private liveSlabs = 0;

  constructor(
    /** Bytes per slab: frames larger than this get a buffer of their own. */
    readonly slabBytes: number,
    /**
     * Slabs in use or idle at most: past it frames get buffers of their own, so clients that declare large frames
     * and send nothing cannot make the broker hold more than this many slabs.
     */
    readonly maxSlabs: number,
    /** Idle slabs kept for reuse at most; more released slabs are left to the garbage collector. */
    readonly maxIdleSlabs: number,
  ) {
    if (!Number.isInteger(slabBytes) || slabBytes <= 0) throw new RangeError(`invalid slabBytes ${slabBytes}`);
  }

  /** Slabs waiting for reuse (for tests and metrics). */
  get idleSlabs(): number {
    return this.idle.length;
  }

  /** Slabs the pool owns, idle or in use. */
  get slabs(): number {
    return this.liveSlabs;
  }

  /** A slab with one reference (the caller's), or null when the pool is at its bound. */
  acquire(): RequestSlab | null {
    const reused = this.idle.pop();
    if (reused !== undefined) {
      reused.refs = 1;
      return reused;
    }
    if (this.liveSlabs >= this.maxSlabs) return null;
    this.liveSlabs++;
    // allocUnsafeSlow: a slab of its own, never a piece of Node's shared small-buffer pool. Only bytes a client
    // sent are ever handed out of it (a frame is lent once all of its bytes have been written).
    return new RequestSlab(Buffer.allocUnsafeSlow(this.slabBytes));
  }

  /** Drops one reference; the last one returns the slab to the pool. */
  release(slab: RequestSlab): void {
    slab.refs--;
    if (slab.refs > 0 || slab.abandoned) return;
    if (slab.refs < 0) throw new Error('request slab released more often than it was referenced');
    if (this.idle.length < this.maxIdleSlabs) this.idle.push(slab);
    else this.liveSlabs--;
  }

  /** A holder will never release its reference: the slab leaves the pool for good. */
  abandon(slab: RequestSlab): void {
    if (slab.abandoned) return;
    slab.abandoned = true;
    this.liveSlabs--;
  }
}

/**
 * Slabs of 2 MiB hold a producer's largest usual request (1 MiB, `max.request.size`) with room for smaller ones;
 * 32 of them bound what clients declaring large frames and sending nothing can make the broker hold (64 MiB), and
 * 8 idle ones cover the requests of several busy producers between two reads.
 */
export const REQUEST_SLAB_BYTES = 2 * 1024 * 1024;
export const REQUEST_SLABS_MAX = 32;
export const REQUEST_SLABS_KEPT_IDLE = 8;
