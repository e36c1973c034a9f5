// The client and embedding API as a new user meets it: connection failures that say why within a few attempts
// (and to a pino-compatible logger), a producer that is never used staying off the network, misspelt options and
// wrong-typed records refused with errors that name the field, PLAINTEXT:// bootstrap addresses, a closed producer
// saying so, and `startBroker({ topics })`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { startBroker } from '../../src/broker/index.ts';
import { KafkaClientError, Producer, type ProducerRecord } from '../../src/client/index.ts';
import { resolveProducerConfig } from '../../src/client/config/producer-config.ts';
import { readLog } from '../../src/testkit/index.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function collectingLogger(lines: LogLine[]) {
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('connection failures surface with their cause', () => {
  it('a refused connection fails the send with NETWORK_EXCEPTION caused by ECONNREFUSED, and is logged', async () => {
    const port = await closedPort();
    const lines: LogLine[] = [];
    const producer = new Producer({ bootstrap: `127.0.0.1:${port}`, logger: collectingLogger(lines) });
    try {
      const error = await producer.send({ topic: 'orders', value: 'x' }).then(
        () => assert.fail('send succeeded without a broker'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof KafkaClientError);
      assert.equal(error.errorName, 'NETWORK_EXCEPTION');
      assert.ok(error.retriable);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
      assert.ok(causeCodes(error).includes('ECONNREFUSED'), `cause chain: ${causeCodes(error).join(', ')}`);
      const warning = lines.find((line) => line.level === 'warn' && line.message === 'cannot connect to broker');
      assert.ok(warning !== undefined, JSON.stringify(lines));
      assert.equal(warning.fields.code, 'ECONNREFUSED');
      assert.equal(warning.fields.broker, `127.0.0.1:${port}`);
    } finally {
      await producer.close();
    }
  });

  it('an unknown host fails the send with the DNS error as its cause', async () => {
    const producer = new Producer({ bootstrap: 'no-such-host.invalid:9092' });
    try {
      const error = await producer.send({ topic: 'orders', value: 'x' }).then(
        () => assert.fail('send succeeded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof KafkaClientError);
      assert.equal(error.errorName, 'NETWORK_EXCEPTION');
      assert.match(error.message, /no-such-host\.invalid/);
      assert.ok(causeCodes(error).some((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN'), `cause chain: ${causeCodes(error).join(', ')}`);
    } finally {
      await producer.close();
    }
  });

  it('a port that is not Kafka (answers like an HTTP server) is named as such', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    });
    const port = await listen(server);
    const producer = new Producer({ bootstrap: `127.0.0.1:${port}` });
    try {
      const error = await producer.send({ topic: 'orders', value: 'x' }).then(
        () => assert.fail('send succeeded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof KafkaClientError);
      assert.match(error.message, /did not answer ApiVersions.*not a Kafka broker/);
    } finally {
      await producer.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a producer that is never used', () => {
  it('opens no connection', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const port = await listen(server);
    const producer = new Producer({ bootstrap: `127.0.0.1:${port}` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(connections, 0);
    await producer.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('does not keep the process alive', async () => {
    const port = await closedPort();
    const producerModule = new URL('../../src/client/index.ts', import.meta.url).pathname;
    const script = `import { Producer } from ${JSON.stringify(producerModule)}; new Producer({ bootstrap: '127.0.0.1:${port}' });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    assert.equal(signal, null, 'the process had to be killed: the unused producer kept it alive');
    assert.equal(code, 0, stderr);
  });
});

describe('option names', () => {
  it('a misspelt producer option is refused with the nearest valid name', () => {
    assert.throws(
      () => new Producer({ bootstrap: '127.0.0.1:9092', lingerMS: 5 } as never),
      (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_CONFIG' && /unknown producer option 'lingerMS'; did you mean 'lingerMs'\?/.test(error.message),
    );
    assert.throws(() => new Producer({ bootstrap: '127.0.0.1:9092', 'linger.msec': 5 } as never), /did you mean 'linger\.ms'/);
  });

  it('a misspelt startBroker option is refused with the nearest valid name', async () => {
    await assert.rejects(startBroker({ numPartitons: 3 } as never), /unknown startBroker option 'numPartitons'; did you mean 'numPartitions'\?/);
  });

  it('NAME://host:port is a bootstrap address; a secured listener without the ssl/sasl options it needs is refused', () => {
    assert.deepEqual(resolveProducerConfig({ bootstrap: 'PLAINTEXT://127.0.0.1:9092,plaintext://[::1]:9093' }).bootstrap, [
      { host: '127.0.0.1', port: 9092 },
      { host: '::1', port: 9093 },
    ]);
    assert.throws(() => resolveProducerConfig({ bootstrap: 'SSL://127.0.0.1:9093' }), /is a SSL listener: set the ssl option/);
    // INT configs stop at 2^31-1, as in Kafka's ConfigDef; buffer.memory is a LONG.
    assert.throws(() => resolveProducerConfig({ bootstrap: '127.0.0.1:9092', batchSize: 3_000_000_000 }), /batch\.size must be a number from 0 to 2147483647, got 3000000000/);
    assert.equal(resolveProducerConfig({ bootstrap: '127.0.0.1:9092', bufferMemory: 8_000_000_000 }).bufferMemory, 8_000_000_000);
    // A BOOLEAN config is true or false (or their strings): anything else used to turn idempotence off silently.
    assert.throws(() => resolveProducerConfig({ bootstrap: '127.0.0.1:9092', 'enable.idempotence': 'yes' as 'true' }), /enable\.idempotence must be true or false, got 'yes'/);
    assert.equal(resolveProducerConfig({ bootstrap: '127.0.0.1:9092', 'enable.idempotence': 'false' }).idempotent, false);
    assert.throws(() => resolveProducerConfig({ bootstrap: 'SASL_SSL://127.0.0.1:9093', ssl: true }), /is a SASL_SSL listener: set the sasl option/);
    assert.deepEqual(resolveProducerConfig({ bootstrap: 'SASL_SSL://127.0.0.1:9093', ssl: true, sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } }).bootstrap, [{ host: '127.0.0.1', port: 9093 }]);
  });
});

describe('send input and lifecycle', () => {
  it('wrong-typed records are refused naming the field; nothing is stored and the producer stays usable', async () => {
    const broker = await startBroker({ topics: [{ name: 'typed', partitions: 1 }] });
    const producer = new Producer({ bootstrap: `PLAINTEXT://${broker.bootstrap}` });
    try {
      const bad: [unknown, RegExp][] = [
        [{ topic: 'typed', value: 42 }, /^value must be a string, Buffer, Uint8Array or null, got a number/],
        [{ topic: 'typed', value: { a: 1 } }, /^value must be .* got an object/],
        [{ topic: 'typed', key: 7, value: 'v' }, /^key must be .* got a number/],
        [{ topic: 'typed', messages: [{ value: 'v' }] }, /KafkaJS shape/],
        [{ topic: 'typed' }, /^value is missing/],
        [{ topic: 'typed', value: 'v', headers: { trace: 5 } }, /^headers\.trace must be/],
        [{ topic: 42, value: 'v' }, /^topic must be a non-empty string/],
      ];
      for (const [record, message] of bad) {
        await assert.rejects(producer.send(record as ProducerRecord), (error: unknown) => {
          assert.ok(error instanceof KafkaClientError, String(error));
          assert.equal(error.errorName, 'INVALID_RECORD_TYPE');
          assert.match(error.message, message);
          return true;
        });
      }
      await assert.rejects(producer.send([{ topic: 'typed', value: 'ok' }, { topic: 'typed', value: 42 } as never]), /^KafkaClientError: records\[1\]\.value must be/);
      const { offset } = await producer.send({ topic: 'typed', key: Buffer.from('k'), value: new Uint8Array([1, 2]), headers: [{ key: 'h', value: null }] });
      assert.equal(offset, 0n, 'a refused record was stored');
      const scan = await readLog({ bootstrap: broker.bootstrap, topic: 'typed' });
      assert.equal(scan.get(0)?.length, 1);
    } finally {
      await producer.close();
      await broker.close();
    }
  });

  it('a send after close fails with PRODUCER_CLOSED, not a broker error', async () => {
    const producer = new Producer({ bootstrap: '127.0.0.1:9092' });
    await producer.close();
    await assert.rejects(producer.send({ topic: 'orders', value: 'x' }), (error: unknown) => {
      assert.ok(error instanceof KafkaClientError);
      assert.equal(error.errorName, 'PRODUCER_CLOSED');
      assert.equal(error.kind, 'fatal');
      assert.match(error.message, /closed/);
      return true;
    });
  });
});

describe('startBroker({ topics })', () => {
  it('creates the topics before it resolves, with the partition counts asked for', async () => {
    const broker = await startBroker({ topics: [{ name: 'orders', partitions: 3 }, { name: 'audit' }] });
    try {
      const producer = new Producer({ bootstrap: broker.bootstrap });
      try {
        const sent = await producer.send({ topic: 'orders', partition: 2, value: 'x' });
        assert.equal(sent.partition, 2);
      } finally {
        await producer.close();
      }
      assert.deepEqual([...(await readLog({ bootstrap: broker.bootstrap, topic: 'orders' })).keys()].sort(), [0, 1, 2]);
      assert.deepEqual([...(await readLog({ bootstrap: broker.bootstrap, topic: 'audit' })).keys()], [0]);
    } finally {
      await broker.close();
    }
  });
});
