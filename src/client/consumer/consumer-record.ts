// What the consumer hands to applications: keys, values and header values stay bytes (views into the fetched
// response, no copy), offsets and timestamps are bigint. The decode helpers are methods on the prototype, so a
// record costs one object, not one closure per helper.
//
// JSON form (`toJSON`, used by JSON.stringify): offsets and timestamps as decimal strings (a bigint does not fit a
// JSON number), bytes as base64 strings or null:
//   { "topic": "t", "partition": 0, "offset": "42", "timestamp": "1700000000000", "timestampType": "CreateTime",
//     "key": "a2V5" | null, "value": "dmFsdWU=" | null, "headers": [{ "key": "h", "value": "dg==" | null }],
//     "leaderEpoch": 0 }
import type { DecodedRecordHeader } from '../../protocol/records/index.ts';

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';

/** What a record's batch says about who wrote it (one object per batch, shared by its records). */
export interface RecordBatchInfo {
  /** -1 for a producer that is neither idempotent nor transactional. */
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly isTransactional: boolean;
  /** The batch's codec id: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  readonly compression: number;
}

export interface ConsumerRecordJson {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  timestampType: TimestampTypeName;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
  leaderEpoch: number;
}

const NO_BATCH_INFO: RecordBatchInfo = Object.freeze({ producerId: -1n, producerEpoch: -1, isTransactional: false, compression: 0 });

export class ConsumerRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly timestamp: bigint,
    readonly timestampType: TimestampTypeName,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: readonly DecodedRecordHeader[],
    /** The partition leader epoch of the batch (-1 when unknown). */
    readonly leaderEpoch: number,
    /** The producer's sequence number of this record (-1 without idempotence). */
    readonly sequence: number = -1,
    readonly batch: RecordBatchInfo = NO_BATCH_INFO,
  ) {}

  /** The key as UTF-8 text, or null. */
  keyString(): string | null {
    return this.key === null ? null : this.key.toString('utf8');
  }

  /** The value as UTF-8 text, or null. */
  valueString(): string | null {
    return this.value === null ? null : this.value.toString('utf8');
  }

  /** The value parsed as JSON, or null for a null value (tombstone). */
  valueJson<T = unknown>(): T | null {
    return this.value === null ? null : (JSON.parse(this.value.toString('utf8')) as T);
  }

  /** The last header called `name` (Kafka's `Headers.lastHeader`), as bytes; undefined when absent. */
  header(name: string): Buffer | null | undefined {
    for (let i = this.headers.length - 1; i >= 0; i--) if (this.headers[i].key === name) return this.headers[i].value;
    return undefined;
  }

  /** The last header called `name` as UTF-8 text; undefined when absent. */
  headerString(name: string): string | null | undefined {
    const value = this.header(name);
    return value === undefined || value === null ? value : value.toString('utf8');
  }

  /** Copies key, value and headers out of the fetch response, so that keeping the record does not pin it. */
  detach(): ConsumerRecord {
    const copy = (bytes: Buffer | null): Buffer | null => (bytes === null ? null : Buffer.from(bytes));
    return new ConsumerRecord(this.topic, this.partition, this.offset, this.timestamp, this.timestampType, copy(this.key), copy(this.value),
      this.headers.map((header) => ({ key: header.key, value: copy(header.value) })), this.leaderEpoch, this.sequence, this.batch);
  }

  toJSON(): ConsumerRecordJson {
    const base64 = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('base64'));
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset.toString(),
      timestamp: this.timestamp.toString(),
      timestampType: this.timestampType,
      key: base64(this.key),
      value: base64(this.value),
      headers: this.headers.map((header) => ({ key: header.key, value: base64(header.value) })),
      leaderEpoch: this.leaderEpoch,
    };
  }
}

/** One partition's records from one fetch, in offset order (what `eachBatch` receives). */
export interface ConsumerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumerRecord[];
  /** The high watermark the fetch reported. */
  readonly highWatermark: bigint;
  /** The last stable offset the fetch reported (-1 when the broker did not say). */
  readonly lastStableOffset: bigint;
  /** Where the next fetch of the partition starts (past any aborted or control batches after the records). */
  readonly nextOffset: bigint;
}
