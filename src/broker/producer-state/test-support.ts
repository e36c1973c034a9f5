// Helpers for the producer-state tests, in the shape of the helpers of Kafka's `ProducerStateManagerTest`
// (appendClientEntry, appendReplicationEntry, appendEndTxnMarker): each appends one single-record batch (or a
// marker) at an explicit offset and advances the map end offset past it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlRecordType } from '../../protocol/records/control-record.ts';
import type { TransactionResult } from '../../protocol/records/control-record.ts';
import { encodeRecordBatch } from '../../protocol/records/record-batch-encoder.ts';
import { AppendOrigin } from './append-origin.ts';
import type { ProducerStateManager } from './producer-state-manager.ts';
import type { CompletedTxn } from './txn-metadata.ts';

export interface EntryOptions {
  timestamp?: bigint;
  isTransactional?: boolean;
  origin?: AppendOrigin;
}

export function appendEntry(
  manager: ProducerStateManager,
  producerId: bigint,
  producerEpoch: number,
  sequence: number,
  offset: bigint,
  options: EntryOptions = {},
): void {
  const appendInfo = manager.prepareUpdate(producerId, options.origin ?? AppendOrigin.client);
  appendInfo.appendDataBatch(producerEpoch, sequence, sequence, options.timestamp ?? 0n, offset, offset, options.isTransactional ?? false);
  manager.update(appendInfo);
  manager.updateMapEndOffset(offset + 1n);
}

export function appendClientEntry(
  manager: ProducerStateManager,
  producerId: bigint,
  producerEpoch: number,
  sequence: number,
  offset: bigint,
  options: Omit<EntryOptions, 'origin'> = {},
): void {
  appendEntry(manager, producerId, producerEpoch, sequence, offset, { ...options, origin: AppendOrigin.client });
}

export function appendReplicationEntry(
  manager: ProducerStateManager,
  producerId: bigint,
  producerEpoch: number,
  sequence: number,
  offset: bigint,
  timestamp = 0n,
): void {
  appendEntry(manager, producerId, producerEpoch, sequence, offset, { timestamp, origin: AppendOrigin.replication });
}

export interface MarkerOptions {
  coordinatorEpoch?: number;
  timestamp?: bigint;
  origin?: AppendOrigin;
}

/** Appends a COMMIT/ABORT marker at `offset`, completing the transaction it ends (as the leader path does). */
export function appendEndTxnMarker(
  manager: ProducerStateManager,
  producerId: bigint,
  producerEpoch: number,
  type: TransactionResult,
  offset: bigint,
  options: MarkerOptions = {},
): CompletedTxn | null {
  const appendInfo = manager.prepareUpdate(producerId, options.origin ?? AppendOrigin.coordinator);
  const completedTxn = appendInfo.appendEndTxnMarker(
    { type, coordinatorEpoch: options.coordinatorEpoch ?? 0 },
    producerEpoch,
    offset,
    options.timestamp ?? 0n,
  );
  manager.update(appendInfo);
  if (completedTxn !== null) manager.completeTxn(completedTxn);
  manager.updateMapEndOffset(offset + 1n);
  return completedTxn;
}

export const COMMIT = ControlRecordType.commit;
export const ABORT = ControlRecordType.abort;

export interface ClientBatchOptions {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records?: number;
  timestamp?: bigint;
  isTransactional?: boolean;
}

/** A client batch with real producer fields and `records` records (baseOffset 0, as clients send it). */
export function clientBatch(options: ClientBatchOptions): Buffer {
  const timestamp = options.timestamp ?? 1_000n;
  return encodeRecordBatch({
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: options.baseSequence,
    isTransactional: options.isTransactional ?? false,
    records: Array.from({ length: options.records ?? 1 }, (_, i) => ({
      key: null,
      value: Buffer.from(`value-${options.baseSequence}-${i}`),
      timestamp: timestamp + BigInt(i),
    })),
  });
}

/** A fresh temp directory and its cleanup. */
export function tempDirectory(prefix = 'seqlog-producer-state-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
