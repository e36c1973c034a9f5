// One broker per data directory (Kafka locks each log dir with a `.lock` file): two brokers appending to the same
// segments would interleave their batches and corrupt both logs. Node has no flock, so the lock is a file holding
// the owner's pid, created exclusively; a lock whose process is gone (kill -9) is stale and taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LOCK_FILE = '.lock';
/** Data dirs locked by brokers of this process (a pid alone cannot tell two in-process brokers apart). */
const lockedHere = new Set<string>();

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export interface DataDirLock {
  release(): void;
}

/** Locks `dataDir` for this broker, or throws DataDirLockedError naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const directory = resolve(dataDir);
  if (lockedHere.has(directory)) throw new DataDirLockedError(`data dir ${directory} is in use by another broker in this process`);
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      lockedHere.add(directory);
      return {
        release() {
          lockedHere.delete(directory);
          if (ownerOf(path) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = ownerOf(path);
      // Our own pid here means an earlier broker of this process stopped without releasing (a simulated crash).
      if (owner !== null && owner !== process.pid && processIsAlive(owner)) {
        throw new DataDirLockedError(`data dir ${directory} is in use by process ${owner} (remove ${path} only if no broker runs there)`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirLockedError(`could not lock data dir ${directory}`);
}
