// Retention as users meet it with a real client (KafkaJS): a quiet topic's records, all in the active segment,
// go once they are past `retention.ms` — whether the records carry timestamps from the far past or the topic's
// retention is lowered to purge it. Kafka's `UnifiedLog.deleteOldSegments` rolls and deletes the active segment;
// consumers then start at the new log start and producing continues at the same offsets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('retention of the active segment (KafkaJS)', () => {
  before(async () => {
    broker = await startBroker({ logRetentionCheckIntervalMs: 100 });
  });
  after(async () => {
    await broker.close();
  });

  it('purges a topic whose retention.ms is lowered, and keeps offsets going', async () => {
    const kafka = new Kafka({ clientId: 'retention-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'purged', numPartitions: 1 }] });
      await producer.send({ topic: 'purged', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      // Records from 1970 on a topic with the default 7-day retention go as well.
      await admin.createTopics({ topics: [{ topic: 'ancient', numPartitions: 1 }] });
      await producer.send({ topic: 'ancient', messages: [{ value: 'old', timestamp: '1000' }] });

      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'purged', configEntries: [{ name: 'retention.ms', value: '1' }] }] });
      for (const topic of ['purged', 'ancient']) {
        await waitFor(async () => {
          const [partition] = await admin.fetchTopicOffsets(topic);
          return partition.low === partition.high;
        }, `${topic} to be emptied by retention`);
      }
      assert.deepEqual(await admin.fetchTopicOffsets('purged'), [{ partition: 0, offset: '3', high: '3', low: '3' }]);
      assert.deepEqual(await admin.fetchTopicOffsets('ancient'), [{ partition: 0, offset: '1', high: '1', low: '1' }]);

      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'purged', configEntries: [{ name: 'retention.ms', value: '604800000' }] }] });
      const [sent] = await producer.send({ topic: 'purged', messages: [{ value: 'd' }] });
      assert.equal(sent.baseOffset, '3');
      const consumer = kafka.consumer({ groupId: 'after-purge', maxWaitTimeInMs: 50 });
      await consumer.connect();
      const seen: { offset: string; value: string }[] = [];
      await consumer.subscribe({ topic: 'purged', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push({ offset: message.offset, value: message.value?.toString() ?? '' }) });
      await waitFor(async () => seen.length >= 1, 'the record produced after the purge');
      await consumer.disconnect();
      assert.deepEqual(seen, [{ offset: '3', value: 'd' }]);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
