// Kafka's built-in partitioner (`BuiltInPartitioner`, KIP-794) and `Utils.murmur2`: a keyed record goes to
// `toPositive(murmur2(keyBytes)) % numPartitions`, exactly as the Java client does, so seqlog and Java
// producers agree on where a key lives. Records without a key stick to one partition until about `batch.size`
// bytes went to it, then move to another at random (the uniform-sticky part of KIP-794, without the adaptive
// load weighting).

/** Kafka's `Utils.murmur2` (seed 0x9747b28c), returning a signed int32 like Java. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length4 * 4;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for Int32.MIN). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** `BuiltInPartitioner.partitionForKey`. */
export function partitionForKey(keyBytes: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(keyBytes)) % numPartitions;
}

interface StickyState {
  partition: number;
  bytes: number;
}

export class DefaultPartitioner {
  private readonly sticky = new Map<string, StickyState>();

  constructor(private readonly stickyBytes: number) {}

  /**
   * The partition for a record. `available` lists partitions with a known leader; when empty every partition is
   * a candidate (`BuiltInPartitioner.nextPartition`).
   */
  partition(topic: string, keyBytes: Uint8Array | null, numPartitions: number, available: readonly number[]): number {
    if (keyBytes !== null) return partitionForKey(keyBytes, numPartitions);
    let state = this.sticky.get(topic);
    if (state === undefined || state.partition >= numPartitions) {
      state = { partition: this.pick(numPartitions, available, -1), bytes: 0 };
      this.sticky.set(topic, state);
    }
    return state.partition;
  }

  /** Counts bytes appended to the sticky partition and switches once a batch worth went there. */
  onAppend(topic: string, partition: number, bytes: number, numPartitions: number, available: readonly number[]): void {
    const state = this.sticky.get(topic);
    if (state === undefined || state.partition !== partition) return;
    state.bytes += bytes;
    if (state.bytes >= this.stickyBytes) {
      state.partition = this.pick(numPartitions, available, state.partition);
      state.bytes = 0;
    }
  }

  private pick(numPartitions: number, available: readonly number[], avoid: number): number {
    const candidates = available.length > 0 ? available : null;
    const count = candidates === null ? numPartitions : candidates.length;
    if (count <= 1) return candidates === null ? 0 : candidates[0];
    let choice = Math.floor(Math.random() * count);
    let partition = candidates === null ? choice : candidates[choice];
    if (partition === avoid) {
      choice = (choice + 1) % count;
      partition = candidates === null ? choice : candidates[choice];
    }
    return partition;
  }
}
