// Broker mutations for the testkit's own mutation tests: a checker that never sees a broken broker proves
// nothing, so these break a real broker on purpose through its control hook (`RunningBroker.control`, modelled
// on franz-go kfake's `ControlKey`) — nothing in the broker itself knows about them.
import type { RunningBroker } from '../broker/index.ts';
import { OffsetStore, type OffsetStoreRecord } from '../broker/group/offset-store.ts';
import type { LogFileSystem } from '../broker/log/log-file-system.ts';
import { silentLogger } from '../broker/logger.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { BatchField, CURRENT_MAGIC, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORD_BATCH_OVERHEAD, isTransactional, writeCrc } from '../protocol/records/batch-header.ts';

export interface BrokerMutations {
  /**
   * The broker forgets idempotence: every idempotent (non-transactional) batch reaches the log as a plain batch
   * without producer id, epoch or sequence, so a retried batch is stored again, as by a broker without
   * idempotence support (Redpanda #3039).
   */
  readonly disableDeduplication?: boolean;
  /**
   * The broker ignores READ_COMMITTED: every Fetch is served as READ_UNCOMMITTED (up to the high watermark, no
   * abortedTransactions), so a transactional reader sees open and aborted transactions.
   */
  readonly readCommittedAsUncommitted?: boolean;
  /**
   * The broker acknowledges transaction markers without writing them: every WriteTxnMarkers (the coordinator's
   * own, which go through the same handler, and an admin's) is answered NONE for each partition and nothing is
   * appended. The coordinator completes the transaction, but no partition ever sees its COMMIT or ABORT, so the
   * transaction stays open there and pins the last stable offset.
   */
  readonly skipTransactionMarkers?: boolean;
  /**
   * The broker loses pending transactional offsets (TxnOffsetCommit, KIP-98/447) across a restart: whatever a
   * producer sent into its open transaction is gone when the broker comes back, so the transaction's commit makes
   * its outputs visible but commits no offsets. Applied to the data dir between a stop or crash and the next start
   * (`EmbeddedBroker.restart`): every pending offset is ended as if its transaction had aborted.
   */
  readonly losePendingTransactionalOffsetsOnRestart?: boolean;
  /**
   * The broker does not fence producers: every InitProducerId of a transactional id gets a producer id of its own,
   * as if the id were new, so the previous holder is neither bumped to a stale epoch nor has its open transaction
   * aborted, and both commit. (Each InitProducerId reaches the coordinator under a fresh alias of the
   * transactional id; every later request of a producer id is steered to its alias.)
   */
  readonly skipProducerFencing?: boolean;
}

/** Applies `mutations` to a running broker; returns a function that removes them. */
export function applyBrokerMutations(broker: Pick<RunningBroker, 'control'>, mutations: BrokerMutations): () => void {
  const removers: (() => void)[] = [];
  if (mutations.disableDeduplication === true) {
    removers.push(
      broker.control(ApiKey.Produce, (request) => {
        for (const topic of request.topicData) {
          for (const partition of topic.partitionData) {
            if (partition.records !== null) stripProducer(partition.records);
          }
        }
      }),
    );
  }
  if (mutations.readCommittedAsUncommitted === true) {
    removers.push(
      broker.control(ApiKey.Fetch, (request) => {
        request.isolationLevel = 0;
      }),
    );
  }
  if (mutations.skipTransactionMarkers === true) {
    removers.push(
      broker.control(ApiKey.WriteTxnMarkers, (request) => ({
        response: {
          markers: request.markers.map((marker) => ({
            producerId: marker.producerId,
            topics: marker.topics.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: 0 })) })),
          })),
        },
      })),
    );
  }
  if (mutations.skipProducerFencing === true) removers.push(...unfencedTransactionalIds(broker));
  return () => {
    for (const remove of removers) remove();
  };
}

/** The controls of `skipProducerFencing`. */
function unfencedTransactionalIds(broker: Pick<RunningBroker, 'control'>): (() => void)[] {
  let inits = 0;
  /** The newest alias of a transactional id whose producer id is not known yet (the InitProducerId answer). */
  const unbound = new Map<string, string>();
  const aliases = new Map<string, string>();
  // The first request of an unknown producer id under a transactional id comes from the instance initialized last.
  const aliasOf = (transactionalId: string, producerId: bigint): string => {
    const key = `${transactionalId}\u0000${producerId}`;
    let alias = aliases.get(key);
    if (alias === undefined) {
      alias = unbound.get(transactionalId);
      if (alias === undefined) return transactionalId;
      unbound.delete(transactionalId);
      aliases.set(key, alias);
    }
    return alias;
  };
  return [
    broker.control(ApiKey.InitProducerId, (request) => {
      const id = request.transactionalId;
      if (id === null || id === '') return;
      if (request.producerId >= 0n) {
        // Re-initializing its own producer id (KIP-360): same alias.
        request.transactionalId = aliasOf(id, request.producerId);
        return;
      }
      const alias = `${id}.unfenced-${++inits}`;
      unbound.set(id, alias);
      request.transactionalId = alias;
    }),
    broker.control(ApiKey.Produce, (request) => {
      if (request.transactionalId === null) return;
      const batch = request.topicData[0]?.partitionData[0]?.records;
      if (batch === null || batch === undefined || batch.length < RECORD_BATCH_OVERHEAD) return;
      request.transactionalId = aliasOf(request.transactionalId, batch.readBigInt64BE(BatchField.producerId));
    }),
    broker.control(ApiKey.AddPartitionsToTxn, (request) => {
      if (request.v3AndBelowTransactionalId !== '') request.v3AndBelowTransactionalId = aliasOf(request.v3AndBelowTransactionalId, request.v3AndBelowProducerId);
      for (const transaction of request.transactions) transaction.transactionalId = aliasOf(transaction.transactionalId, transaction.producerId);
    }),
    broker.control(ApiKey.AddOffsetsToTxn, (request) => {
      request.transactionalId = aliasOf(request.transactionalId, request.producerId);
    }),
    broker.control(ApiKey.TxnOffsetCommit, (request) => {
      request.transactionalId = aliasOf(request.transactionalId, request.producerId);
    }),
    broker.control(ApiKey.EndTxn, (request) => {
      request.transactionalId = aliasOf(request.transactionalId, request.producerId);
    }),
  ];
}

/** Rewrites one idempotent batch's header to "no producer" and fixes its CRC. */
function stripProducer(batch: Buffer): void {
  if (batch.length < RECORD_BATCH_OVERHEAD || batch.readInt8(BatchField.magic) !== CURRENT_MAGIC) return;
  if (batch.readBigInt64BE(BatchField.producerId) === NO_PRODUCER_ID || isTransactional(batch.readInt16BE(BatchField.attributes))) return;
  const size = batch.readInt32BE(BatchField.batchLength) + 12;
  if (size > batch.length) return;
  batch.writeBigInt64BE(NO_PRODUCER_ID, BatchField.producerId);
  batch.writeInt16BE(NO_PRODUCER_EPOCH, BatchField.producerEpoch);
  batch.writeInt32BE(NO_SEQUENCE, BatchField.baseSequence);
  writeCrc(batch, 0, size);
}

/**
 * Applies the mutations that act on a stopped broker's data dir, before it starts again; resolves with how many
 * things were changed (pending transactional offsets dropped).
 */
export async function applyRestartMutations(dataDir: string, fs: LogFileSystem, mutations: BrokerMutations): Promise<number> {
  if (mutations.losePendingTransactionalOffsetsOnRestart !== true) return 0;
  const { store, groups } = OffsetStore.open({ dataDir, fs, logger: silentLogger, durability: 'always' });
  try {
    const ends: OffsetStoreRecord[] = [];
    let dropped = 0;
    for (const [groupId, group] of groups) {
      for (const [producerId, pending] of group.pendingTransactionalOffsets) {
        dropped += pending.length;
        ends.push({ type: 'txn-end', groupId, producerId, commit: false });
      }
    }
    await store.append(ends);
    return dropped;
  } finally {
    await store.close();
  }
}
