// Real clients authenticate against seqlog's secured listeners: kcat (librdkafka) with SASL/PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512 over SASL_SSL, and SSL; Apache Kafka 4.4's Java client (its console producer, in one JVM) with
// PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER over SASL_SSL and a PEM truststore; KafkaJS with PLAIN and
// SCRAM over SSL;
// franz-go with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (an unsecured JWS) over SASL_SSL; kcat with
// librdkafka's unsecured-JWT OAUTHBEARER builtin. Each writes records that a client of another kind reads back
// through another listener, and a wrong password or an expired token is refused with Kafka's message while the
// broker keeps serving. kcat, the Kafka jars and the franz-go peer are required peers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { makeCertificates, unsecuredJws, type TestCertificates } from '../security/certificates.ts';
import { binDir } from '../reference/layout.ts';
import { KafkaToolRunner } from '../reference/kafka-tool-runner.ts';

const KCAT = '/usr/bin/kcat';
const FRANZ_PEER = join(binDir, 'franz-peer');
const log4jConfig = new URL('../reference/log4j2.properties', import.meta.url).pathname;

let certs: TestCertificates;
let broker: RunningBroker;

function address(name: string): string {
  const found = broker.listeners.find((listener) => listener.name === name);
  assert.ok(found);
  return found.bootstrap;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

function kcatSecurity(protocol: string, mechanism?: string, username?: string, password?: string): string[] {
  const args = ['-X', `security.protocol=${protocol}`];
  if (protocol.endsWith('SSL')) args.push('-X', `ssl.ca.location=${certs.caFile}`);
  if (mechanism !== undefined) args.push('-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${username}`, '-X', `sasl.password=${password}`);
  return args;
}

async function kcatProduce(listener: string, security: string[], topic: string, values: readonly string[]): Promise<void> {
  const result = await run(KCAT, ['-P', '-b', address(listener), '-t', topic, '-p', '0', ...security], `${values.join('\n')}\n`);
  assert.equal(result.code, 0, `kcat -P via ${listener} failed: ${result.stderr}`);
}

async function kcatConsume(listener: string, security: string[], topic: string): Promise<string[]> {
  const result = await run(KCAT, ['-C', '-b', address(listener), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n', ...security]);
  assert.equal(result.code, 0, `kcat -C via ${listener} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

interface FranzSummary {
  ok: boolean;
  error?: string;
  produced?: number;
  committed?: number;
  consumed?: number;
}

/** One run of the franz-go peer (test/peers/go) over SASL_SSL; the summary is its one JSON line. */
async function franzGo(topic: string, mode: 'all' | 'consume', count: number, sasl: readonly string[]): Promise<{ run: Run; summary: FranzSummary }> {
  const result = await run(FRANZ_PEER, ['--bootstrap', address('SASL_SSL'), '--topic', topic, '--mode', mode, '--count', String(count), '--timeout-ms', '20000', '--tls-ca', certs.caFile, ...sasl]);
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  let summary: FranzSummary;
  try {
    summary = JSON.parse(line) as FranzSummary;
  } catch {
    assert.fail(`franz-peer printed no JSON summary (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  return { run: result, summary };
}

describe('real clients against secured seqlog listeners', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(existsSync(KCAT), `kcat is a required peer (${KCAT}); install it with scripts/setup-peers.sh`);
    certs = makeCertificates();
    broker = await startBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      sslKeystoreLocation: certs.serverKeystoreFile,
      sslTruststoreLocation: certs.caFile,
      sslClientAuth: 'requested',
      // OAUTHBEARER is enabled explicitly (it is not a default); its default validator takes unsecured JWS tokens.
      saslEnabledMechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'],
      saslPlainUsers: { alice: 'alice-secret' },
      topics: ['kcat-plain', 'kcat-scram256', 'kcat-scram512', 'kcat-ssl', 'java-scram', 'kafkajs', 'kcat-oauth'].map((name) => ({ name, partitions: 1 })),
    });
    const admin = new Admin({ bootstrap: address('PLAINTEXT') });
    try {
      await admin.alterUserScramCredentials([
        { type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-256', password: 'bob-secret' },
        { type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-512', password: 'bob-secret' },
      ]);
    } finally {
      await admin.close();
    }
  });

  after(async () => {
    await broker?.close();
    certs?.remove();
  });

  it('kcat: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 over SASL_SSL and SSL each write what another listener reads back', async () => {
    const cases = [
      { topic: 'kcat-plain', listener: 'SASL_PLAINTEXT', security: kcatSecurity('SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret') },
      { topic: 'kcat-scram256', listener: 'SASL_PLAINTEXT', security: kcatSecurity('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'bob', 'bob-secret') },
      { topic: 'kcat-scram512', listener: 'SASL_SSL', security: kcatSecurity('SASL_SSL', 'SCRAM-SHA-512', 'bob', 'bob-secret') },
      { topic: 'kcat-ssl', listener: 'SSL', security: kcatSecurity('SSL') },
    ];
    for (const { topic, listener, security } of cases) {
      const values = [0, 1, 2].map((i) => `${topic}-${i}`);
      await kcatProduce(listener, security, topic, values);
      // Read back through the secured listener itself and through PLAINTEXT.
      assert.deepEqual(await kcatConsume(listener, security, topic), values, `${topic} via ${listener}`);
      assert.deepEqual(await kcatConsume('PLAINTEXT', [], topic), values, `${topic} via PLAINTEXT`);
    }
  });

  it('kcat: a client certificate on the SSL listener makes its subject the principal', async () => {
    const principals: string[] = [];
    const stop = broker.control(ApiKey.Metadata, (_request, context) => {
      principals.push(context.principal.name);
    });
    try {
      const withCertificate = [...kcatSecurity('SSL'), '-X', `ssl.certificate.location=${certs.clientCertFile}`, '-X', `ssl.key.location=${certs.clientKeyFile}`];
      assert.deepEqual(await kcatConsume('SSL', withCertificate, 'kcat-ssl'), ['kcat-ssl-0', 'kcat-ssl-1', 'kcat-ssl-2']);
    } finally {
      stop();
    }
    assert.ok(principals.length > 0 && principals.every((name) => name === certs.clientPrincipal), principals.join(', '));
  });

  it('kcat: a wrong SCRAM password is refused with SASL_AUTHENTICATION_FAILED and the broker keeps serving', async () => {
    const refused = await run(KCAT, ['-L', '-b', address('SASL_PLAINTEXT'), '-m', '2', ...kcatSecurity('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'bob', 'wrong')]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Authentication failed|SASL authentication error/i);
    assert.deepEqual(await kcatConsume('SASL_PLAINTEXT', kcatSecurity('SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret'), 'kcat-plain'), ['kcat-plain-0', 'kcat-plain-1', 'kcat-plain-2']);
  });

  it('the Java client (kafka-clients 4.4) produces with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER over SASL_SSL with a PEM truststore', async () => {
    const logins: [mechanism: string, jaas: string][] = [
      ['PLAIN', 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";'],
      ['SCRAM-SHA-256', 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-secret";'],
      ['SCRAM-SHA-512', 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-secret";'],
      // Kafka's unsecured token builder (OAuthBearerUnsecuredLoginCallbackHandler), which the broker's default validator accepts.
      ['OAUTHBEARER', 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="carol";'],
    ];
    // One JVM runs the console producer once per mechanism (a JVM start is most of this test's time).
    const tools = await KafkaToolRunner.start({ log4jConfig });
    const expected: string[] = [];
    try {
      for (const [mechanism, jaas] of logins) {
        const config = join(certs.dir, `java-${mechanism}.properties`);
        writeFileSync(config, ['security.protocol=SASL_SSL', `sasl.mechanism=${mechanism}`, `sasl.jaas.config=${jaas}`, 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caFile}`, ''].join('\n'));
        const values = [`java-${mechanism}-0`, `java-${mechanism}-1`];
        const produced = await tools.run('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', address('SASL_SSL'), '--topic', 'java-scram', '--command-config', config], `${values.join('\n')}\n`);
        assert.equal(produced.status, 0, `console producer with ${mechanism}: ${produced.stdout}\n${produced.stderr.slice(-3000)}`);
        expected.push(...values);
      }
    } finally {
      await tools.stop();
    }
    // Read back with kcat, over SCRAM as well.
    assert.deepEqual(await kcatConsume('SASL_SSL', kcatSecurity('SASL_SSL', 'SCRAM-SHA-512', 'bob', 'bob-secret'), 'java-scram'), expected);
  });

  it('KafkaJS: PLAIN over SASL_SSL writes, SCRAM-SHA-256 reads back the offsets, a wrong password is refused', async () => {
    const logCreator = () => () => undefined;
    const plain = new Kafka({ clientId: 'kafkajs-plain', brokers: [address('SASL_SSL')], ssl: { ca: [certs.ca] }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING, logCreator, retry: { retries: 2 } });
    const producer = plain.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'kafkajs', messages: [{ value: 'kafkajs-0' }, { value: 'kafkajs-1' }] });
    } finally {
      await producer.disconnect();
    }
    const scram = new Kafka({ clientId: 'kafkajs-scram', brokers: [address('SASL_SSL')], ssl: { ca: [certs.ca] }, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' }, logLevel: logLevel.NOTHING, logCreator, retry: { retries: 2 } });
    const admin = scram.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets('kafkajs');
      assert.deepEqual(offsets.map((o) => [o.partition, o.high]), [[0, '2']]);
    } finally {
      await admin.disconnect();
    }
    const wrong = new Kafka({ clientId: 'kafkajs-wrong', brokers: [address('SASL_SSL')], ssl: { ca: [certs.ca] }, sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'wrong' }, logLevel: logLevel.NOTHING, logCreator, retry: { retries: 0 } });
    const refused = wrong.admin();
    await assert.rejects(refused.connect(), /SASL SCRAM SHA512 authentication failed|SASL_AUTHENTICATION_FAILED|Authentication failed/i);
    await refused.disconnect();
    assert.deepEqual(await kcatConsume('PLAINTEXT', [], 'kafkajs'), ['kafkajs-0', 'kafkajs-1']);
  });

  it('franz-go: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER over SASL_SSL each create, produce (idempotent and transactional) and read back', async () => {
    assert.ok(existsSync(FRANZ_PEER), `the franz-go peer is required (${FRANZ_PEER}); build it with scripts/setup-peers.sh`);
    const cases = [
      { topic: 'franz-plain', sasl: ['--sasl-mechanism', 'PLAIN', '--sasl-user', 'alice', '--sasl-password', 'alice-secret'] },
      { topic: 'franz-scram256', sasl: ['--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-user', 'bob', '--sasl-password', 'bob-secret'] },
      { topic: 'franz-scram512', sasl: ['--sasl-mechanism', 'SCRAM-SHA-512', '--sasl-user', 'bob', '--sasl-password', 'bob-secret'] },
      { topic: 'franz-oauth', sasl: ['--sasl-mechanism', 'OAUTHBEARER', '--sasl-token', unsecuredJws('carol', 600)] },
    ];
    for (const { topic, sasl } of cases) {
      const { run: result, summary } = await franzGo(topic, 'all', 3, sasl);
      assert.equal(result.code, 0, `${topic}: ${JSON.stringify(summary)}`);
      assert.deepEqual([summary.ok, summary.produced, summary.committed, summary.consumed], [true, 3, 3, 6], topic);
      // librdkafka reads committed by default: the idempotent records, then the committed transaction's.
      const expected = [...['idem', 'commit'].flatMap((kind) => [0, 1, 2].map((i) => `franz-go-${kind}-${i}`))];
      assert.deepEqual(await kcatConsume('PLAINTEXT', [], topic), expected, `${topic} via PLAINTEXT`);
    }
  });

  it('franz-go: a wrong SCRAM password and an expired OAUTHBEARER token are refused while a correct client is served alongside', async () => {
    const [wrongPassword, expiredToken, correct] = await Promise.all([
      franzGo('franz-scram512', 'consume', 6, ['--sasl-mechanism', 'SCRAM-SHA-512', '--sasl-user', 'bob', '--sasl-password', 'wrong']),
      franzGo('franz-oauth', 'consume', 6, ['--sasl-mechanism', 'OAUTHBEARER', '--sasl-token', unsecuredJws('carol', -60)]),
      franzGo('franz-plain', 'consume', 6, ['--sasl-mechanism', 'PLAIN', '--sasl-user', 'alice', '--sasl-password', 'alice-secret']),
    ]);
    assert.equal(wrongPassword.run.code, 1);
    assert.equal(wrongPassword.summary.ok, false);
    assert.match(wrongPassword.summary.error ?? '', /SASL_AUTHENTICATION_FAILED/, JSON.stringify(wrongPassword.summary));
    assert.equal(expiredToken.run.code, 1);
    assert.equal(expiredToken.summary.ok, false);
    assert.match(expiredToken.summary.error ?? '', /SASL_AUTHENTICATION_FAILED/, JSON.stringify(expiredToken.summary));
    assert.match(expiredToken.summary.error ?? '', /expired/);
    assert.equal(correct.run.code, 0, JSON.stringify(correct.summary));
    assert.equal(correct.summary.consumed, 6);
  });

  it('kcat: OAUTHBEARER with librdkafka\'s unsecured JWT builtin names the principal', async () => {
    const principals: string[] = [];
    const stop = broker.control(ApiKey.Metadata, (_request, context) => {
      principals.push(context.principal.name);
    });
    const oauth = [...kcatSecurity('SASL_SSL'), '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=dave lifeSeconds=600'];
    try {
      await kcatProduce('SASL_SSL', oauth, 'kcat-oauth', ['oauth-0', 'oauth-1']);
      assert.deepEqual(await kcatConsume('SASL_SSL', oauth, 'kcat-oauth'), ['oauth-0', 'oauth-1']);
    } finally {
      stop();
    }
    assert.ok(principals.length > 0 && principals.every((name) => name === 'dave'), principals.join(', '));
  });
});
