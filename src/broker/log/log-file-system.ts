// The file operations the partition log uses, behind one interface so that tests and the testkit can count
// fsyncs and inject faults (failed or slow fsync, EIO on write, a full disk) without touching the real disk.
// Everything is synchronous except fsync: appends must stage bytes with no `await` (docs/design.md, "Await rules"),
// while an fsync can take milliseconds and must not block the event loop.
import * as fs from 'node:fs';

export interface FileStats {
  size: number;
  mtimeMs: number;
}

/** 'r' read-only, 'r+' read/write existing, 'wx+' create new (fails if it exists), 'w+' create or truncate. */
export type OpenMode = 'r' | 'r+' | 'wx+' | 'w+';

export interface LogFileSystem {
  open(path: string, mode: OpenMode): number;
  close(fd: number): void;
  /** Positional write; returns the bytes written (may be fewer than asked). */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** Positional read; returns the bytes read (0 at end of file). */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  fsync(fd: number): Promise<void>;
  fsyncSync(fd: number): void;
  truncate(fd: number, length: number): void;
  fstat(fd: number): FileStats;
  /** null when nothing exists at `path`. */
  stat(path: string): FileStats | null;
  unlink(path: string): void;
  /** Unlinks off the event loop (removing a large file can take milliseconds); without it, `unlink` is used. */
  unlinkAsync?(path: string): Promise<void>;
  rename(from: string, to: string): void;
  /** Creates the directory and its parents; no error if it exists. */
  mkdir(path: string): void;
  readdir(path: string): string[];
  /** Removes a directory and everything under it. */
  removeDirectory(path: string): void;
  /** Makes a directory's entries (created, renamed, deleted files) durable. */
  fsyncDirectory(path: string): Promise<void>;
  fsyncDirectorySync(path: string): void;
}

const openFlags: Record<OpenMode, string> = { r: 'r', 'r+': 'r+', 'wx+': 'wx+', 'w+': 'w+' };

/** The real file system (node:fs). */
export const nodeFileSystem: LogFileSystem = {
  open: (path, mode) => fs.openSync(path, openFlags[mode]),
  close: (fd) => fs.closeSync(fd),
  write: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  read: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  fsync: (fd) =>
    new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (error) => (error ? reject(error) : resolve()));
    }),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  fstat: (fd) => {
    const stats = fs.fstatSync(fd);
    return { size: stats.size, mtimeMs: stats.mtimeMs };
  },
  stat: (path) => {
    const stats = fs.statSync(path, { throwIfNoEntry: false });
    return stats ? { size: stats.size, mtimeMs: stats.mtimeMs } : null;
  },
  unlink: (path) => fs.unlinkSync(path),
  unlinkAsync: (path) => fs.promises.unlink(path),
  rename: (from, to) => fs.renameSync(from, to),
  mkdir: (path) => {
    fs.mkdirSync(path, { recursive: true });
  },
  readdir: (path) => fs.readdirSync(path),
  removeDirectory: (path) => fs.rmSync(path, { recursive: true, force: true }),
  fsyncDirectory: (path) =>
    new Promise<void>((resolve, reject) => {
      fs.open(path, 'r', (openError, fd) => {
        if (openError) return reject(openError);
        fs.fsync(fd, (syncError) => {
          fs.close(fd, () => (syncError ? reject(syncError) : resolve()));
        });
      });
    }),
  fsyncDirectorySync: (path) => {
    const fd = fs.openSync(path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};
