// The history of a transactional workload, in the invoke/complete form of `History`, with transactions as first-
// class operations: a transaction begins, sends records (each one an invoke and a completion), may send consumer
// offsets, and ends with a commit or an abort whose outcome is definite (ok, or a failure that guarantees the
// opposite) or indeterminate (the client cannot tell: a lost EndTxn answer, a killed process). Reads are recorded
// as the consumer returned them: one event per poll, with offsets and the isolation level. A consume-transform-
// produce run also records its input records, and each output send names the inputs it derives from.
//
// Values must be unique per topic (e.g. the input's id plus the attempt): the checker links every record it reads
// to the one send that wrote it.
import { writeFileSync } from 'node:fs';

export interface TxnRecordRef {
  readonly topic: string;
  readonly partition: number;
  /** Decimal string (a bigint does not fit JSON). */
  readonly offset: string;
  readonly value: string;
}

export interface InputRef {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface OffsetRef {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume, as committed. */
  readonly offset: string;
}

export type Outcome = 'invoke' | 'ok' | 'fail' | 'info';

interface Base {
  readonly i: number;
  /** Monotonic milliseconds since the history started. */
  readonly time: number;
}

export type TxnHistoryEvent =
  | (Base & { readonly f: 'begin'; readonly txn: string; readonly process: string })
  | (Base & {
      readonly f: 'send';
      readonly type: Outcome;
      readonly op: number;
      /** null for a send outside any transaction (an idempotent or plain producer). */
      readonly txn: string | null;
      readonly process: string;
      readonly topic: string;
      readonly partition?: number;
      readonly value: string;
      readonly offset?: string;
      readonly inputs?: readonly InputRef[];
      readonly error?: string;
    })
  | (Base & { readonly f: 'send-offsets'; readonly txn: string; readonly groupId: string; readonly offsets: readonly OffsetRef[] })
  | (Base & { readonly f: 'commit' | 'abort'; readonly type: Outcome; readonly txn: string; readonly error?: string })
  | (Base & { readonly f: 'read'; readonly process: string; readonly isolation: 'read_committed' | 'read_uncommitted'; readonly records: readonly TxnRecordRef[] })
  | (Base & { readonly f: 'input'; readonly records: readonly TxnRecordRef[] })
  | (Base & { readonly f: 'offset-commit'; readonly type: Outcome; readonly process: string; readonly groupId: string; readonly offsets: readonly OffsetRef[] })
  | (Base & { readonly f: 'nemesis'; readonly fault: string; readonly detail?: string });

type Omitted<T> = T extends unknown ? Omit<T, 'i' | 'time'> : never;

export class TransactionalHistory {
  readonly events: TxnHistoryEvent[] = [];
  private readonly start = performance.now();
  private readonly sends = new Map<number, Extract<TxnHistoryEvent, { f: 'send' }>>();
  private transactions = 0;

  private push(event: Omitted<TxnHistoryEvent>): number {
    const i = this.events.length;
    this.events.push({ ...event, i, time: Math.round((performance.now() - this.start) * 1000) / 1000 } as TxnHistoryEvent);
    return i;
  }

  /** Opens a transaction of `process`; returns its id (`<process>#<n>`), unique within the history. */
  begin(process: string): string {
    const txn = `${process}#${++this.transactions}`;
    this.push({ f: 'begin', txn, process });
    return txn;
  }

  /** A send attempt (in `txn`, or outside transactions with null); returns the op for its completion. */
  invokeSend(txn: string | null, process: string, record: { topic: string; value: string; partition?: number; inputs?: readonly InputRef[] }): number {
    const op = this.events.length;
    this.push({ f: 'send', type: 'invoke', op, txn, process, topic: record.topic, value: record.value, ...(record.partition === undefined ? {} : { partition: record.partition }), ...(record.inputs === undefined ? {} : { inputs: record.inputs }) });
    this.sends.set(op, this.events[op] as Extract<TxnHistoryEvent, { f: 'send' }>);
    return op;
  }

  sendOk(op: number, partition: number, offset: bigint): void {
    this.completeSend(op, 'ok', { partition, offset: offset.toString() });
  }

  /** `definite`: the broker guarantees nothing was written (otherwise the outcome is unknown). */
  sendFailed(op: number, error: unknown, definite: boolean): void {
    this.completeSend(op, definite ? 'fail' : 'info', { error: describe(error) });
  }

  private completeSend(op: number, type: Outcome, fields: { partition?: number; offset?: string; error?: string }): void {
    const invoke = this.sends.get(op);
    if (invoke === undefined) throw new Error(`no open send with op ${op}`);
    this.sends.delete(op);
    this.push({ ...invoke, ...fields, type });
  }

  sendOffsets(txn: string, groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): void {
    this.push({ f: 'send-offsets', txn, groupId, offsets: offsets.map(toOffsetRef) });
  }

  invokeCommit(txn: string): void {
    this.push({ f: 'commit', type: 'invoke', txn });
  }

  commitOk(txn: string): void {
    this.push({ f: 'commit', type: 'ok', txn });
  }

  /** `definite`: the transaction is known to be aborted (Kafka aborts it); otherwise it may have committed. */
  commitFailed(txn: string, error: unknown, definite: boolean): void {
    this.push({ f: 'commit', type: definite ? 'fail' : 'info', txn, error: describe(error) });
  }

  invokeAbort(txn: string): void {
    this.push({ f: 'abort', type: 'invoke', txn });
  }

  abortOk(txn: string): void {
    this.push({ f: 'abort', type: 'ok', txn });
  }

  /** An abort whose outcome is unknown. */
  abortFailed(txn: string, error: unknown): void {
    this.push({ f: 'abort', type: 'info', txn, error: describe(error) });
  }

  /** One poll's records, as the consumer returned them. */
  read(process: string, isolation: 'read_committed' | 'read_uncommitted', records: readonly { topic: string; partition: number; offset: bigint; value: string | null }[]): void {
    this.push({ f: 'read', process, isolation, records: records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset.toString(), value: r.value ?? '' })) });
  }

  /** The input records of a consume-transform-produce run. */
  inputs(records: readonly { topic: string; partition: number; offset: bigint; value: string | null }[]): void {
    this.push({ f: 'input', records: records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset.toString(), value: r.value ?? '' })) });
  }

  /** A consumer offset commit outside any transaction (the at-least-once pattern). */
  offsetCommit(process: string, groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[], type: Outcome = 'ok'): void {
    this.push({ f: 'offset-commit', type, process, groupId, offsets: offsets.map(toOffsetRef) });
  }

  nemesis(fault: string, detail?: string): void {
    this.push({ f: 'nemesis', fault, ...(detail === undefined ? {} : { detail }) });
  }

  toJsonLines(): string {
    return this.events.map((event) => JSON.stringify(event)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }

  writeTo(path: string): void {
    writeFileSync(path, this.toJsonLines());
  }

  static parseJsonLines(text: string): TxnHistoryEvent[] {
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as TxnHistoryEvent);
  }
}

function toOffsetRef(offset: { topic: string; partition: number; offset: bigint }): OffsetRef {
  return { topic: offset.topic, partition: offset.partition, offset: offset.offset.toString() };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const name = (error as { errorName?: string }).errorName ?? error.name;
    return `${name}: ${error.message}`;
  }
  return String(error);
}
