import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { resetSocket } from './reset-socket.ts';

/** A connected pair over loopback: the accepted socket and the client's. */
async function socketPair(): Promise<{ accepted: Socket; peer: Socket; close(): void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const connection = once(server, 'connection');
  const peer = connect(typeof address === 'object' && address !== null ? address.port : 0, '127.0.0.1');
  const [accepted] = (await connection) as [Socket];
  accepted.on('error', () => undefined);
  return { accepted, peer, close: () => (peer.destroy(), server.close()) };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

it('an open socket is reset: the peer reads ECONNRESET', async () => {
  const { accepted, peer, close } = await socketPair();
  try {
    const peerError = once(peer, 'error');
    resetSocket(accepted);
    const [error] = (await within(peerError, 2000, "the peer's ECONNRESET")) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
    assert.equal(accepted.destroyed, true);
  } finally {
    close();
  }
});

it('a socket whose graceful shutdown is pending still closes (a reset would leave its handle open forever)', async () => {
  const { accepted, peer, close } = await socketPair();
  peer.on('error', () => undefined);
  try {
    // end() issues the shutdown at once; it completes on a later turn of the event loop.
    accepted.end();
    const closed = once(accepted, 'close');
    resetSocket(accepted);
    await within(closed, 2000, "the socket's 'close'");
    assert.equal(accepted.destroyed, true);
  } finally {
    close();
  }
});
