// The checker for transactional histories (`TransactionalHistory`), after Jepsen's Kafka analyses. Inputs: the
// history, a final read_committed read of every output topic (through the consumer), and, for a consume-transform-
// produce run, the group's final committed offsets. Every anomaly names the records and transactions involved.
//
//   ABORTED_READ         a record of an aborted transaction was returned to a read_committed reader
//   PARTIAL_TRANSACTION  some records of a transaction are visible and others are not (atomicity)
//   READ_BEFORE_COMMIT   a read_committed reader saw a record before its transaction's commit was even asked for
//   LOST_WRITE           a record of a committed transaction is not visible
//   DUPLICATE            one send's value is visible more than once
//   ORDER                records one transaction (or one producer outside transactions) sent to a partition are
//                        visible out of send order, or a poll returned a partition's offsets out of order
//   UNKNOWN_RECORD       a visible record that no send of the history wrote
//   OUTPUT_MISSING       (consume-transform-produce) an input record has no visible output
//   OUTPUT_DUPLICATED    an input record has two or more visible outputs
//   OFFSET_OUTPUT_DISAGREE  the group's committed offset says an input was consumed but no output is visible, or
//                        an output is visible for an input the offsets say is not consumed yet
import type { LogScan } from './log-reader.ts';
import type { InputRef, TxnHistoryEvent, TxnRecordRef } from './txn-history.ts';

export const TxnAnomalyKind = {
  abortedRead: 'ABORTED_READ',
  partialTransaction: 'PARTIAL_TRANSACTION',
  readBeforeCommit: 'READ_BEFORE_COMMIT',
  lostWrite: 'LOST_WRITE',
  duplicate: 'DUPLICATE',
  order: 'ORDER',
  unknownRecord: 'UNKNOWN_RECORD',
  outputMissing: 'OUTPUT_MISSING',
  outputDuplicated: 'OUTPUT_DUPLICATED',
  offsetOutputDisagree: 'OFFSET_OUTPUT_DISAGREE',
} as const;
export type TxnAnomalyKind = (typeof TxnAnomalyKind)[keyof typeof TxnAnomalyKind];

export interface TxnAnomaly {
  readonly kind: TxnAnomalyKind;
  readonly detail: string;
  readonly records: readonly (Partial<TxnRecordRef> & { topic: string })[];
  readonly transactions: readonly string[];
}

export type TxnStatus = 'committed' | 'aborted' | 'indeterminate';

export interface TxnCheckOptions {
  /** read_committed reads of each output topic at the end of the run, when nothing is in flight. */
  readonly finalReads: readonly { readonly topic: string; readonly scan: LogScan }[];
  /** The consumer group's committed offsets at the end (consume-transform-produce runs). */
  readonly committedOffsets?: readonly { topic: string; partition: number; offset: bigint }[];
  /** The run processed every input: an input without output is then OUTPUT_MISSING. Default true. */
  readonly complete?: boolean;
  /** At-least-once runs: DUPLICATE and OUTPUT_DUPLICATED are expected there, so they do not make the run invalid. */
  readonly duplicatesExpected?: boolean;
  /** Examples kept per kind (counts are always complete). Default 20. */
  readonly maxExamples?: number;
}

export interface TxnCheckCounts {
  readonly transactions: Readonly<Record<TxnStatus, number>>;
  readonly sends: number;
  readonly visible: number;
  readonly inputs: number;
  /** Inputs with exactly one visible output. */
  readonly inputsExactlyOnce: number;
  /** Inputs with two or more visible outputs. */
  readonly inputsDuplicated: number;
  /** Inputs with no visible output. */
  readonly inputsMissing: number;
  /** Visible records of aborted transactions. */
  readonly abortedVisible: number;
}

export interface TxnCheckResult {
  /** No anomaly (apart from expected duplicates). */
  readonly valid: boolean;
  readonly anomalyCounts: Readonly<Partial<Record<TxnAnomalyKind, number>>>;
  /** Up to `maxExamples` per kind. */
  readonly anomalies: readonly TxnAnomaly[];
  readonly counts: TxnCheckCounts;
}

type SendEvent = Extract<TxnHistoryEvent, { f: 'send' }>;

interface TxnInfo {
  readonly id: string;
  status: TxnStatus;
  commitInvokedAt: number | null;
  /** Sends that may have been written (every send but a definite failure), by invoke op. */
  readonly sends: SendEvent[];
}

const inputKey = (ref: { topic: string; partition: number; offset: string }): string => `${ref.topic}\u0000${ref.partition}\u0000${ref.offset}`;
const valueKey = (topic: string, value: string): string => `${topic}\u0000${value}`;

export function checkTransactions(events: readonly TxnHistoryEvent[], options: TxnCheckOptions): TxnCheckResult {
  const maxExamples = options.maxExamples ?? 20;
  const anomalies: TxnAnomaly[] = [];
  const anomalyCounts: Partial<Record<TxnAnomalyKind, number>> = {};
  const report = (anomaly: TxnAnomaly): void => {
    const count = (anomalyCounts[anomaly.kind] ?? 0) + 1;
    anomalyCounts[anomaly.kind] = count;
    if (count <= maxExamples) anomalies.push(anomaly);
  };

  // ---- what was sent, in which transaction, with what outcome ------------------------------------------------
  const txns = new Map<string, TxnInfo>();
  const lastSend = new Map<number, SendEvent>();
  const inputs: TxnRecordRef[] = [];
  for (const event of events) {
    switch (event.f) {
      case 'begin':
        txns.set(event.txn, { id: event.txn, status: 'indeterminate', commitInvokedAt: null, sends: [] });
        break;
      case 'send':
        lastSend.set(event.op, event);
        break;
      case 'commit': {
        const txn = txns.get(event.txn);
        if (txn === undefined) break;
        if (event.type === 'invoke') txn.commitInvokedAt ??= event.time;
        else if (event.type === 'ok') txn.status = 'committed';
        else if (event.type === 'fail') txn.status = 'aborted';
        break;
      }
      case 'abort': {
        const txn = txns.get(event.txn);
        if (txn !== undefined && event.type === 'ok' && txn.status !== 'committed') txn.status = 'aborted';
        break;
      }
      case 'input':
        inputs.push(...event.records);
        break;
      default:
        break;
    }
  }
  const sendByValue = new Map<string, SendEvent>();
  for (const send of [...lastSend.values()].sort((a, b) => a.op - b.op)) {
    sendByValue.set(valueKey(send.topic, send.value), send);
    if (send.txn !== null && send.type !== 'fail') txns.get(send.txn)?.sends.push(send);
  }
  const txnOf = (send: SendEvent | undefined): TxnInfo | undefined => (send?.txn === null || send === undefined ? undefined : txns.get(send.txn));

  // ---- the final read_committed state --------------------------------------------------------------------------
  const visibleCount = new Map<string, number>();
  const visibleAt = new Map<string, TxnRecordRef>();
  let visible = 0;
  let abortedVisible = 0;
  for (const { topic, scan } of options.finalReads) {
    for (const [partition, records] of scan) {
      const lastIndex = new Map<string, { op: number; offset: bigint }>();
      for (const record of records) {
        visible++;
        const value = record.value ?? '';
        const ref: TxnRecordRef = { topic, partition, offset: record.offset.toString(), value };
        const key = valueKey(topic, value);
        const seen = (visibleCount.get(key) ?? 0) + 1;
        visibleCount.set(key, seen);
        if (seen === 1) visibleAt.set(key, ref);
        else report({ kind: TxnAnomalyKind.duplicate, detail: `${value} is visible ${seen} times (first at offset ${visibleAt.get(key)?.offset})`, records: [visibleAt.get(key) as TxnRecordRef, ref], transactions: [] });
        const send = sendByValue.get(key);
        if (send === undefined) {
          report({ kind: TxnAnomalyKind.unknownRecord, detail: `no send wrote ${value}`, records: [ref], transactions: [] });
          continue;
        }
        const txn = txnOf(send);
        if (txn?.status === 'aborted') {
          abortedVisible++;
          report({ kind: TxnAnomalyKind.abortedRead, detail: `${value} belongs to aborted transaction ${txn.id} and is visible to read_committed`, records: [ref], transactions: [txn.id] });
        }
        // Send order within one writer's stream on this partition (a transaction, or a producer outside them).
        const stream = send.txn ?? `process:${send.process}`;
        const previous = lastIndex.get(stream);
        if (previous !== undefined && previous.op > send.op) {
          report({ kind: TxnAnomalyKind.order, detail: `${stream}: ${value} (sent earlier) is stored after a record sent later (offset ${previous.offset})`, records: [ref], transactions: send.txn === null ? [] : [send.txn] });
        }
        lastIndex.set(stream, { op: send.op, offset: record.offset });
      }
    }
  }
  const finalTopics = new Set(options.finalReads.map((read) => read.topic));

  // ---- atomicity and durability per transaction ----------------------------------------------------------------
  const statusCounts: Record<TxnStatus, number> = { committed: 0, aborted: 0, indeterminate: 0 };
  for (const txn of txns.values()) {
    statusCounts[txn.status]++;
    const judged = txn.sends.filter((send) => finalTopics.has(send.topic));
    if (judged.length === 0) continue;
    const shown = judged.filter((send) => visibleCount.has(valueKey(send.topic, send.value)));
    const hidden = judged.filter((send) => !visibleCount.has(valueKey(send.topic, send.value)));
    const refs = (sends: readonly SendEvent[]) => sends.slice(0, 5).map((s) => ({ topic: s.topic, value: s.value, ...(s.partition === undefined ? {} : { partition: s.partition }), ...(s.offset === undefined ? {} : { offset: s.offset }) }));
    if (shown.length > 0 && hidden.length > 0) {
      report({ kind: TxnAnomalyKind.partialTransaction, detail: `${txn.id} (${txn.status}): ${shown.length} of ${judged.length} records visible`, records: [...refs(shown.slice(0, 2)), ...refs(hidden)], transactions: [txn.id] });
    }
    if (txn.status === 'committed') {
      for (const send of hidden) report({ kind: TxnAnomalyKind.lostWrite, detail: `${send.value} of committed transaction ${txn.id} is not visible`, records: refs([send]), transactions: [txn.id] });
    }
  }

  // ---- what readers saw while the run went on ----------------------------------------------------------------
  for (const event of events) {
    if (event.f !== 'read') continue;
    const lastOffset = new Map<string, bigint>();
    for (const ref of event.records) {
      const tp = `${ref.topic}-${ref.partition}`;
      const offset = BigInt(ref.offset);
      const before = lastOffset.get(tp);
      if (before !== undefined && offset <= before) report({ kind: TxnAnomalyKind.order, detail: `${event.process} polled ${tp} offset ${offset} after ${before}`, records: [ref], transactions: [] });
      lastOffset.set(tp, offset);
      if (event.isolation !== 'read_committed') continue;
      const txn = txnOf(sendByValue.get(valueKey(ref.topic, ref.value)));
      if (txn === undefined) continue;
      if (txn.status === 'aborted') {
        report({ kind: TxnAnomalyKind.abortedRead, detail: `${event.process} read ${ref.value} of aborted transaction ${txn.id} with read_committed`, records: [ref], transactions: [txn.id] });
      } else if (txn.commitInvokedAt === null || txn.commitInvokedAt > event.time) {
        report({ kind: TxnAnomalyKind.readBeforeCommit, detail: `${event.process} read ${ref.value} at ${event.time} ms, before ${txn.id}'s commit was invoked${txn.commitInvokedAt === null ? ' (never)' : ` (at ${txn.commitInvokedAt} ms)`}`, records: [ref], transactions: [txn.id] });
      }
    }
  }

  // ---- consume-transform-produce: each input's outputs and the committed offsets ---------------------------------
  let inputsExactlyOnce = 0;
  let inputsDuplicated = 0;
  let inputsMissing = 0;
  if (inputs.length > 0) {
    const outputsOf = new Map<string, { ref: TxnRecordRef; txn: string | null }[]>();
    for (const [key, ref] of visibleAt) {
      const send = sendByValue.get(key);
      for (const input of send?.inputs ?? []) {
        const list = outputsOf.get(inputKey(input)) ?? [];
        for (let n = visibleCount.get(key) ?? 0; n > 0; n--) list.push({ ref, txn: send?.txn ?? null });
        outputsOf.set(inputKey(input), list);
      }
    }
    const committed = new Map((options.committedOffsets ?? []).map((c) => [`${c.topic}-${c.partition}`, c.offset]));
    for (const input of inputs) {
      const outputs = outputsOf.get(inputKey(input as InputRef)) ?? [];
      const transactions = outputs.flatMap((o) => (o.txn === null ? [] : [o.txn]));
      if (outputs.length === 1) inputsExactlyOnce++;
      if (outputs.length === 0) {
        inputsMissing++;
        if (options.complete ?? true) report({ kind: TxnAnomalyKind.outputMissing, detail: `input ${input.topic}-${input.partition}@${input.offset} (${input.value}) has no visible output`, records: [input], transactions: [] });
      } else if (outputs.length > 1) {
        inputsDuplicated++;
        report({ kind: TxnAnomalyKind.outputDuplicated, detail: `input ${input.topic}-${input.partition}@${input.offset} (${input.value}) has ${outputs.length} visible outputs`, records: [input, ...outputs.map((o) => o.ref)], transactions });
      }
      if (options.committedOffsets !== undefined) {
        const consumed = (committed.get(`${input.topic}-${input.partition}`) ?? 0n) > BigInt(input.offset);
        if (consumed !== outputs.length > 0) {
          report({
            kind: TxnAnomalyKind.offsetOutputDisagree,
            detail: consumed ? `the group's offset is past input ${input.topic}-${input.partition}@${input.offset} but it has no output` : `input ${input.topic}-${input.partition}@${input.offset} has an output but the group's offset (${committed.get(`${input.topic}-${input.partition}`) ?? 'none'}) says it is not consumed`,
            records: [input, ...outputs.map((o) => o.ref)],
            transactions,
          });
        }
      }
    }
  }

  const expected = new Set<TxnAnomalyKind>(options.duplicatesExpected === true ? [TxnAnomalyKind.duplicate, TxnAnomalyKind.outputDuplicated] : []);
  const valid = Object.entries(anomalyCounts).every(([kind, count]) => count === 0 || expected.has(kind as TxnAnomalyKind));
  return {
    valid,
    anomalyCounts,
    anomalies,
    counts: { transactions: statusCounts, sends: lastSend.size, visible, inputs: inputs.length, inputsExactlyOnce, inputsDuplicated, inputsMissing, abortedVisible },
  };
}
