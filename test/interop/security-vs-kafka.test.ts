// seqlog's client against Apache Kafka 4.4 with a SASL_PLAINTEXT listener (PLAIN through JAAS users, SCRAM users
// made at storage format), and the same scenario against seqlog configured the same way, compared field by field:
// a SCRAM-SHA-256 producer and a PLAIN consumer round-trip records; SCRAM credentials created and described
// through the admin API (KIP-554) then used; Metadata through the SASL listener advertises that listener; a wrong
// PLAIN or SCRAM password, an unknown mechanism and a SASL client on the PLAINTEXT listener are refused with the
// same codes and broker messages; with `connections.max.reauth.ms` both grant the same session lifetime and the
// client re-authenticates before it ends (KIP-368).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, BrokerConnection, Consumer, KafkaClientError, Producer, type ConsumerRecord, type SaslOptions } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const TOPIC = 'secured';
const REAUTH_MS = 1500;

interface Target {
  plaintext: string;
  sasl: string;
}

interface Outcome {
  consumed: string[];
  /** A SCRAM connection kept busy past two session lifetimes stayed open (the client re-authenticated). */
  survivedReauthentication: { open: boolean; sessionLifetimeMs: string };
  described: unknown;
  advertisedPortIsSaslListener: boolean;
  refusals: Record<string, { code: number; errorName: string; kind: string; brokerMessage: string }>;
  unsupportedMechanism: { errorCode: number; mechanisms: string[] };
}

function hostPort(bootstrap: string): { host: string; port: number } {
  const [host, port] = bootstrap.split(',')[0].split(':');
  return { host, port: Number(port) };
}

async function take(consumer: Consumer, count: number): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
  for await (const record of consumer) {
    records.push(record);
    if (records.length >= count) break;
  }
  return records;
}

/** The broker's own words inside the client's message (the client adds where and what to check). */
function brokerMessage(error: KafkaClientError): string {
  return /failed: (.*?); check/.exec(error.message)?.[1] ?? /refused the SASL handshake \((\w+)\)/.exec(error.message)?.[1] ?? error.message;
}

async function refusal(bootstrap: string, sasl: SaslOptions): Promise<Outcome['refusals'][string]> {
  const connection = await BrokerConnection.open({ ...hostPort(bootstrap), sasl });
  try {
    await connection.negotiateApiVersions();
  } catch (error) {
    assert.ok(error instanceof KafkaClientError, String(error));
    return { code: error.code, errorName: error.errorName, kind: error.kind, brokerMessage: brokerMessage(error) };
  } finally {
    connection.close();
  }
  assert.fail(`authentication with ${JSON.stringify({ ...sasl, password: '***' })} was accepted`);
}

/**
 * KIP-368 with `connections.max.reauth.ms` set on the broker: the lifetime the broker grants, and whether seqlog's
 * client, re-authenticating on its own, keeps a connection open while it sends a request every 100 ms for more than
 * two lifetimes (a broker closes a connection whose session has ended).
 */
async function reauthentication(bootstrap: string): Promise<Outcome['survivedReauthentication']> {
  const manual = await BrokerConnection.open(hostPort(bootstrap));
  let sessionLifetimeMs: bigint;
  try {
    await manual.negotiateApiVersions();
    await manual.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    sessionLifetimeMs = (await manual.send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') })).sessionLifetimeMs;
  } finally {
    manual.close();
  }
  const connection = await BrokerConnection.open({ ...hostPort(bootstrap), sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' } });
  try {
    await connection.negotiateApiVersions();
    const until = Date.now() + 2.5 * REAUTH_MS;
    while (Date.now() < until && !connection.closed) {
      await connection.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { open: !connection.closed, sessionLifetimeMs: String(sessionLifetimeMs) };
  } finally {
    connection.close();
  }
}

async function scenario(target: Target): Promise<Outcome> {
  const producer = new Producer({ bootstrap: target.sasl, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' }, lingerMs: 0 });
  try {
    await producer.send([0, 1, 2].map((i) => ({ topic: TOPIC, partition: 0, value: `v${i}` })));
  } finally {
    await producer.close();
  }
  const consumer = new Consumer({ bootstrap: target.sasl, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' }, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
  let consumed: string[];
  try {
    consumer.assign([{ topic: TOPIC, partition: 0 }]);
    consumed = (await take(consumer, 3)).map((record) => String(record.value));
  } finally {
    await consumer.close();
  }

  const admin = new Admin({ bootstrap: target.plaintext });
  let described: unknown;
  try {
    await admin.alterUserScramCredentials([{ type: 'upsert', user: 'carol', mechanism: 'SCRAM-SHA-512', password: 'carol-secret', iterations: 8192 }]);
    // Kafka lists users in its map's order, which carries no meaning.
    described = (await admin.describeUserScramCredentials(['bob', 'carol'])).sort((a, b) => a.user.localeCompare(b.user));
  } finally {
    await admin.close();
  }
  // Kafka applies new credentials through its metadata log; the first attempts may precede it.
  let advertisedPortIsSaslListener = false;
  for (let attempt = 0; ; attempt++) {
    const carol = new Admin({ bootstrap: target.sasl, sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' } });
    try {
      const cluster = await carol.describeCluster();
      advertisedPortIsSaslListener = cluster.brokers.every((broker) => broker.port === hostPort(target.sasl).port);
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await carol.close();
    }
  }

  const refusals: Outcome['refusals'] = {
    plainWrongPassword: await refusal(target.sasl, { mechanism: 'PLAIN', username: 'alice', password: 'wrong' }),
    scramWrongPassword: await refusal(target.sasl, { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'wrong' }),
    scramUnknownUser: await refusal(target.sasl, { mechanism: 'SCRAM-SHA-512', username: 'nobody', password: 'x' }),
    saslOnPlaintextListener: await refusal(target.plaintext, { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' }),
  };

  const raw = await BrokerConnection.open(hostPort(target.sasl));
  let unsupportedMechanism: Outcome['unsupportedMechanism'];
  try {
    await raw.negotiateApiVersions();
    const handshake = await raw.send(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    // Kafka lists the enabled mechanisms in a hash map's order; the set is what matters.
    unsupportedMechanism = { errorCode: handshake.errorCode, mechanisms: [...handshake.mechanisms].sort() };
  } finally {
    raw.close();
  }
  return { consumed, survivedReauthentication: await reauthentication(target.sasl), described, advertisedPortIsSaslListener, refusals, unsupportedMechanism };
}

describe('SASL against Apache Kafka 4.4 and seqlog, compared', { timeout: 240_000 }, () => {
  let kafka: ReferenceKafka;
  let seqlog: RunningBroker;

  before(async () => {
    kafka = await startReferenceKafka({
      sasl: {
        mechanisms: [...MECHANISMS],
        plainUsers: { alice: 'alice-secret' },
        scramUsers: [{ user: 'bob', password: 'bob-secret', mechanism: 'SCRAM-SHA-256' }],
      },
      config: { 'connections.max.reauth.ms': String(REAUTH_MS) },
    });
    seqlog = await startBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      saslEnabledMechanisms: [...MECHANISMS],
      saslPlainUsers: { alice: 'alice-secret' },
      connectionFailedAuthenticationDelayMs: 100,
      connectionsMaxReauthMs: REAUTH_MS,
    });
    const admin = new Admin({ bootstrap: seqlog.bootstrap });
    try {
      await admin.alterUserScramCredentials([{ type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-256', password: 'bob-secret' }]);
    } finally {
      await admin.close();
    }
  });

  after(async () => {
    await seqlog?.close();
    await kafka?.stop();
  });

  it('gives the same outcome on both brokers', async () => {
    assert.ok(kafka.saslBootstrap);
    const onKafka = await scenario({ plaintext: kafka.bootstrap, sasl: kafka.saslBootstrap });
    const saslListener = seqlog.listeners.find((listener) => listener.name === 'SASL_PLAINTEXT');
    assert.ok(saslListener);
    const onSeqlog = await scenario({ plaintext: seqlog.bootstrap, sasl: saslListener.bootstrap });
    assert.deepEqual(onKafka.consumed, ['v0', 'v1', 'v2']);
    assert.deepEqual(onKafka.survivedReauthentication, { open: true, sessionLifetimeMs: String(REAUTH_MS) });
    assert.equal(onKafka.advertisedPortIsSaslListener, true);
    assert.equal(onKafka.refusals.plainWrongPassword.errorName, 'SASL_AUTHENTICATION_FAILED');
    assert.deepEqual(onKafka.unsupportedMechanism, { errorCode: 33, mechanisms: [...MECHANISMS] });
    assert.deepEqual(onSeqlog, onKafka);
  });
});
