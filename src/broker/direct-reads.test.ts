import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { adoptForDirectReads } from './direct-reads.ts';

describe('adoptForDirectReads', () => {
  it('moves an accepted socket to reads into buffers of our choosing, with pause, resume, writes and close intact', async () => {
    const target = Buffer.alloc(10);
    const received: Buffer[] = [];
    let intoTarget = 0;
    let adoptedSocket: Socket | null = null;
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      const adopted = adoptForDirectReads(accepted);
      assert.ok(adopted !== null, "this Node version keeps an accepted socket's handle where adoption looks for it");
      adoptedSocket = adopted.socket;
      adopted.attach({
        // The buffer for a read is chosen after the read before it (the first one goes to the scratch buffer):
        // the second read goes into `target`.
        directReadBuffer: () => (received.length === 1 ? target : null),
        onRead: (bytes, buffer) => {
          if (buffer === target) intoTarget += bytes;
          received.push(Buffer.from(buffer.subarray(0, bytes)));
          if (Buffer.concat(received).length === 20) adopted.socket.write('answer');
        },
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write(Buffer.alloc(10, 1));
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    (adoptedSocket as Socket | null)?.pause();
    client.write(Buffer.alloc(10, 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(Buffer.concat(received).length, 10, 'a paused socket reads nothing');
    (adoptedSocket as Socket | null)?.resume();
    const [answer] = (await once(client, 'data')) as [Buffer];
    assert.equal(answer.toString(), 'answer');
    assert.equal(intoTarget, 10, 'the second read went where the sink asked');
    assert.deepEqual(Buffer.concat(received), Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(10, 2)]));
    const closed = once(adoptedSocket as unknown as Socket, 'close');
    client.end();
    await closed;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
