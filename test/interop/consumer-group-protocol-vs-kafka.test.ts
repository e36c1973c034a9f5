// seqlog's consumer with groupProtocol 'consumer' (KIP-848) against a real one-node Apache Kafka 4.4: the same
// scenarios as the component test against seqlog (three members share partitions and one leaves, every record
// delivered exactly once, commits kept; a slow onPartitionsRevoked holds the partitions back from the new owner).
import { after, before, describe, it } from 'node:test';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { shareLeaveAndCommit, slowRevoke } from '../component/consumer-group-protocol-scenario.ts';

describe('consumer with groupProtocol consumer (KIP-848) against reference Apache Kafka', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({
      brokers: 1,
      // Short heartbeats so that partitions move within a second, not Kafka's 5 s.
      config: { 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '500' },
    });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('three members share partitions, one leaves and its partitions move, every record once, commits kept', async () => {
    await shareLeaveAndCommit(kafka.bootstrap, 'kip848-share', 'kip848-share-group');
  });

  it('a slow onPartitionsRevoked holds the partitions back from the joining member until it returns', async () => {
    await slowRevoke(kafka.bootstrap, 'kip848-slow', 'kip848-slow-group');
  });
});
