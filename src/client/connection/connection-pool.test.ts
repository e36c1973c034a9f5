// ConnectionPool.onDisconnect: the hook Metadata uses to refresh after a node goes away (a refused connection or a
// broken one), and silence once the pool itself is closed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { ConnectionPool } from './connection-pool.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ConnectionPool.onDisconnect', () => {
  it('reports a refused connection with the node id, and nothing after close()', async () => {
    const port = await closedPort();
    const pool = new ConnectionPool({ clientId: 'test', bootstrap: [{ host: '127.0.0.1', port }], connectTimeoutMs: 2000, reconnectBackoffMs: 1, reconnectBackoffMaxMs: 1 });
    const seen: number[] = [];
    pool.onDisconnect((nodeId) => seen.push(nodeId));
    await assert.rejects(pool.connect(-1));
    assert.deepEqual(seen, [-1]);
    pool.close();
    await assert.rejects(pool.connect(-1));
    assert.deepEqual(seen, [-1]);
  });

  it('reports a connection the other side drops during ApiVersions negotiation', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const pool = new ConnectionPool({ clientId: 'test', bootstrap: [{ host: '127.0.0.1', port }], connectTimeoutMs: 2000 });
    const seen: number[] = [];
    pool.onDisconnect((nodeId) => seen.push(nodeId));
    try {
      await assert.rejects(pool.connect(-1));
      assert.ok(seen.length >= 1 && seen.every((id) => id === -1), `disconnects seen: ${JSON.stringify(seen)}`);
    } finally {
      pool.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
