// Open segment files stay under the process-wide bound however many partitions there are, and a segment whose
// descriptor was closed reads, appends and fsyncs as before (it reopens on use).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from './log-manager.ts';
import { segmentFileHandles } from './segment-file-handles.ts';
import { simpleBatch, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());

const openFds = (): number => readdirSync('/proc/self/fd').length;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('segment file handles', () => {
  it('keeps 60 partitions within a bound of 10 open segment files, through start-up, appends and reads', async () => {
    const previous = segmentFileHandles.limit;
    segmentFileHandles.limit = 10;
    const dataDir = join(temp.path, 'many');
    try {
      const manager = await LogManager.open({ dataDir });
      await manager.createTopic('t', { partitions: 60 });
      // Appended in one synchronous pass, as one Produce to every partition is: the bound holds inside it too.
      const durable: Promise<void>[] = [];
      for (let partition = 0; partition < 60; partition++) {
        const log = manager.getLog('t', partition);
        assert.ok(log);
        const { lastOffset } = log.append(simpleBatch(2));
        assert.ok(segmentFileHandles.openCount <= 10, `${segmentFileHandles.openCount} open while appending`);
        durable.push(log.waitDurable(lastOffset));
      }
      await Promise.all(durable);
      assert.ok(segmentFileHandles.openCount <= 10, `${segmentFileHandles.openCount} open after appends`);
      await manager.close();

      const before = openFds();
      const again = await LogManager.open({ dataDir });
      await nextTurn();
      assert.ok(segmentFileHandles.openCount <= 10, `${segmentFileHandles.openCount} open after start-up`);
      assert.ok(openFds() - before <= 12, `${openFds() - before} descriptors held after start-up`);
      // Every partition still reads and appends (their descriptors reopen on use).
      for (let partition = 0; partition < 60; partition++) {
        const log = again.getLog('t', partition);
        assert.ok(log);
        assert.equal(log.logEndOffset, 2n);
        assert.ok(log.read(0n, 1 << 20).records.length > 0, `partition ${partition} reads`);
        const { lastOffset } = log.append(simpleBatch(1));
        await log.waitDurable(lastOffset);
        assert.equal(log.logEndOffset, 3n);
      }
      await nextTurn();
      assert.ok(segmentFileHandles.openCount <= 10, `${segmentFileHandles.openCount} open after reads`);
      await again.close();
      assert.equal(segmentFileHandles.openCount, 0, 'closing the logs closes every file');
    } finally {
      segmentFileHandles.limit = previous;
    }
  });
});
