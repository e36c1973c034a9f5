// The history checker for produce workloads (loss, duplication and ordering, as Jepsen's Kafka test analyses
// them, for non-transactional sends). Inputs: the producer-side history and one or more reads of the whole log (observers). Every value is
// unique per topic, so each stored record links back to its writer without trusting offsets.
//
//   INCONSISTENT_OFFSET  two observers (acks, scans) saw different values at one offset
//   DUPLICATE            a value is stored more than once (fatal only when idempotence is on)
//   ACK_MISMATCH         an acked offset does not hold the acked value in the final scan
//   LOST_ACKED           an acked value is missing from the final scan
//   FAILED_VISIBLE       a value whose send failed definitely is stored
//   REORDERED            one writer's records on a partition are stored out of its send order
//   REALTIME_ORDER       A acked before B was sent, both on one partition, yet B is stored before A
//   UNKNOWN_VALUE        a stored record that no writer sent
//
// "Final scan" is the last observer given; earlier scans (e.g. taken before a crash) only feed the offset
// consistency analysis, as Jepsen's polls do.
import type { HistoryEvent, SendEvent } from './history.ts';
import type { LogScan } from './log-reader.ts';

export const AnomalyKind = {
  inconsistentOffset: 'INCONSISTENT_OFFSET',
  duplicate: 'DUPLICATE',
  ackMismatch: 'ACK_MISMATCH',
  lostAcked: 'LOST_ACKED',
  failedVisible: 'FAILED_VISIBLE',
  reordered: 'REORDERED',
  realtimeOrder: 'REALTIME_ORDER',
  unknownValue: 'UNKNOWN_VALUE',
} as const;
export type AnomalyKind = (typeof AnomalyKind)[keyof typeof AnomalyKind];

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly topic: string;
  readonly partition: number;
  readonly offset?: string;
  readonly value?: string;
  readonly detail: string;
}

export interface CheckOptions {
  /** Whether the writers ran with idempotence; without it DUPLICATE and REORDERED are expected, not fatal. */
  readonly idempotent: boolean;
  /** Examples kept per anomaly kind (counts are always complete). Default 20. */
  readonly maxExamples?: number;
  /**
   * Faults injected during the run (e.g. `proxy.stats().totalFaults` plus broker crashes). A run with none tested
   * only the happy path: the result then has `proved: false` and a warning. Leave it out and the checker cannot
   * tell, and says so.
   */
  readonly faultsInjected?: number;
}

export interface Observer {
  readonly name: string;
  readonly topic: string;
  readonly scan: LogScan;
}

export interface CheckCounts {
  /** Send attempts invoked. */
  sent: number;
  acknowledged: number;
  failed: number;
  /** info completions plus invocations never completed. */
  indeterminate: number;
  /** Records of the workload in the final scan, copies included. */
  stored: number;
  /** Extra stored copies (stored minus distinct values stored). */
  duplicates: number;
  lost: number;
  outOfOrder: number;
}

export interface CheckResult {
  /** False when any anomaly fatal in this mode was found. */
  readonly valid: boolean;
  /**
   * True only when the run is valid AND faults were injected: a valid run without faults proves nothing about
   * retries, deduplication or ordering under failure.
   */
  readonly proved: boolean;
  /** `CheckOptions.faultsInjected` as given; null when it was not. */
  readonly faultsInjected: number | null;
  /** Why a valid run may not mean much (no fault injected, fault count unknown, nothing acknowledged). */
  readonly warnings: readonly string[];
  readonly counts: CheckCounts;
  readonly anomalyCounts: Record<AnomalyKind, number>;
  /** The kinds that made the result invalid. */
  readonly fatal: readonly AnomalyKind[];
  readonly anomalies: readonly Anomaly[];
}

const ALWAYS_FATAL: readonly AnomalyKind[] = [
  AnomalyKind.inconsistentOffset,
  AnomalyKind.ackMismatch,
  AnomalyKind.lostAcked,
  AnomalyKind.failedVisible,
  AnomalyKind.realtimeOrder,
  AnomalyKind.unknownValue,
];
/** Without idempotence a retried batch may land twice or after later batches: Kafka allows it. */
const FATAL_WHEN_IDEMPOTENT: readonly AnomalyKind[] = [AnomalyKind.duplicate, AnomalyKind.reordered];

interface Write {
  readonly topic: string;
  readonly value: string;
  readonly process: string;
  /** Position of the invoke among its process's invokes: the send order. */
  readonly invokeIndex: number;
  readonly invokeTime: number;
  outcome: 'ok' | 'fail' | 'info' | 'open';
  ackTime?: number;
  partition?: number;
  ackedOffset?: bigint;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Checks a history against reads of the log. `observers` must hold at least one scan; the last one is the final
 * scan (taken after healing every fault).
 */
export function checkHistory(events: readonly HistoryEvent[], observers: readonly Observer[], options: CheckOptions): CheckResult {
  if (observers.length === 0) throw new Error('checkHistory needs at least one scan of the log');
  const maxExamples = options.maxExamples ?? 20;
  const anomalyCounts = Object.fromEntries(Object.values(AnomalyKind).map((kind) => [kind, 0])) as Record<AnomalyKind, number>;
  const anomalies: Anomaly[] = [];
  const report = (anomaly: Anomaly): void => {
    anomalyCounts[anomaly.kind]++;
    if (anomalyCounts[anomaly.kind] <= maxExamples) anomalies.push(anomaly);
  };

  // writes[topic][value]
  const writes = new Map<string, Map<string, Write>>();
  const invokesPerProcess = new Map<string, number>();
  const byOp = new Map<number, Write>();
  for (const event of events) {
    if (event.f !== 'send') continue;
    const send: SendEvent = event;
    if (send.type === 'invoke') {
      const index = invokesPerProcess.get(send.process) ?? 0;
      invokesPerProcess.set(send.process, index + 1);
      const write: Write = { topic: send.topic, value: send.value, process: send.process, invokeIndex: index, invokeTime: send.time, outcome: 'open' };
      let topicWrites = writes.get(send.topic);
      if (topicWrites === undefined) writes.set(send.topic, (topicWrites = new Map()));
      if (topicWrites.has(send.value)) throw new Error(`value ${send.value} is sent twice on ${send.topic}: values must be unique`);
      topicWrites.set(send.value, write);
      byOp.set(send.op, write);
      continue;
    }
    const write = byOp.get(send.op);
    if (write === undefined) continue;
    write.outcome = send.type;
    if (send.type === 'ok') {
      write.ackTime = send.time;
      write.partition = send.partition;
      write.ackedOffset = send.offset === undefined ? undefined : BigInt(send.offset);
    }
  }

  const counts: CheckCounts = { sent: byOp.size, acknowledged: 0, failed: 0, indeterminate: 0, stored: 0, duplicates: 0, lost: 0, outOfOrder: 0 };
  for (const write of byOp.values()) {
    if (write.outcome === 'ok') counts.acknowledged++;
    else if (write.outcome === 'fail') counts.failed++;
    else counts.indeterminate++;
  }

  // 1. Offset/value consistency: obs[topic/partition][offset] = values seen there, from acks and every scan.
  const observed = new Map<string, Map<bigint, Set<string>>>();
  const observe = (topic: string, partition: number, offset: bigint, value: string): void => {
    const key = partitionKey(topic, partition);
    let offsets = observed.get(key);
    if (offsets === undefined) observed.set(key, (offsets = new Map()));
    let values = offsets.get(offset);
    if (values === undefined) offsets.set(offset, (values = new Set()));
    values.add(value);
  };
  for (const write of byOp.values()) {
    if (write.outcome === 'ok' && write.partition !== undefined && write.ackedOffset !== undefined) observe(write.topic, write.partition, write.ackedOffset, write.value);
  }
  for (const observer of observers) {
    for (const [partition, records] of observer.scan) {
      for (const record of records) observe(observer.topic, partition, record.offset, record.value ?? '<null>');
    }
  }
  for (const [key, offsets] of observed) {
    const [topic, partition] = key.split('\u0000');
    for (const [offset, values] of offsets) {
      if (values.size > 1) {
        report({ kind: AnomalyKind.inconsistentOffset, topic, partition: Number(partition), offset: offset.toString(), detail: `values seen: ${[...values].join(', ')}` });
      }
    }
  }

  // The final scan: where each value is stored (every copy, in offset order).
  const final = observers[observers.length - 1];
  const finalTopics = new Set(observers.filter((o) => o.scan === final.scan).map((o) => o.topic));
  const storedAt = new Map<string, { partition: number; offset: bigint }[]>();
  for (const observer of observers) {
    if (observer.scan !== final.scan) continue;
    const topicWrites = writes.get(observer.topic) ?? new Map<string, Write>();
    for (const [partition, records] of observer.scan) {
      const valueAt = new Map<bigint, string>();
      for (const record of records) {
        const value = record.value ?? '<null>';
        valueAt.set(record.offset, value);
        const write = topicWrites.get(value);
        if (write === undefined) {
          report({ kind: AnomalyKind.unknownValue, topic: observer.topic, partition, offset: record.offset.toString(), value, detail: 'no writer sent this value' });
          continue;
        }
        counts.stored++;
        const key = `${observer.topic}\u0000${value}`;
        let copies = storedAt.get(key);
        if (copies === undefined) storedAt.set(key, (copies = []));
        copies.push({ partition, offset: record.offset });
      }
      // ACK_MISMATCH: every acked offset must hold the acked value.
      for (const write of topicWrites.values()) {
        if (write.outcome !== 'ok' || write.partition !== partition || write.ackedOffset === undefined) continue;
        const there = valueAt.get(write.ackedOffset);
        if (there !== undefined && there !== write.value) {
          report({ kind: AnomalyKind.ackMismatch, topic: observer.topic, partition, offset: write.ackedOffset.toString(), value: write.value, detail: `offset holds ${there}` });
        }
      }
    }
  }

  // DUPLICATE, LOST_ACKED, FAILED_VISIBLE.
  for (const [topic, topicWrites] of writes) {
    if (!finalTopics.has(topic)) continue;
    for (const write of topicWrites.values()) {
      const copies = storedAt.get(`${topic}\u0000${write.value}`) ?? [];
      if (copies.length > 1) {
        counts.duplicates += copies.length - 1;
        report({ kind: AnomalyKind.duplicate, topic, partition: copies[0].partition, value: write.value, detail: `stored ${copies.length} times, at ${copies.map((c) => `${c.partition}/${c.offset}`).join(', ')}` });
      }
      if (write.outcome === 'ok' && copies.length === 0) {
        counts.lost++;
        report({ kind: AnomalyKind.lostAcked, topic, partition: write.partition ?? -1, offset: write.ackedOffset?.toString(), value: write.value, detail: 'acknowledged, not in the log' });
      }
      if (write.outcome === 'fail' && copies.length > 0) {
        report({ kind: AnomalyKind.failedVisible, topic, partition: copies[0].partition, offset: copies[0].offset.toString(), value: write.value, detail: 'the send failed definitely, yet the value is stored' });
      }
    }
  }

  // 5. Order. Per writer and partition, the first stored copies taken in send order must have rising offsets.
  const perWriter = new Map<string, { invokeIndex: number; offset: bigint; value: string; topic: string; partition: number }[]>();
  // Per partition: writes with their first stored offset, for the real-time check.
  const perPartition = new Map<string, { write: Write; offset: bigint }[]>();
  for (const [topic, topicWrites] of writes) {
    if (!finalTopics.has(topic)) continue;
    for (const write of topicWrites.values()) {
      const first = storedAt.get(`${topic}\u0000${write.value}`)?.[0];
      if (first === undefined) continue;
      const writerKey = `${write.process}\u0000${partitionKey(topic, first.partition)}`;
      let list = perWriter.get(writerKey);
      if (list === undefined) perWriter.set(writerKey, (list = []));
      list.push({ invokeIndex: write.invokeIndex, offset: first.offset, value: write.value, topic, partition: first.partition });
      const pKey = partitionKey(topic, first.partition);
      let plist = perPartition.get(pKey);
      if (plist === undefined) perPartition.set(pKey, (plist = []));
      plist.push({ write, offset: first.offset });
    }
  }
  for (const list of perWriter.values()) {
    list.sort((a, b) => a.invokeIndex - b.invokeIndex);
    for (let i = 1; i < list.length; i++) {
      if (list[i].offset <= list[i - 1].offset) {
        counts.outOfOrder++;
        report({
          kind: AnomalyKind.reordered,
          topic: list[i].topic,
          partition: list[i].partition,
          offset: list[i].offset.toString(),
          value: list[i].value,
          detail: `sent after ${list[i - 1].value} (offset ${list[i - 1].offset}) but stored before it`,
        });
      }
    }
  }
  // REALTIME_ORDER: sweep invocations in time order, keeping the highest offset of writes acked before each.
  for (const [key, list] of perPartition) {
    const [topic, partition] = key.split('\u0000');
    const acked = list.filter((e) => e.write.outcome === 'ok' && e.write.ackTime !== undefined).sort((a, b) => (a.write.ackTime ?? 0) - (b.write.ackTime ?? 0));
    const invoked = [...list].sort((a, b) => a.write.invokeTime - b.write.invokeTime);
    let next = 0;
    let highest: { offset: bigint; value: string } | null = null;
    for (const entry of invoked) {
      while (next < acked.length && (acked[next].write.ackTime ?? 0) < entry.write.invokeTime) {
        const candidate = acked[next++];
        if (highest === null || compareBigint(candidate.offset, highest.offset) > 0) highest = { offset: candidate.offset, value: candidate.write.value };
      }
      if (highest !== null && entry.offset < highest.offset) {
        report({
          kind: AnomalyKind.realtimeOrder,
          topic,
          partition: Number(partition),
          offset: entry.offset.toString(),
          value: entry.write.value,
          detail: `sent after ${highest.value} (offset ${highest.offset}) was acknowledged, but stored before it`,
        });
      }
    }
  }

  const fatalKinds = options.idempotent ? [...ALWAYS_FATAL, ...FATAL_WHEN_IDEMPOTENT] : ALWAYS_FATAL;
  const fatal = fatalKinds.filter((kind) => anomalyCounts[kind] > 0);
  const valid = fatal.length === 0;
  const faultsInjected = options.faultsInjected ?? null;
  const warnings: string[] = [];
  if (faultsInjected === 0) {
    warnings.push('no fault was injected: this run exercised only the happy path and proves nothing about retries; raise the rules\' probability or send more requests');
  } else if (faultsInjected === null) {
    warnings.push('faultsInjected was not given: cannot tell whether any fault hit the run (pass proxy.stats().totalFaults)');
  }
  if (counts.acknowledged === 0) warnings.push('no send was acknowledged: there was nothing to check');
  const proved = valid && faultsInjected !== null && faultsInjected > 0 && counts.acknowledged > 0;
  return { valid, proved, faultsInjected, warnings, counts, anomalyCounts, fatal, anomalies };
}
