// The producer-side history of a run, in Jepsen's history form of invoke/complete pairs:
// one `invoke` per send attempt handed to the client, then exactly one completion for it — `ok` with the acked
// partition and offset, `fail` for a definite error (the broker guarantees nothing was applied), `info` for an
// indefinite one (timeout, disconnect with the request in flight). Nemesis events record the faults.
//
// Concurrent sends from one producer are normal, so a completion names its invocation (`op`) instead of relying
// on Jepsen's one-op-per-process pairing. Offsets are decimal strings so that a history is plain JSON Lines.
import { writeFileSync } from 'node:fs';

export const EventType = { invoke: 'invoke', ok: 'ok', fail: 'fail', info: 'info' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export interface HistoryError {
  /** Kafka error code, or a client error code/name when there is none. */
  readonly code: number | string | null;
  readonly name: string;
  /** True only when the broker guarantees the write was not applied. */
  readonly definite: boolean;
  readonly message?: string;
}

export interface SendEvent {
  readonly i: number;
  /** Monotonic milliseconds since the history started. */
  readonly time: number;
  readonly f: 'send';
  readonly type: EventType;
  /** The op this event belongs to: the index `i` of its invoke event. */
  readonly op: number;
  /** The logical writer (one producer instance). */
  readonly process: string;
  readonly topic: string;
  /** Unique per topic: links every stored record to its writer without trusting offsets. */
  readonly value: string;
  /** Requested at invoke (when the writer picks it), acknowledged at ok. */
  readonly partition?: number;
  /** ok only: the acked offset. */
  readonly offset?: string;
  /** The producer session as the client knows it, when it tells. */
  readonly producerId?: string;
  readonly producerEpoch?: number;
  readonly error?: HistoryError;
}

export interface NemesisEvent {
  readonly i: number;
  readonly time: number;
  readonly f: 'nemesis';
  readonly type: 'info';
  /** What was done: `crash`, `restart`, `disconnect`, `lost-ack`, ... */
  readonly fault: string;
  readonly detail?: string;
}

export type HistoryEvent = SendEvent | NemesisEvent;

/** A producer session: the client's `Producer.producerIdAndEpoch`, or Kafka's wire field names. */
export type ProducerSession =
  | { readonly producerId: bigint; readonly epoch: number }
  | { readonly producerId: bigint; readonly producerEpoch: number };

export class History {
  readonly events: HistoryEvent[] = [];
  private readonly start = performance.now();
  private readonly invokes = new Map<number, SendEvent>();

  private now(): number {
    return Math.round((performance.now() - this.start) * 1000) / 1000;
  }

  /** Records a send attempt; returns its op id for the completion. */
  invokeSend(process: string, topic: string, value: string, partition?: number): number {
    const i = this.events.length;
    const event: SendEvent = { i, time: this.now(), f: 'send', type: EventType.invoke, op: i, process, topic, value, ...(partition === undefined ? {} : { partition }) };
    this.events.push(event);
    this.invokes.set(i, event);
    return i;
  }

  /**
   * `offset` null (or negative) when the client acked without one (e.g. a DUPLICATE_SEQUENCE_NUMBER answer).
   * `session` takes the client's `producer.producerIdAndEpoch` as it is (`{ producerId, epoch }`), or the wire
   * form `{ producerId, producerEpoch }` that the history itself records.
   */
  ok(op: number, partition: number, offset: bigint | null, session?: ProducerSession | null): void {
    const epoch = session === undefined || session === null ? undefined : 'epoch' in session ? session.epoch : session.producerEpoch;
    this.complete(op, EventType.ok, {
      partition,
      ...(offset === null || offset < 0n ? {} : { offset: offset.toString() }),
      ...(session === undefined || session === null ? {} : { producerId: session.producerId.toString(), producerEpoch: epoch }),
    });
  }

  /** A definite failure: nothing was written. */
  fail(op: number, error: Omit<HistoryError, 'definite'>): void {
    this.complete(op, EventType.fail, { error: { ...error, definite: true } });
  }

  /** An indefinite outcome: the write may or may not have happened. */
  info(op: number, error: Omit<HistoryError, 'definite'>): void {
    this.complete(op, EventType.info, { error: { ...error, definite: false } });
  }

  nemesis(fault: string, detail?: string): void {
    this.events.push({ i: this.events.length, time: this.now(), f: 'nemesis', type: 'info', fault, ...(detail === undefined ? {} : { detail }) });
  }

  private complete(op: number, type: EventType, fields: Partial<SendEvent>): void {
    const invoke = this.invokes.get(op);
    if (invoke === undefined) throw new Error(`no open invoke with op ${op}`);
    this.invokes.delete(op);
    this.events.push({ ...invoke, ...fields, i: this.events.length, time: this.now(), type, op });
  }

  /** Invocations with no completion yet (the client never answered): indefinite by definition. */
  get openOps(): number {
    return this.invokes.size;
  }

  toJsonLines(): string {
    return this.events.map((event) => JSON.stringify(event)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }

  writeTo(path: string): void {
    writeFileSync(path, this.toJsonLines());
  }

  static parseJsonLines(text: string): HistoryEvent[] {
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as HistoryEvent);
  }
}
