// Interop peer on @platformatic/kafka: idempotent producer, transactions (Producer.beginTransaction, present in
// 1.x), and a read_committed consumer stream. Its consumer always joins a group (a fresh group id per run).
import { Admin, Consumer, FetchIsolationLevels, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { packageVersion, runPeerProgram, settle } from './contract.ts';
import type { PeerOptions } from './contract.ts';

const peer = 'platformatic';

function base(options: PeerOptions): { clientId: string; bootstrapBrokers: string[] } {
  return { clientId: `${peer}-peer`, bootstrapBrokers: options.bootstrap.split(',') };
}

function messages(options: PeerOptions, values: string[]): { topic: string; key: string; value: string }[] {
  return values.map((value, i) => ({ topic: options.topic, key: String(i), value }));
}

await runPeerProgram(peer, `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`, {
  async createTopic(options) {
    const admin = new Admin(base(options));
    try {
      const existing = await admin.listTopics();
      if (!existing.includes(options.topic)) {
        await admin.createTopics({ topics: [options.topic], partitions: 1, replicas: options.replicationFactor });
      }
    } finally {
      await admin.close();
    }
  },

  async produce(options, values, idempotent) {
    const producer = new Producer({ ...base(options), serializers: stringSerializers, idempotent, acks: -1, autocreateTopics: false });
    try {
      await producer.send({ messages: messages(options, values) });
    } finally {
      await producer.close();
    }
  },

  async transact(options, aborted, committed) {
    const producer = new Producer({
      ...base(options),
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
      transactionalId: `${peer}-${options.topic}`,
      autocreateTopics: false,
    });
    try {
      for (const [values, commit] of [[aborted, false], [committed, true]] as const) {
        const transaction = await producer.beginTransaction();
        // send() resolves after the produce response, so aborted records are in the log before EndTxn.
        await transaction.send({ messages: messages(options, values) });
        if (commit) await transaction.commit();
        else await transaction.abort();
      }
    } finally {
      await producer.close();
    }
  },

  async consume(options, expected) {
    const consumer = new Consumer({
      ...base(options),
      groupId: `${peer}-${options.topic}-${process.pid}-${Date.now()}`,
      deserializers: stringDeserializers,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 250,
    });
    const seen: (string | null)[] = [];
    try {
      const stream = await consumer.consume({ topics: [options.topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      let failed: Error | undefined;
      stream.on('data', (message: { value: string | null | undefined }) => {
        seen.push(message.value ?? null);
      });
      stream.on('error', (error: Error) => {
        failed = error;
      });
      await settle(() => seen.length, expected, options.deadline, () => failed);
      await stream.close();
    } finally {
      await consumer.close(true);
    }
    return seen;
  },
});
