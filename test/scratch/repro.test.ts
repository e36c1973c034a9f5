import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.ts';
import { Producer } from '../../src/client/index.ts';

function dump(producer: Producer): string {
  const p = producer as unknown as Record<string, unknown>;
  const acc = p['accumulator'] as { deques: Map<string, { batches: { baseSequence: number; attempts: number; producerEpoch: number; lastAttemptMs: number; recordCount: number; inRetry: boolean }[] }> };
  const idem = p['idempotence'] as { state: string; producerIdAndEpoch: unknown; partitions: Map<string, { nextSequence: number; lastAckedSequence: number; producerIdAndEpoch: unknown; inflight: { baseSequence: number; producerEpoch: number; attempts: number; done: boolean }[] }>; unresolved: Map<string, number>; epochBumps: number };
  const sender = p['sender'] as { inflightRequests: Map<number, number>; timerAt: number; scheduled: boolean };
  const lines: string[] = [];
  lines.push(`idem state=${idem.state} pe=${JSON.stringify(idem.producerIdAndEpoch, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))} bumps=${idem.epochBumps} unresolved=${JSON.stringify([...idem.unresolved])}`);
  lines.push(`sender inflightRequests=${JSON.stringify([...sender.inflightRequests])} timerAt=${sender.timerAt - Date.now()} scheduled=${sender.scheduled}`);
  for (const [k, e] of idem.partitions) lines.push(`entry ${k}: next=${e.nextSequence} acked=${e.lastAckedSequence} inflight=${JSON.stringify(e.inflight.map((b) => [b.baseSequence, b.producerEpoch, b.attempts, b.done]))}`);
  for (const [k, d] of acc.deques) lines.push(`deque ${k}: ${JSON.stringify(d.batches.slice(0, 8).map((b) => [b.baseSequence, b.producerEpoch, b.attempts, b.inRetry, Date.now() - b.lastAttemptMs]))} len=${d.batches.length}`);
  return lines.join('\n');
}

for (let run = 0; run < Number(process.env.RUNS ?? 10); run++) {
  it(`in flight run ${run}`, { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-repro-'));
    let broker = await startBroker({ dataDir });
    const port = broker.port;
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0, batchSize: 512, retryBackoffMs: 50, deliveryTimeoutMs: 15000, requestTimeoutMs: 10000 });
    const watchdog = setTimeout(() => console.log(`STUCK run ${run}\n${dump(producer)}`), 8000);
    try {
      const total = 3000;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        sends.push(producer.send({ topic: 'inflight', partition: 0, value: `r-${i}` }));
        if (i === 1000) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          console.log(`before close\n${dump(producer)}`);
          await broker.close();
          console.log(`after close\n${dump(producer)}`);
          broker = await startBroker({ dataDir, port });
        }
      }
      const results = await Promise.allSettled(sends);
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, `failed sends: ${failed.slice(0, 3).map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
    } finally {
      clearTimeout(watchdog);
      await producer.close();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
