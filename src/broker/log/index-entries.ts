// The storage both segment indexes share (Kafka's `AbstractIndex`): fixed-size big-endian entries in a buffer that
// grows by doubling, kept in memory (Node has no mmap) and written out whole as the index file's image.

export class IndexEntries {
  private buffer: Buffer;
  private used = 0;

  constructor(
    readonly entrySize: number,
    private readonly initialEntries: number,
  ) {
    this.buffer = Buffer.alloc(entrySize * initialEntries);
  }

  /**
   * Entries from an index file's bytes (a whole number of entries, checked by the caller). The copy keeps room to
   * grow, as Kafka re-maps a loaded index at its full size: the active segment's index is appended to again.
   */
  static load(entrySize: number, initialEntries: number, bytes: Buffer): IndexEntries {
    const entries = new IndexEntries(entrySize, initialEntries);
    entries.buffer = Buffer.alloc(Math.max(bytes.length, entrySize * initialEntries));
    bytes.copy(entries.buffer);
    entries.used = bytes.length / entrySize;
    return entries;
  }

  get count(): number {
    return this.used;
  }

  /** The bytes holding the entries (read entry i at `i * entrySize`). Valid until the next append. */
  get data(): Buffer {
    return this.buffer;
  }

  /** Makes room for one more entry and returns the byte position to write it at. */
  appendSlot(): number {
    const at = this.used * this.entrySize;
    if (at + this.entrySize > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.entrySize * this.initialEntries));
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.used++;
    return at;
  }

  /** Keeps the first `count` entries. */
  truncate(count: number): void {
    this.used = Math.max(0, Math.min(count, this.used));
  }

  /** The index file's image. */
  toBytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.used * this.entrySize));
  }
}
