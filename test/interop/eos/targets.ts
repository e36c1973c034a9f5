// The brokers the exactly-once processing tests run against. Apache Kafka 4.4 (transaction.version 2, its
// default) with the group's initial rebalance delay off, so a restarted processor is not kept waiting 3 s.
//
// seqlog is listed too, reported as skipped until its broker serves transactions (InitProducerId with a
// transactional id, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, read_committed Fetch): until then InitProducerId
// answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED and every case would fail at initTransactions().
import { startReferenceKafka } from '../../reference/kafka.ts';
import { SEQLOG, type BrokerTarget } from '../transactions/brokers.ts';

export const KAFKA_EOS: BrokerTarget = {
  name: 'Apache Kafka 4.4',
  transactionVersion: 2,
  async start() {
    const kafka = await startReferenceKafka({
      brokers: 1,
      config: { 'group.initial.rebalance.delay.ms': '0', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000' },
    });
    return { bootstrap: kafka.bootstrap, stop: () => kafka.stop() };
  },
};

export const EOS_TARGETS: readonly { readonly target: BrokerTarget }[] = [{ target: KAFKA_EOS }, { target: SEQLOG }];
