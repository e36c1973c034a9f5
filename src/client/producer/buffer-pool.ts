// The producer's memory for record batches and the Produce request frames built from them, kept and handed out
// again as Kafka's `BufferPool` keeps batch.size buffers. A producer writes every record's bytes twice (into its
// batch, then into the request frame); into fresh memory that is a page fault per 4 KiB and, through the external
// memory V8 sees growing, extra full garbage collections. Reused memory is mapped and warm. Unlike Java's pool this
// one does not count against buffer.memory (the accumulator counts record bytes, as before); it only bounds what
// waits unused. Sizes are powers of two, so a batch growing past batch.size (see RecordAccumulator) finds one.
import type { WriterMemory } from '../../protocol/wire/writer.ts';

const SMALLEST = 12; // 4 KiB: below that, Node's own 8 KiB slabs serve as well
const LARGEST = 24; // 16 MiB: a larger buffer is rare enough to leave to the garbage collector

export class BufferPool implements WriterMemory {
  /** Idle buffers by size class (log2 of their size), the most recently returned last (warmest in cache). */
  private readonly idle: ArrayBuffer[][] = Array.from({ length: LARGEST + 1 }, () => []);
  /** Buffers handed out and not yet given back: `give` accepts nothing else, so no buffer is ever idle twice. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private idleBytes = 0;
  /** Buffers made because none of the size was idle (the pool's misses). */
  allocations = 0;

  /** `idleLimit`: at most this many bytes wait unused; more goes to the garbage collector. */
  constructor(private readonly idleLimit: number) {}

  take(bytes: number): Buffer {
    const sizeClass = Math.max(SMALLEST, 32 - Math.clz32(Math.max(1, bytes) - 1));
    if (sizeClass > LARGEST) return Buffer.allocUnsafeSlow(bytes);
    let memory = this.idle[sizeClass].pop();
    if (memory === undefined) {
      memory = Buffer.allocUnsafeSlow(2 ** sizeClass).buffer as ArrayBuffer;
      this.allocations++;
    } else this.idleBytes -= memory.byteLength;
    this.lent.add(memory);
    return Buffer.from(memory);
  }

  give(bytes: Uint8Array): void {
    const memory = bytes.buffer as ArrayBuffer;
    if (!this.lent.delete(memory)) return;
    if (this.idleBytes + memory.byteLength > this.idleLimit) return;
    this.idle[31 - Math.clz32(memory.byteLength)].push(memory);
    this.idleBytes += memory.byteLength;
  }

  /** Bytes waiting unused. */
  get idleByteCount(): number {
    return this.idleBytes;
  }
}
