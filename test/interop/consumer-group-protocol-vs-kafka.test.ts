// seqlog's consumer with groupProtocol 'consumer' (KIP-848) against a real one-node Apache Kafka 4.4: the same
// scenarios as the component test against seqlog (three members share partitions and one leaves, every record
// delivered exactly once, commits kept; a slow onPartitionsRevoked holds the partitions back from the new owner).
import { after, before, describe, it } from 'node:test';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { brokerRegex, pollTimeoutLosesPartitions, shareLeaveAndCommit, slowRevoke, staticRestart } from '../component/consumer-group-protocol-scenario.ts';

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

  it('a static member leaves with epoch -2 and gets its partitions back on restart; the other keeps its own', async () => {
    await staticRestart(kafka.bootstrap, 'kip848-static', 'kip848-static-group');
  });

  it('a handler past max.poll.interval.ms loses the partitions, rejoins with epoch 0, and nothing is missing', async () => {
    await pollTimeoutLosesPartitions(kafka.bootstrap, 'kip848-poll', 'kip848-poll-group');
  });

  it('subscribe({ regex }) is resolved by the broker (SubscribedTopicRegex, whole-name match)', async () => {
    await brokerRegex(kafka.bootstrap, 'kip848rx', 'kip848-regex-group');
  });
});
