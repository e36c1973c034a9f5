// One broker per data directory: a second broker on a data dir in use fails to start with a clear error instead of
// interleaving its appends with the first one's; a lock left by a process that died (kill -9) is taken over.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startBroker } from '../../src/broker/index.ts';

it('refuses a second broker on the same data dir, and starts again once the first is closed', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-lock-'));
  try {
    const first = await startBroker({ dataDir });
    await assert.rejects(startBroker({ dataDir }), /in use/);
    await first.close();
    const second = await startBroker({ dataDir });
    await second.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('takes over a lock whose process is gone', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-lock-'));
  try {
    // The pid of a process that has certainly exited.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dataDir, '.lock'), `${deadPid}\n`);
    const broker = await startBroker({ dataDir });
    await broker.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('refuses a data dir locked by a live process', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-lock-'));
  try {
    // The parent of this test process is alive for as long as the test runs.
    writeFileSync(join(dataDir, '.lock'), `${process.ppid}\n`);
    await assert.rejects(startBroker({ dataDir }), new RegExp(`in use by process ${process.ppid}`));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('creates a data dir that does not exist yet, parents included (Kafka creates its log.dirs)', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'seqlog-new-dir-'));
  const dataDir = join(parent, 'not', 'there', 'yet');
  try {
    const broker = await startBroker({ dataDir });
    try {
      assert.equal(broker.dataDir, dataDir);
      assert.ok(existsSync(join(dataDir, '.lock')));
    } finally {
      await broker.close();
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
