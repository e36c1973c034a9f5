// A `LogFileSystem` with switches for disk faults (failed fsync, slow fsync, full disk) and for a simulated process crash:
// after `powerOff()` every operation that would change the disk fails with EIO, so a broker being torn down writes
// no clean-shutdown marker, no index, no snapshot and no checkpoint — what kill -9 leaves behind. Bytes already
// written stay (they are in the page cache, which survives a process crash).
import { nodeFileSystem, type LogFileSystem } from '../broker/log/log-file-system.ts';

export interface FaultyFileSystem extends LogFileSystem {
  /** Counters of what the switches did. */
  readonly injected: { fsyncFailures: number; slowFsyncs: number; diskFullWrites: number };
  /** The next `count` fsyncs fail with EIO (Infinity: all of them until `heal()`). */
  failFsync(count?: number): void;
  /** Every fsync takes this much longer (0 turns it off). */
  slowFsync(ms: number): void;
  /** Writes fail with ENOSPC while on. */
  setDiskFull(full: boolean): void;
  /** Turns every fault switch off (not the power). */
  heal(): void;
  /** From now on every mutating operation fails: the process is "dead" to the disk. */
  powerOff(): void;
  powerOn(): void;
  readonly poweredOff: boolean;
}

function ioError(code: 'EIO' | 'ENOSPC', operation: string): Error {
  const text = code === 'EIO' ? 'i/o error' : 'no space left on device';
  return Object.assign(new Error(`${code}: ${text}, ${operation} (injected)`), { code });
}

export function faultyFileSystem(base: LogFileSystem = nodeFileSystem): FaultyFileSystem {
  let fsyncFailuresLeft = 0;
  let fsyncDelayMs = 0;
  let diskFull = false;
  let off = false;
  const injected = { fsyncFailures: 0, slowFsyncs: 0, diskFullWrites: 0 };

  const whenOn = (operation: string): void => {
    if (off) throw ioError('EIO', operation);
  };
  const beforeFsync = async (): Promise<void> => {
    whenOn('fsync');
    if (fsyncDelayMs > 0) {
      injected.slowFsyncs++;
      await new Promise((resolve) => setTimeout(resolve, fsyncDelayMs));
      whenOn('fsync');
    }
    if (fsyncFailuresLeft > 0) {
      fsyncFailuresLeft--;
      injected.fsyncFailures++;
      throw ioError('EIO', 'fsync');
    }
  };

  return {
    ...base,
    injected,
    open(path, mode) {
      if (mode !== 'r') whenOn(`open ${mode}`);
      return base.open(path, mode);
    },
    write(fd, buffer, offset, length, position) {
      whenOn('write');
      if (diskFull) {
        injected.diskFullWrites++;
        throw ioError('ENOSPC', 'write');
      }
      return base.write(fd, buffer, offset, length, position);
    },
    async fsync(fd) {
      await beforeFsync();
      await base.fsync(fd);
    },
    fsyncSync(fd) {
      whenOn('fsync');
      if (fsyncFailuresLeft > 0) {
        fsyncFailuresLeft--;
        injected.fsyncFailures++;
        throw ioError('EIO', 'fsync');
      }
      base.fsyncSync(fd);
    },
    truncate(fd, length) {
      whenOn('truncate');
      base.truncate(fd, length);
    },
    unlink(path) {
      whenOn('unlink');
      base.unlink(path);
    },
    rename(from, to) {
      whenOn('rename');
      base.rename(from, to);
    },
    mkdir(path) {
      whenOn('mkdir');
      base.mkdir(path);
    },
    removeDirectory(path) {
      whenOn('rmdir');
      base.removeDirectory(path);
    },
    async fsyncDirectory(path) {
      await beforeFsync();
      await base.fsyncDirectory(path);
    },
    fsyncDirectorySync(path) {
      whenOn('fsync');
      base.fsyncDirectorySync(path);
    },
    failFsync(count = 1) {
      fsyncFailuresLeft = count;
    },
    slowFsync(ms) {
      fsyncDelayMs = ms;
    },
    setDiskFull(full) {
      diskFull = full;
    },
    heal() {
      fsyncFailuresLeft = 0;
      fsyncDelayMs = 0;
      diskFull = false;
    },
    powerOff() {
      off = true;
    },
    powerOn() {
      off = false;
    },
    get poweredOff() {
      return off;
    },
  };
}
