// A bound on open segment files across every partition log of the process. A broker with 10,000 partitions would
// otherwise hold 10,000 descriptors (more with several segments each) from start-up on, against a process limit
// often at 1,024. Segments open their .log file when first used; past `maxOpen` the least recently used ones are
// closed at once and reopen on their next use (Kafka leaves this to the OS limit; a Node process needs a
// descriptor per open file).
//
// Nothing holds a raw descriptor number across another segment's use: segment reads and writes look the
// descriptor up as they go, and an fsync pins its segment, which is then never closed under it. A segment closed
// with writes not yet fsynced loses nothing: its pages are in the page cache, and the next fsync, through a
// reopened descriptor, covers them and reports a write-back error nobody has seen yet (Linux's errseq). fsyncs
// take one of `maxConcurrentFsyncs` slots, so a Produce to thousands of partitions does not pin thousands of files.

export interface SegmentFile {
  /** True when the descriptor may be closed now (not pinned by an fsync, not closed for good). */
  readonly canReleaseFile: boolean;
  /** Closes the descriptor; the next use reopens it. */
  releaseFile(): void;
}

export class SegmentFileHandles {
  /** Open segment files, least recently used first (Map keeps insertion order; a touch re-inserts). */
  private readonly open = new Map<SegmentFile, true>();
  private runningFsyncs = 0;
  private readonly waitingFsyncs: (() => void)[] = [];

  constructor(
    private maxOpen: number,
    private readonly maxConcurrentFsyncs = 32,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  get limit(): number {
    return this.maxOpen;
  }

  set limit(value: number) {
    this.maxOpen = value;
    this.sweep();
  }

  /** The segment used its descriptor (just opened, or used again): it becomes the most recently used. */
  touch(file: SegmentFile): void {
    this.open.delete(file);
    this.open.set(file, true);
    if (this.open.size > this.maxOpen) this.sweep(file);
  }

  /** The segment closed its descriptor itself. */
  forget(file: SegmentFile): void {
    this.open.delete(file);
  }

  /** Closes least recently used descriptors that may be closed until the count is back within the bound. */
  sweep(keep?: SegmentFile): void {
    for (const file of this.open.keys()) {
      if (this.open.size <= this.maxOpen) return;
      if (file === keep || !file.canReleaseFile) continue;
      this.open.delete(file);
      file.releaseFile();
    }
  }

  /** Runs `fsync` when one of the fsync slots is free. */
  async fsyncSlot(fsync: () => Promise<void>): Promise<void> {
    if (this.runningFsyncs >= this.maxConcurrentFsyncs) await new Promise<void>((resolve) => this.waitingFsyncs.push(resolve));
    this.runningFsyncs++;
    try {
      await fsync();
    } finally {
      this.runningFsyncs--;
      this.waitingFsyncs.shift()?.();
      // A pinned file may have become closable.
      if (this.open.size > this.maxOpen) this.sweep();
    }
  }
}

/** Default bound: well under the usual 1,024-descriptor limit, leaving room for sockets and index writes. */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 512;

/** The process-wide bound every segment uses. */
export const segmentFileHandles = new SegmentFileHandles(DEFAULT_MAX_OPEN_SEGMENT_FILES);
