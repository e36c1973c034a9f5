// The producer reuses the memory of finished batches and of written request frames (BufferPool). Against the real
// broker: bursts of records with distinct bytes and varied sizes, on several partitions, uncompressed and
// compressed, and with batches split after MESSAGE_TOO_LARGE, are read back byte for byte in send order, so no
// batch or frame was overwritten while something still read it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, Producer, type ProducerOptions } from '../../src/client/index.ts';
import { readLog } from '../../src/testkit/log-reader.ts';

const partitions = 4;

/** Record i: its index, then a size and fill of its own (1 to 3,000 bytes). */
function valueOf(i: number): Buffer {
  const size = 8 + ((i * 7919) % 3000);
  const value = Buffer.alloc(size, (i * 31) % 251);
  value.writeUInt32BE(i, 0);
  value.writeUInt32BE(size, 4);
  return value;
}

describe('producer memory reuse', { timeout: 120_000 }, () => {
  let broker: RunningBroker;
  let admin: Admin;

  before(async () => {
    broker = await startBroker();
    admin = new Admin({ bootstrap: broker.bootstrap });
  });

  after(async () => {
    await admin?.close();
    await broker?.close();
  });

  async function sendAndReadBack(topic: string, count: number, options: Partial<ProducerOptions>, configs: Record<string, string> = {}): Promise<void> {
    await admin.createTopics([{ name: topic, partitions, configs }]);
    // A corrupted batch is answered CORRUPT_MESSAGE, which is retried: fail within the test's time instead.
    const producer = new Producer({ bootstrap: broker.bootstrap, requestTimeoutMs: 10_000, deliveryTimeoutMs: 20_000, ...options });
    try {
      // Rounds of bursts: batches of the first round are done, and their memory reused, while later ones fill.
      for (let round = 0; round < 4; round++) {
        const from = (round * count) / 4;
        await Promise.all(Array.from({ length: count / 4 }, (_, j) => producer.send({ topic, partition: (from + j) % partitions, value: valueOf(from + j) })));
      }
    } finally {
      await producer.close();
    }
    const scan = await readLog({ bootstrap: broker.bootstrap, topic, partitions: Array.from({ length: partitions }, (_, p) => p) });
    let total = 0;
    for (let p = 0; p < partitions; p++) {
      const stored = scan.get(p) ?? [];
      total += stored.length;
      stored.forEach((record, n) => {
        const expected = valueOf(p + n * partitions);
        assert.ok(record.valueBytes?.equals(expected), `${topic}-${p} offset ${record.offset}: record ${record.valueBytes?.readUInt32BE(0)} of ${record.valueBytes?.length} bytes where record ${p + n * partitions} was expected`);
      });
    }
    assert.equal(total, count);
  }

  it('reads back every record byte for byte after batches and frames were reused', async () => {
    await sendAndReadBack('reuse-plain', 8000, {});
  });

  it('does so with compressed batches, whose record memory goes back at compression', async () => {
    await sendAndReadBack('reuse-gzip', 4000, { compression: 'gzip' });
  });

  it('does so when batches grown past the topic limit are split (MESSAGE_TOO_LARGE)', async () => {
    await sendAndReadBack('reuse-split', 4000, {}, { 'max.message.bytes': '40000' });
  });
});
