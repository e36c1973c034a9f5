// ExactlyOnceProcessor (seqlog/client) against each broker of EOS_TARGETS: a consume-transform-produce process is
// killed with SIGKILL three times at random points (often with a transaction open) and restarted with the same
// transactional id; afterwards a read_committed read of the output holds every input record's output exactly
// once, and the group's committed offsets are at the end of the input. Two processors sharing a group through
// rebalances (one joins mid-run, then the first leaves) also produce every output exactly once: no transaction
// spans a revoke.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Consumer, ExactlyOnceProcessor, Producer, type ConsumerRecord } from '../../src/client/index.ts';
import { createTopic } from '../../src/testkit/topics.ts';
import { mulberry32, readLog } from '../../src/testkit/index.ts';
import type { RunningBroker } from './transactions/brokers.ts';
import { EOS_TARGETS } from './eos/targets.ts';

const childScript = fileURLToPath(new URL('./eos/processor-child.ts', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  commits: number;
  readonly exited: Promise<number | null>;
}

function startChild(args: readonly string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const handle: Child = { process: child, commits: 0, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    handle.commits += chunk.split('\n').filter((line) => line.startsWith('commit ')).length;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(`[processor] ${chunk}`));
  return handle;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function committedOutputs(bootstrap: string, topic: string): Promise<Map<string, number>> {
  const scan = await readLog({ bootstrap, topic, isolationLevel: 'read_committed' });
  const seen = new Map<string, number>();
  for (const records of scan.values()) for (const record of records) seen.set(record.value ?? '', (seen.get(record.value ?? '') ?? 0) + 1);
  return seen;
}

async function groupAtEnd(bootstrap: string, groupId: string, topic: string, partitions: number): Promise<void> {
  const checker = new Consumer({ bootstrap, groupId });
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const ends = await checker.endOffsets(tps);
    await waitFor('the group to commit the end of the input', async () => {
      const committed = await checker.committed(tps);
      return ends.every((end) => committed.some((c) => c.partition === end.partition && c.offset >= end.offset));
    });
  } finally {
    await checker.close();
  }
}

for (const { target } of EOS_TARGETS) {
  describe(`ExactlyOnceProcessor against ${target.name}`, { timeout: 300_000 }, () => {
    let broker: RunningBroker;

    before(async () => {
      broker = await target.start();
    });

    after(async () => {
      await broker?.stop();
    });

    it('kill -9 of the processing process (three times) and restart: every input appears exactly once in the read_committed output', async () => {
      const input = 'eos-kill-in';
      const output = 'eos-kill-out';
      const groupId = 'eos-kill-group';
      const partitions = 3;
      const total = 900;
      await createTopic(broker.bootstrap, input, partitions);
      await createTopic(broker.bootstrap, output, partitions);
      // Small input batches: the processor's transactions follow the fetched batches, and the kills need many.
      const producer = new Producer({ bootstrap: broker.bootstrap, batchSize: 300, lingerMs: 0 });
      await producer.send(Array.from({ length: total }, (_, i) => ({ topic: input, partition: i % partitions, key: `k${i}`, value: `in-${i}` })));
      await producer.close();

      const args = [broker.bootstrap, groupId, 'eos-kill-processor', input, output];
      const random = mulberry32(12);
      let kills = 0;
      for (; kills < 3; kills++) {
        const child = startChild(args);
        // Kill after a few committed transactions, at a random moment of the next one.
        const after = 2 + Math.floor(random() * 6);
        await waitFor(`commit #${after} of run ${kills + 1}`, () => child.commits >= after);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
        child.process.kill('SIGKILL');
        assert.equal(await child.exited, null, 'killed by the signal, not exited');
      }

      const last = startChild(args);
      const checker = new Consumer({ bootstrap: broker.bootstrap, groupId });
      try {
        const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: input, partition }));
        const ends = await checker.endOffsets(tps);
        await waitFor('the group to commit the end of the input', async () => {
          const committed = await checker.committed(tps);
          return ends.every((end) => committed.some((c) => c.partition === end.partition && c.offset >= end.offset));
        });
      } finally {
        await checker.close();
        last.process.kill('SIGTERM');
        await last.exited;
      }

      const scan = await readLog({ bootstrap: broker.bootstrap, topic: output, isolationLevel: 'read_committed' });
      const seen = new Map<string, number>();
      for (const records of scan.values()) for (const record of records) seen.set(record.value ?? '', (seen.get(record.value ?? '') ?? 0) + 1);
      const missing = Array.from({ length: total }, (_, i) => `out:in-${i}`).filter((value) => !seen.has(value));
      const duplicated = [...seen].filter(([, count]) => count > 1).map(([value]) => value);
      assert.equal(kills, 3);
      assert.deepEqual(missing, [], 'every input has an output');
      assert.deepEqual(duplicated, [], 'no input has two outputs');
      assert.equal(seen.size, total);
      // The killed processes left aborted (or fenced) transactions behind: read_uncommitted shows more records.
      const everything = await readLog({ bootstrap: broker.bootstrap, topic: output });
      const written = [...everything.values()].reduce((sum, records) => sum + records.length, 0);
      process.stderr.write(`kill -9 x${kills}: ${total} inputs, ${seen.size} committed outputs, ${written} records written in all\n`);
    });

    it('rebalances: a second processor joins mid-run, then the first leaves; every input appears exactly once', async () => {
      const input = 'eos-rebalance-in';
      const output = 'eos-rebalance-out';
      const groupId = 'eos-rebalance-group';
      const partitions = 4;
      const total = 1200;
      await createTopic(broker.bootstrap, input, partitions);
      await createTopic(broker.bootstrap, output, partitions);
      const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0 });
      for (let from = 0; from < total; from += 20) {
        await producer.send(Array.from({ length: 20 }, (_, k) => ({ topic: input, partition: (from + k) % partitions, value: `in-${from + k}` })));
      }
      await producer.close();

      const revokedWithOpenTransaction: string[] = [];
      const start = (name: string): { processor: ExactlyOnceProcessor; running: Promise<void>; commits: () => number } => {
        let commits = 0;
        const processor = new ExactlyOnceProcessor({
          bootstrap: broker.bootstrap,
          groupId,
          transactionalId: `eos-rebalance-${name}`,
          inputTopics: input,
          consumer: { maxPartitionFetchBytes: 256, sessionTimeoutMs: 10_000 },
          async transform(record: ConsumerRecord) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return { topic: output, value: `out:${record.valueString() ?? ''}` };
          },
          onCommit: () => {
            commits++;
          },
        });
        const running = processor.run().catch((error: unknown) => {
          revokedWithOpenTransaction.push(`${name}: ${String(error)}`);
        });
        return { processor, running, commits: () => commits };
      };
      const first = start('a');
      await waitFor('the first processor to commit', () => first.commits() >= 5);
      const second = start('b');
      // The rebalance has happened once the second processor owns partitions (input is left: 5 ms per record).
      await waitFor('the second processor to be assigned partitions', () => second.processor.consumer.assignment().length > 0);
      const firstCommitsBeforeLeaving = first.commits();
      await first.processor.close();
      await first.running;
      await groupAtEnd(broker.bootstrap, groupId, input, partitions);
      await second.processor.close();
      await second.running;

      assert.deepEqual(revokedWithOpenTransaction, [], 'neither processor failed');
      const seen = await committedOutputs(broker.bootstrap, output);
      const missing = Array.from({ length: total }, (_, i) => `out:in-${i}`).filter((value) => !seen.has(value));
      assert.deepEqual(missing, []);
      assert.deepEqual([...seen].filter(([, count]) => count > 1), []);
      assert.ok(firstCommitsBeforeLeaving >= 5 && second.commits() > 0, `commits: first ${first.commits()}, second ${second.commits()}`);
    });
  });
}
