// Turns one partition's Fetch answer into the records an application may see, as Kafka's `CompletedFetch` does.
// With read_committed: the aborted transactions of the answer go into a min-heap by first
// offset; before each batch of a producer, every aborted transaction that starts at or before the batch's last
// offset moves into the set of aborted producer ids; an ABORT marker takes its producer out of the set again; a
// transactional batch whose producer is in the set is skipped whole. Control batches are never returned. Batches
// (or records) before the fetch offset are skipped: the broker returns whole batches.
//
// `nextFetchOffset` is where the next fetch starts: past the last batch read, whether it was delivered, skipped as
// aborted, a control batch, or emptied by compaction. With read_committed it never passes the answer's last stable
// offset: a batch at or above it (which a broker should not return) is left for a later fetch.
import {
  batchSpans,
  ControlRecordType,
  decodeBatchRecords,
  readBatchHeader,
  readBatchInfo,
  parseControlRecordKey,
  TimestampType,
  type RecordBatchInfo,
} from '../../protocol/records/index.ts';
import { ConsumerRecord } from './consumer-record.ts';

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

export interface PartitionFetchInput {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly records: Buffer | null;
  /** null or empty for read_uncommitted. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  readonly readCommitted: boolean;
  /** -1 when the broker does not report one (Fetch < v4). */
  readonly lastStableOffset: bigint;
  /** Verify each batch's CRC-32C (`check.crcs`, default true). */
  readonly checkCrcs?: boolean;
}

export interface PartitionFetchResult {
  readonly records: ConsumerRecord[];
  readonly nextFetchOffset: bigint;
  /** Batches skipped because their transaction aborted (for tests and metrics). */
  readonly abortedBatchesSkipped: number;
}

/** A small binary min-heap by first offset (Kafka uses a PriorityQueue). */
class AbortedHeap {
  private readonly items: AbortedTransaction[] = [];

  constructor(entries: readonly AbortedTransaction[]) {
    for (const entry of entries) this.push(entry);
  }

  get size(): number {
    return this.items.length;
  }

  peek(): AbortedTransaction | undefined {
    return this.items[0];
  }

  push(entry: AbortedTransaction): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].firstOffset <= items[i].firstOffset) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): AbortedTransaction | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left].firstOffset < items[smallest].firstOffset) smallest = left;
        if (right < items.length && items[right].firstOffset < items[smallest].firstOffset) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i], items[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}

function isAbortMarker(buf: Buffer, at: number, batch: RecordBatchInfo): boolean {
  const keys = decodeBatchRecords(buf, at, batch, {}, (_offset, _delta, _timestamp, _sequence, key) => key);
  if (keys.length === 0) return false;
  try {
    return parseControlRecordKey(keys[0]).type === ControlRecordType.abort;
  } catch {
    return false;
  }
}

/**
 * Where the next fetch starts once this answer is read: the same walk as `readPartitionFetch` makes, over the
 * batch headers only (no decompression, no CRC), so the fetcher can fetch ahead before the records are decoded.
 */
export function fetchEndOffset(records: Buffer, fetchOffset: bigint, lastStableOffset: bigint): bigint {
  let next = fetchOffset;
  for (const { buf, at } of batchSpans(records)) {
    const header = readBatchHeader(buf, at);
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (lastOffset < next) continue;
    if (lastStableOffset >= 0n && header.baseOffset >= lastStableOffset) break;
    next = lastOffset + 1n;
  }
  return next;
}

export function readPartitionFetch(input: PartitionFetchInput): PartitionFetchResult {
  const records: ConsumerRecord[] = [];
  let nextFetchOffset = input.fetchOffset;
  let abortedBatchesSkipped = 0;
  if (input.records === null || input.records.length === 0) return { records, nextFetchOffset, abortedBatchesSkipped };
  const heap = input.readCommitted && input.abortedTransactions !== null ? new AbortedHeap(input.abortedTransactions) : null;
  const abortedProducerIds = new Set<bigint>();
  const stableLimit = input.readCommitted && input.lastStableOffset >= 0n ? input.lastStableOffset : -1n;

  const decodeOptions = { verifyCrc: input.checkCrcs !== false };
  for (const { buf, at, size } of batchSpans(input.records)) {
    const batch = readBatchInfo(buf, at, size, decodeOptions);
    if (batch.lastOffset < nextFetchOffset) continue;
    if (stableLimit >= 0n && batch.baseOffset >= stableLimit) break;
    if (heap !== null && batch.producerId >= 0n) {
      // CompletedFetch.consumeAbortedTransactionsUpTo
      while (heap.size > 0 && (heap.peek() as AbortedTransaction).firstOffset <= batch.lastOffset) {
        abortedProducerIds.add((heap.pop() as AbortedTransaction).producerId);
      }
      if (batch.isControl) {
        if (isAbortMarker(buf, at, batch)) abortedProducerIds.delete(batch.producerId);
      } else if (batch.isTransactional && abortedProducerIds.has(batch.producerId)) {
        // Skipped whole, records never decoded.
        abortedBatchesSkipped++;
        nextFetchOffset = batch.lastOffset + 1n;
        continue;
      }
    }
    if (!batch.isControl) {
      const timestampType = batch.timestampType === TimestampType.logAppendTime ? 'LogAppendTime' : 'CreateTime';
      const info = { producerId: batch.producerId, producerEpoch: batch.producerEpoch, isTransactional: batch.isTransactional, compression: batch.compression };
      const { topic, partition } = input;
      const epoch = batch.partitionLeaderEpoch;
      const first = records.length;
      decodeBatchRecords(buf, at, batch, {}, (offset, _delta, timestamp, sequence, key, value, headers) =>
        new ConsumerRecord(topic, partition, offset, timestamp, timestampType, key, value, headers, epoch, sequence, info), records);
      // Only a batch that starts before the fetch offset (the broker returns whole batches) holds records to drop.
      if (batch.baseOffset < nextFetchOffset) {
        let keep = first;
        while (keep < records.length && records[keep].offset < nextFetchOffset) keep++;
        records.splice(first, keep - first);
      }
    }
    nextFetchOffset = batch.lastOffset + 1n;
  }
  return { records, nextFetchOffset, abortedBatchesSkipped };
}
