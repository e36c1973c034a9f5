// Small metadata files (recovery point, log start offset, clean-shutdown marker, topic metadata), replaced
// atomically as Kafka's `CheckpointFile` does: write a temp file, fsync it, rename it over the old one, fsync
// the directory. A reader therefore sees either the old or the new content, never a mix.
import { dirname } from 'node:path';
import type { LogFileSystem } from './log-file-system.ts';
import { TEMP_FILE_SUFFIX } from './file-names.ts';

/** The whole file, or null when it does not exist. */
export function readSmallFile(fs: LogFileSystem, path: string): Buffer | null {
  if (fs.stat(path) === null) return null;
  const fd = fs.open(path, 'r');
  try {
    const size = fs.fstat(fd).size;
    const buffer = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = fs.read(fd, buffer, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buffer.subarray(0, done);
  } finally {
    fs.close(fd);
  }
}

export function writeFully(fs: LogFileSystem, fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) {
    done += fs.write(fd, data, done, data.length - done, position + done);
  }
}

/** Replaces `path` with `data` atomically; with `durable` (default) the new content survives a power cut. */
export function writeFileAtomic(fs: LogFileSystem, path: string, data: Buffer, durable = true): void {
  const temp = path + TEMP_FILE_SUFFIX;
  const fd = fs.open(temp, 'w+');
  try {
    writeFully(fs, fd, data, 0);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(temp, path);
  if (durable) fs.fsyncDirectorySync(dirname(path));
}

/**
 * `writeFileAtomic` without blocking: the temp file is fsynced off the event loop, then renamed over `path`. The
 * rename is durable only once the caller fsyncs the directory, which lets several changes share one directory
 * fsync.
 */
export async function replaceFileAsync(fs: LogFileSystem, path: string, data: Buffer): Promise<void> {
  const temp = path + TEMP_FILE_SUFFIX;
  const fd = fs.open(temp, 'w+');
  try {
    writeFully(fs, fd, data, 0);
    await fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(temp, path);
}

// One offset per file, in the text layout of Kafka's checkpoint files: a version line, then the value.
const CHECKPOINT_VERSION = '0';

export function writeOffsetCheckpoint(fs: LogFileSystem, path: string, offset: bigint, durable = true): void {
  writeFileAtomic(fs, path, offsetCheckpointBytes(offset), durable);
}

export function offsetCheckpointBytes(offset: bigint): Buffer {
  return Buffer.from(`${CHECKPOINT_VERSION}\n${offset}\n`);
}

/** The stored offset, or null when the file is missing or unreadable (a torn write counts as missing). */
export function readOffsetCheckpoint(fs: LogFileSystem, path: string): bigint | null {
  const data = readSmallFile(fs, path);
  if (data === null) return null;
  const match = /^0\n(-?\d{1,19})\n$/.exec(data.toString('latin1'));
  if (!match) return null;
  return BigInt(match[1]);
}

export function removeIfExists(fs: LogFileSystem, path: string): boolean {
  if (fs.stat(path) === null) return false;
  fs.unlink(path);
  return true;
}
