// Interop peer on KafkaJS: idempotent producer, transactions, and a read_committed consumer. KafkaJS has no
// manual partition assignment, so its reader joins a consumer group (one member, a fresh group id per run).
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { LogEntry } from 'kafkajs';
import { packageVersion, runPeerProgram, settle } from './contract.ts';
import type { PeerOptions } from './contract.ts';

const peer = 'kafkajs';

function kafka(options: PeerOptions): Kafka {
  return new Kafka({
    clientId: `${peer}-peer`,
    brokers: options.bootstrap.split(','),
    logLevel: logLevel.WARN,
    // KafkaJS logs through console by default, which would mix with the summary line on stdout.
    logCreator: () => (entry: LogEntry) => {
      process.stderr.write(`${entry.namespace} ${entry.log.message}\n`);
    },
  });
}

await runPeerProgram(peer, `kafkajs ${packageVersion('kafkajs')}`, {
  async createTopic(options) {
    const admin = kafka(options).admin();
    await admin.connect();
    try {
      // Resolves false when the topic already exists, which is fine.
      await admin.createTopics({
        topics: [{ topic: options.topic, numPartitions: 1, replicationFactor: options.replicationFactor }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
  },

  async produce(options, values, idempotent) {
    const producer = kafka(options).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent, maxInFlightRequests: idempotent ? 1 : undefined, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic: options.topic,
        acks: -1,
        messages: values.map((value, i) => ({ key: String(i), value })),
      });
    } finally {
      await producer.disconnect();
    }
  },

  async transact(options, aborted, committed) {
    const producer = kafka(options).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: `${peer}-${options.topic}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30000,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      for (const [values, commit] of [[aborted, false], [committed, true]] as const) {
        const transaction = await producer.transaction();
        // send() resolves after the produce response, so aborted records are in the log before EndTxn.
        await transaction.send({ topic: options.topic, acks: -1, messages: values.map((value, i) => ({ key: String(i), value })) });
        if (commit) await transaction.commit();
        else await transaction.abort();
      }
    } finally {
      await producer.disconnect();
    }
  },

  async consume(options, expected) {
    const consumer = kafka(options).consumer({
      groupId: `${peer}-${options.topic}-${process.pid}-${Date.now()}`,
      readUncommitted: false,
      // A short long-poll lets disconnect() return quickly once the read is done.
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    const seen: (string | null)[] = [];
    let crash: Error | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      crash = new Error(`consumer crashed: ${event.payload.error.message}`);
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          seen.push(message.value === null ? null : message.value.toString('utf8'));
        },
      });
      await settle(() => seen.length, expected, options.deadline, () => crash);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  },
});
