// Broker mutations for the testkit's own mutation tests: a checker that never sees a broken broker proves
// nothing, so these break a real broker on purpose through its control hook (`RunningBroker.control`, modelled
// on franz-go kfake's `ControlKey`) — nothing in the broker itself knows about them.
import type { RunningBroker } from '../broker/index.ts';
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
  return () => {
    for (const remove of removers) remove();
  };
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
