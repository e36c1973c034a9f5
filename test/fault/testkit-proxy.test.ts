// The chaos proxy against a scripted fake broker: frames pass byte for byte when no rule fires, and a dropped
// response is counted, reaches no client, while the broker did receive (and answer) the request.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { decodeResponseFrame, encodeRequestFrame, encodeResponseFrame, FrameSplitter, readRequestHeader } from '../../src/protocol/framing.ts';
import { metadataApi } from '../../src/protocol/messages/generated/03-metadata.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ChaosFault, ChaosProxy } from '../../src/testkit/index.ts';

/** A fake broker: records every request byte, answers each request with an ApiVersions v0 frame. */
let server: Server;
let serverPort = 0;
const received: Buffer[] = [];
const answered: Buffer[] = [];
const serverSockets = new Set<Socket>();

before(async () => {
  server = createServer((socket) => {
    serverSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => serverSockets.delete(socket));
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      received.push(Buffer.from(chunk));
      for (const frame of splitter.push(chunk)) {
        const { header } = readRequestHeader(frame);
        const response = encodeResponseFrame(ApiKey.ApiVersions, 0, header.correlationId, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: header.correlationId }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false });
        answered.push(response);
        socket.write(response);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  serverPort = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  for (const socket of serverSockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function request(correlationId: number): Buffer {
  return encodeRequestFrame(ApiKey.ApiVersions, 0, correlationId, 'proxy-test', { clientSoftwareName: '', clientSoftwareVersion: '' });
}

async function openClient(port: number): Promise<{ socket: Socket; bytes: () => Buffer }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  // A reset is what some tests expect; they watch 'close'.
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { socket, bytes: () => Buffer.concat(chunks) };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('forwards request and response frames byte for byte when no rule fires', async () => {
  const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: serverPort }, seed: 3 });
  received.length = 0;
  answered.length = 0;
  const client = await openClient(proxy.port);
  const frames = [1, 2, 3, 4, 5].map(request);
  // Written as one chunk and then split oddly: the proxy must reassemble frames either way.
  const all = Buffer.concat(frames);
  client.socket.write(all.subarray(0, 7));
  client.socket.write(all.subarray(7));
  await until(() => answered.length === 5 && client.bytes().length === Buffer.concat(answered).length, 'five answers');
  assert.deepEqual(Buffer.concat(received), all);
  assert.deepEqual(client.bytes(), Buffer.concat(answered));
  const stats = proxy.stats();
  assert.equal(stats.requests, 5);
  assert.equal(stats.responses, 5);
  assert.equal(stats.totalFaults, 0);
  client.socket.destroy();
  await proxy.close();
});

it('drops a response the broker produced, counts it, and never delivers it', async () => {
  const proxy = await ChaosProxy.start({
    target: { host: '127.0.0.1', port: serverPort },
    rules: [{ fault: ChaosFault.dropResponse, apiKeys: [ApiKey.ApiVersions], maxCount: 1, closeClient: false }],
  });
  answered.length = 0;
  const client = await openClient(proxy.port);
  client.socket.write(request(7));
  await until(() => answered.length === 1, 'the broker to answer');
  // The answer exists but is held by nobody; give it time to (wrongly) arrive.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(client.bytes().length, 0);
  assert.equal(proxy.stats().faults[ChaosFault.dropResponse], 1);
  // The rule is spent: the next request's answer comes through.
  client.socket.write(request(8));
  await until(() => client.bytes().length > 0, 'the second answer');
  assert.deepEqual(client.bytes(), answered[1]);
  client.socket.destroy();
  await proxy.close();
});

it('drop-response with closeClient resets the client; a seeded schedule replays identically', async () => {
  const counts: number[] = [];
  for (let round = 0; round < 2; round++) {
    const proxy = await ChaosProxy.start({
      target: { host: '127.0.0.1', port: serverPort },
      seed: 42,
      rules: [{ fault: ChaosFault.delayResponse, probability: 0.5, delayMs: [1, 5] }],
    });
    const client = await openClient(proxy.port);
    const frames = Array.from({ length: 40 }, (_, i) => request(i + 1));
    client.socket.write(Buffer.concat(frames));
    await until(() => proxy.stats().responses === 40, 'forty answers');
    counts.push(proxy.stats().faults[ChaosFault.delayResponse]);
    client.socket.destroy();
    await proxy.close();
  }
  assert.equal(counts[0], counts[1]);
  assert.ok(counts[0] > 5 && counts[0] < 35, `about half delayed, got ${counts[0]}`);

  const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: serverPort }, rules: [{ fault: ChaosFault.dropResponse, maxCount: 1 }] });
  const client = await openClient(proxy.port);
  const closed = new Promise((resolve) => client.socket.once('close', resolve));
  client.socket.write(request(1));
  await closed;
  assert.equal(client.bytes().length, 0);
  await proxy.close();
});

it('with rewriteMetadata, caps the Metadata version an ApiVersions answer offers at the newest one it can rewrite', async () => {
  // A broker that offers Metadata v13 (Kafka 4.x): a client negotiating it would get answers the proxy cannot
  // rewrite, and would then talk to the broker directly, around the proxy and its faults.
  const broker = createServer((socket) => {
    socket.on('error', () => undefined);
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        const { header } = readRequestHeader(frame);
        const apiKeys = [
          { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 13 },
          { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 13 },
        ];
        socket.write(encodeResponseFrame(ApiKey.ApiVersions, 3, header.correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false }));
      }
    });
  });
  broker.listen(0, '127.0.0.1');
  await once(broker, 'listening');
  const address = broker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const offered = async (rewriteMetadata: boolean): Promise<Record<number, number>> => {
    const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port }, rewriteMetadata });
    const client = await openClient(proxy.port);
    client.socket.write(encodeRequestFrame(ApiKey.ApiVersions, 3, 1, 'proxy-test', { clientSoftwareName: 'test', clientSoftwareVersion: '1' }));
    await until(() => client.bytes().length >= 4 && client.bytes().length === client.bytes().readInt32BE(0) + 4, 'the ApiVersions answer');
    const answer = decodeResponseFrame(ApiKey.ApiVersions, 3, client.bytes().subarray(4));
    client.socket.destroy();
    await proxy.close();
    return Object.fromEntries(answer.body.apiKeys.map((api) => [api.apiKey, api.maxVersion]));
  };
  try {
    assert.deepEqual(await offered(false), { [ApiKey.Produce]: 13, [ApiKey.Metadata]: 13 });
    assert.deepEqual(await offered(true), { [ApiKey.Produce]: 13, [ApiKey.Metadata]: metadataApi.maxVersion });
    assert.ok(metadataApi.maxVersion < 13);
  } finally {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});
