// A bound on open segment files across every partition log of the process. A broker with 10,000 partitions would
// otherwise hold 10,000 descriptors (more with several segments each) from start-up on, against a process limit
// often at 1,024. Segments open their .log file when first used and the least recently used ones are closed past
// `maxOpen` (Kafka leaves this to the OS limit and mmap; a Node process needs a descriptor per open file).
//
// Closing is deferred to a later event-loop turn (setImmediate): a descriptor number read by synchronous code
// (a reader, an append) is never closed under it, and a closed number reused by the next open cannot be read by
// mistake. A segment is closed only when nothing pins it (an fsync in flight) and every write through its
// descriptor has been fsynced, so no write error can be lost with the descriptor that saw it.

export interface SegmentFile {
  /** True when the descriptor may be closed now (not pinned, nothing written since the last fsync). */
  readonly canReleaseFile: boolean;
  /** Closes the descriptor; the next use reopens it. */
  releaseFile(): void;
}

export class SegmentFileHandles {
  /** Open segment files, least recently used first (Map keeps insertion order; a touch re-inserts). */
  private readonly open = new Map<SegmentFile, true>();
  private sweepScheduled = false;

  constructor(private maxOpen: number) {}

  get openCount(): number {
    return this.open.size;
  }

  get limit(): number {
    return this.maxOpen;
  }

  set limit(value: number) {
    this.maxOpen = value;
    this.scheduleSweep();
  }

  /** The segment used its descriptor (just opened, or used again). */
  touch(file: SegmentFile): void {
    this.open.delete(file);
    this.open.set(file, true);
    if (this.open.size > this.maxOpen) this.scheduleSweep();
  }

  /** A segment may have become releasable (its fsync finished): sweep if over the bound. */
  releasable(): void {
    if (this.open.size > this.maxOpen) this.scheduleSweep();
  }

  /** The segment closed its descriptor itself. */
  forget(file: SegmentFile): void {
    this.open.delete(file);
  }

  private scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    setImmediate(() => {
      this.sweepScheduled = false;
      this.sweep();
    });
  }

  /** Closes least recently used descriptors that may be closed until the count is back under the bound. */
  sweep(): void {
    for (const file of this.open.keys()) {
      if (this.open.size <= this.maxOpen) return;
      if (!file.canReleaseFile) continue;
      this.open.delete(file);
      file.releaseFile();
    }
  }
}

/** Default bound: well under the usual 1,024-descriptor limit, leaving room for sockets and index writes. */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 512;

/** The process-wide bound every segment uses. */
export const segmentFileHandles = new SegmentFileHandles(DEFAULT_MAX_OPEN_SEGMENT_FILES);
