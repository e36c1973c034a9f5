// Listeners, TLS and SASL against seqlog's own client and raw requests: each security protocol on its own
// listener at once, Metadata advertising the listener a client came through, PLAIN / SCRAM / OAUTHBEARER
// authentication with the principal handlers see, SSL client certificates, SCRAM credentials managed through the
// admin API and kept across a restart, re-authentication (KIP-368), and the refusals: bad passwords, expired
// tokens, a client that stops mid-handshake, requests before authentication, a SASL handshake on a PLAINTEXT
// listener, the pre-KIP-152 raw-token flow — each without disturbing other connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../src/broker/index.ts';
import { Admin, BrokerConnection, Consumer, KafkaClientError, Producer, type ConsumerRecord, type SaslOptions } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { encodeRequestFrame } from '../../src/protocol/framing.ts';
import { makeCertificates, unsecuredJws, type TestCertificates } from '../security/certificates.ts';

let certs: TestCertificates;
let dataDir: string;
let broker: RunningBroker;

const ALICE: SaslOptions = { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' };

function brokerOptions(): StartBrokerOptions {
  return {
    dataDir,
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    sslKeystoreKey: certs.serverKey,
    sslKeystoreCertificateChain: certs.serverCert,
    sslTruststoreCertificates: certs.ca,
    sslClientAuth: 'requested',
    saslEnabledMechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'],
    saslPlainUsers: { alice: 'alice-secret' },
    topics: [{ name: 'secured', partitions: 1 }],
  };
}

function listener(name: string): { host: string; port: number } {
  const found = broker.listeners.find((candidate) => candidate.name === name);
  assert.ok(found, `listener ${name}`);
  return { host: found.host, port: found.port };
}

function bootstrap(name: string): string {
  const { host, port } = listener(name);
  return `${host}:${port}`;
}

/** A raw connection (ApiVersions only, no SASL) to a listener. */
async function rawConnection(name: string, tls = false): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({ ...listener(name), ...(tls ? { ssl: { ca: certs.ca } } : {}) });
  await connection.negotiateApiVersions();
  return connection;
}

function closed(connection: BrokerConnection, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
    connection.onClose(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function metadataPort(connection: BrokerConnection): Promise<number> {
  const response = await connection.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false });
  return response.brokers[0].port;
}

/** The principal the broker attaches to the next Metadata request. */
function watchPrincipals(): { principals: string[]; stop: () => void } {
  const principals: string[] = [];
  const stop = broker.control(ApiKey.Metadata, (_request, context) => {
    principals.push(`${context.principal.type}:${context.principal.name}`);
  });
  return { principals, stop };
}

async function take(consumer: Consumer, count: number): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
  for await (const record of consumer) {
    records.push(record);
    if (records.length >= count) break;
  }
  return records;
}

function isClientError(code: number, pattern?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof KafkaClientError, `expected a KafkaClientError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.kind, 'fatal');
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  };
}

describe('listeners, TLS and SASL', { timeout: 120_000 }, () => {
  before(async () => {
    certs = makeCertificates();
    dataDir = mkdtempSync(join(tmpdir(), 'seqlog-security-'));
    broker = await startBroker(brokerOptions());
  });

  after(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
    certs?.remove();
  });

  it('binds every listener with its protocol and advertises, in Metadata, the listener the client came through', async () => {
    assert.deepEqual(broker.listeners.map((l) => `${l.name}:${l.securityProtocol}`), ['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT', 'SASL_SSL:SASL_SSL']);
    assert.equal(new Set(broker.listeners.map((l) => l.port)).size, 4);
    const cases = [
      { name: 'PLAINTEXT', options: {} },
      { name: 'SSL', options: { ssl: { ca: certs.ca } } },
      { name: 'SASL_PLAINTEXT', options: { sasl: ALICE } },
      { name: 'SASL_SSL', options: { ssl: { ca: certs.ca }, sasl: ALICE } },
    ];
    for (const { name, options } of cases) {
      const admin = new Admin({ bootstrap: bootstrap(name), ...options });
      try {
        const cluster = await admin.describeCluster();
        assert.equal(cluster.brokers[0].port, listener(name).port, `Metadata through ${name}`);
      } finally {
        await admin.close();
      }
    }
  });

  it('manages SCRAM credentials through the admin API and authenticates producers and consumers with SCRAM-SHA-256 and -512', async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.alterUserScramCredentials([
        { type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-256', password: 'bob-secret' },
        { type: 'upsert', user: 'carol', mechanism: 'SCRAM-SHA-512', password: 'carol-secret', iterations: 8192 },
      ]);
      await admin.alterUserScramCredentials([{ type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-512', password: 'bob-secret' }]);
      const described = await admin.describeUserScramCredentials();
      assert.deepEqual(described, [
        { user: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
        { user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
      ]);
      await assert.rejects(admin.describeUserScramCredentials(['nobody']), isKafkaError(ErrorCode.RESOURCE_NOT_FOUND));
      await assert.rejects(admin.alterUserScramCredentials([{ type: 'upsert', user: 'dave', mechanism: 'SCRAM-SHA-256', password: 'x', iterations: 100 }]), isKafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL));
      await assert.rejects(admin.alterUserScramCredentials([{ type: 'delete', user: 'dave', mechanism: 'SCRAM-SHA-256' }]), isKafkaError(ErrorCode.RESOURCE_NOT_FOUND));
    } finally {
      await admin.close();
    }

    const watch = watchPrincipals();
    const seen: string[] = [];
    const stopProduce = broker.control(ApiKey.Produce, (_request, context) => {
      seen.push(context.principal.name);
    });
    const producer = new Producer({ bootstrap: bootstrap('SASL_SSL'), ssl: { ca: certs.ca }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' }, lingerMs: 0 });
    try {
      await producer.send([0, 1, 2].map((i) => ({ topic: 'secured', partition: 0, value: `scram-${i}` })));
    } finally {
      await producer.close();
      stopProduce();
    }
    assert.ok(seen.length > 0 && seen.every((name) => name === 'carol'), `Produce principals: ${seen.join(', ')}`);

    const consumer = new Consumer({ bootstrap: bootstrap('SASL_PLAINTEXT'), sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' }, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
    try {
      consumer.assign([{ topic: 'secured', partition: 0 }]);
      const records = await take(consumer, 3);
      assert.deepEqual(records.map((record) => record.value?.toString()), ['scram-0', 'scram-1', 'scram-2']);
    } finally {
      await consumer.close();
      watch.stop();
    }
    assert.ok(watch.principals.includes('User:bob'), `Metadata principals: ${watch.principals.join(', ')}`);
  });

  it('authenticates OAUTHBEARER with the unsecured JWS validator; the token subject is the principal', async () => {
    const watch = watchPrincipals();
    const admin = new Admin({ bootstrap: bootstrap('SASL_SSL'), ssl: { ca: certs.ca }, sasl: { mechanism: 'OAUTHBEARER', token: () => unsecuredJws('token-user', 600) } });
    try {
      await admin.describeCluster();
    } finally {
      await admin.close();
      watch.stop();
    }
    // Other tests' clients may still be closing; the admin's requests carry the token's subject.
    assert.ok(watch.principals.includes('User:token-user'), watch.principals.join(', '));
    assert.ok(!watch.principals.some((principal) => principal.includes('ANONYMOUS')), watch.principals.join(', '));
  });

  it('names an SSL client by its certificate subject, a client without one ANONYMOUS, and refuses an untrusted certificate', async () => {
    const watch = watchPrincipals();
    try {
      const withCertificate = await BrokerConnection.open({ ...listener('SSL'), ssl: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
      await withCertificate.negotiateApiVersions();
      await metadataPort(withCertificate);
      withCertificate.close();
      const without = await rawConnection('SSL', true);
      await metadataPort(without);
      without.close();
    } finally {
      watch.stop();
    }
    assert.deepEqual(watch.principals, [`User:${certs.clientPrincipal}`, 'User:ANONYMOUS']);
    const stranger = BrokerConnection.open({ ...listener('SSL'), ssl: { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey } }).then(async (connection) => {
      await connection.negotiateApiVersions();
      return connection;
    });
    await assert.rejects(stranger);
    // A client that does not trust the broker's CA fails the handshake with a fatal, explained error.
    await assert.rejects(BrokerConnection.open({ ...listener('SSL'), ssl: { ca: certs.strangerCert } }), (error: unknown) => {
      assert.ok(error instanceof KafkaClientError);
      assert.equal(error.errorName, 'SSL_HANDSHAKE_FAILED');
      return true;
    });
  });

  it('refuses a bad PLAIN password, a bad SCRAM password, an unknown user and an expired token, and other connections carry on', async () => {
    const bystander = await BrokerConnection.open({ ...listener('SASL_PLAINTEXT'), sasl: ALICE });
    await bystander.negotiateApiVersions();
    const failures = [
      { sasl: { mechanism: 'PLAIN', username: 'alice', password: 'wrong' } as SaslOptions, pattern: /Invalid username or password/ },
      { sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'wrong' } as SaslOptions, pattern: /invalid credentials with SASL mechanism SCRAM-SHA-256/ },
      { sasl: { mechanism: 'SCRAM-SHA-512', username: 'nobody', password: 'x' } as SaslOptions, pattern: /invalid credentials/ },
      { sasl: { mechanism: 'OAUTHBEARER', token: () => unsecuredJws('late', -60) } as SaslOptions, pattern: /expired/ },
    ];
    await Promise.all(
      failures.map(async ({ sasl, pattern }) => {
        const connection = await BrokerConnection.open({ ...listener('SASL_PLAINTEXT'), sasl });
        const gone = closed(connection);
        await assert.rejects(connection.negotiateApiVersions(), isClientError(ErrorCode.SASL_AUTHENTICATION_FAILED, pattern));
        // The broker closes the connection after answering the failure.
        await gone;
      }),
    );
    // The admin client reports the refusal as fatal instead of retrying until its timeout.
    const admin = new Admin({ bootstrap: bootstrap('SASL_PLAINTEXT'), sasl: { mechanism: 'PLAIN', username: 'alice', password: 'wrong' } });
    try {
      await assert.rejects(admin.describeCluster(), isClientError(ErrorCode.SASL_AUTHENTICATION_FAILED));
    } finally {
      await admin.close();
    }
    assert.equal(bystander.closed, false);
    assert.equal(await metadataPort(bystander), listener('SASL_PLAINTEXT').port);
    bystander.close();
  });

  it('closes a connection that sends anything but ApiVersions and SASL before authenticating; others carry on', async () => {
    const bystander = await BrokerConnection.open({ ...listener('SASL_PLAINTEXT'), sasl: ALICE });
    await bystander.negotiateApiVersions();
    const early = await rawConnection('SASL_PLAINTEXT');
    const gone = closed(early);
    await assert.rejects(metadataPort(early));
    await gone;
    // Unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled list, then closed.
    const unsupported = await rawConnection('SASL_PLAINTEXT');
    const unsupportedGone = closed(unsupported);
    const handshake = await unsupported.send(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    assert.equal(handshake.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(handshake.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']);
    await unsupportedGone;
    assert.equal(await metadataPort(bystander), listener('SASL_PLAINTEXT').port);
    bystander.close();
  });

  it('answers a SASL handshake on a PLAINTEXT listener with ILLEGAL_SASL_STATE and keeps the connection', async () => {
    const connection = await rawConnection('PLAINTEXT');
    const handshake = await connection.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    assert.equal(handshake.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    const authenticate = await connection.send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') });
    assert.equal(authenticate.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.equal(await metadataPort(connection), listener('PLAINTEXT').port);
    connection.close();
    // seqlog's client configured for SASL explains the mismatch.
    const client = await BrokerConnection.open({ ...listener('PLAINTEXT'), sasl: ALICE });
    await assert.rejects(client.negotiateApiVersions(), isClientError(ErrorCode.ILLEGAL_SASL_STATE, /not a SASL listener/));
    client.close();
  });

  it('serves the pre-KIP-152 flow: SaslHandshake v0, then a raw PLAIN token, then Kafka requests', async () => {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(listener('SASL_PLAINTEXT'), () => resolve(s));
      s.once('error', reject);
    });
    try {
      const frames = frameReader(socket);
      socket.write(encodeRequestFrame(ApiKey.SaslHandshake, 0, 1, 'legacy', { mechanism: 'PLAIN' }));
      const handshake = await frames.next();
      assert.equal(handshake.readInt32BE(0), 1, 'correlation id');
      assert.equal(handshake.readInt16BE(4), ErrorCode.NONE);
      const token = Buffer.from('\u0000alice\u0000alice-secret');
      const raw = Buffer.alloc(4 + token.length);
      raw.writeInt32BE(token.length, 0);
      token.copy(raw, 4);
      socket.write(raw);
      const answer = await frames.next();
      assert.equal(answer.length, 0, 'PLAIN answers with an empty token');
      socket.write(encodeRequestFrame(ApiKey.Metadata, 1, 2, 'legacy', { topics: [], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false }));
      const metadata = await frames.next();
      assert.equal(metadata.readInt32BE(0), 2, 'Metadata answered after the raw exchange');
    } finally {
      socket.destroy();
    }
  });

  it('seqlog scram set/list/delete manage credentials through a secured admin connection', async () => {
    const secured = ['--bootstrap', bootstrap('SASL_SSL'), '--ssl-ca', certs.caFile, '--sasl-mechanism', 'PLAIN', '--sasl-username', 'alice', '--sasl-password', 'alice-secret'];
    const set = await seqlog(['scram', 'set', 'erin', '--mechanism', 'SCRAM-SHA-256', '--password', 'erin-secret', '--iterations', '5000', ...secured]);
    assert.equal(set.status, 0, set.stderr);
    const listed = await seqlog(['scram', 'list', 'erin', '--json', ...secured]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [{ user: 'erin', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 5000 }] }]);
    const erin = await BrokerConnection.open({ ...listener('SASL_PLAINTEXT'), sasl: { mechanism: 'SCRAM-SHA-256', username: 'erin', password: 'erin-secret' } });
    await erin.negotiateApiVersions();
    erin.close();
    const deleted = await seqlog(['scram', 'delete', 'erin', '--mechanism', 'SCRAM-SHA-512', ...secured]);
    // erin has no SCRAM-SHA-512 credential: Kafka's RESOURCE_NOT_FOUND, as one line.
    assert.notEqual(deleted.status, 0);
    assert.match(deleted.stderr, /RESOURCE_NOT_FOUND/);
  });

  it('keeps SCRAM credentials across a restart', async () => {
    await broker.close();
    broker = await startBroker(brokerOptions());
    const admin = new Admin({ bootstrap: bootstrap('SASL_PLAINTEXT'), sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' } });
    try {
      const described = await admin.describeUserScramCredentials(['carol']);
      assert.deepEqual(described, [{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }]);
      await admin.alterUserScramCredentials([{ type: 'delete', user: 'carol', mechanism: 'SCRAM-SHA-512' }]);
    } finally {
      await admin.close();
    }
    const refused = await BrokerConnection.open({ ...listener('SASL_PLAINTEXT'), sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' } });
    await assert.rejects(refused.negotiateApiVersions(), isClientError(ErrorCode.SASL_AUTHENTICATION_FAILED));
    refused.close();
  });
});

describe('session bounds: idle handshakes and re-authentication (KIP-368)', { timeout: 60_000 }, () => {
  let bounded: RunningBroker;
  before(async () => {
    bounded = await startBroker({
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      saslPlainUsers: { alice: 'alice-secret' },
      // Wide enough that a loaded CI machine's event-loop delays stay inside the client's re-authentication margin
      // (KIP-368: 85-95% of the session lifetime) and between its requests.
      connectionsMaxIdleMs: 1000,
      connectionsMaxReauthMs: 2500,
      connectionFailedAuthenticationDelayMs: 0,
    });
  });
  after(async () => {
    await bounded?.close();
  });

  const address = () => ({ host: '127.0.0.1', port: bounded.port });

  it('closes a client that stops mid-handshake on the idle timeout, while an authenticated client carries on', async () => {
    const busy = await BrokerConnection.open({ ...address(), sasl: ALICE });
    await busy.negotiateApiVersions();
    const stalled = await BrokerConnection.open(address());
    await stalled.negotiateApiVersions();
    const handshake = await stalled.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    assert.equal(handshake.errorCode, ErrorCode.NONE);
    const gone = closed(stalled);
    let answered = 0;
    let stalledClosed = false;
    void gone.then(() => (stalledClosed = true));
    while (!stalledClosed) {
      await metadataPort(busy);
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await gone;
    assert.equal(busy.closed, false);
    assert.ok(answered > 0);
    busy.close();
  });

  it('re-authenticates a client before its session ends, and closes one that does not', async () => {
    const handshakes: string[] = [];
    const stop = bounded.control(ApiKey.SaslHandshake, (request) => {
      handshakes.push(request.mechanism);
    });
    try {
      const lifetimes: bigint[] = [];
      const reauthenticating = await BrokerConnection.open({ ...address(), sasl: ALICE });
      await reauthenticating.negotiateApiVersions();
      // A client that authenticates by hand and never re-authenticates.
      const lapsing = await BrokerConnection.open(address());
      await lapsing.negotiateApiVersions();
      assert.equal((await lapsing.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
      const authenticated = await lapsing.send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') });
      assert.equal(authenticated.errorCode, ErrorCode.NONE);
      lifetimes.push(authenticated.sessionLifetimeMs);
      assert.deepEqual(lifetimes, [2500n]);
      const lapsed = closed(lapsing);
      let lapsingClosed = false;
      void lapsed.then(() => (lapsingClosed = true));
      // Both send a request every 50 ms (never idle) until the one without re-authentication is closed, and then
      // for long enough that the other must have re-authenticated at least twice.
      // Two initial handshakes, then at least two re-authentications.
      while (!lapsingClosed || handshakes.length < 4) {
        await metadataPort(reauthenticating);
        if (!lapsingClosed) await metadataPort(lapsing).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await lapsed;
      assert.equal(reauthenticating.closed, false);
      assert.ok(handshakes.length >= 4, `handshakes: ${handshakes.length}`);
      reauthenticating.close();
    } finally {
      stop();
    }
  });
});

const cliMain = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs the CLI in a child process (the in-process broker must keep answering). */
function seqlog(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function isKafkaError(code: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof KafkaClientError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  };
}

/** Size-prefixed frames from a raw socket, in order. */
function frameReader(socket: Socket): { next(): Promise<Buffer> } {
  let buffered = Buffer.alloc(0);
  const waiting: ((frame: Buffer) => void)[] = [];
  const ready: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      const frame = buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(frame);
      else ready.push(frame);
    }
  });
  return {
    next() {
      const frame = ready.shift();
      if (frame !== undefined) return Promise.resolve(frame);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        socket.once('close', () => reject(new Error('socket closed before the frame')));
      });
    },
  };
}
