// Buffered positional reads over one segment file, so that walking batch headers (61 bytes each) costs one
// pread per chunk rather than one per batch. A returned view is only valid until the next call.
import type { LogFileSystem } from './log-file-system.ts';

export class SegmentFileReader {
  private chunk: Buffer;
  private chunkStart = 0;
  private chunkLength = 0;

  constructor(
    private readonly fs: LogFileSystem,
    /** The descriptor, or how to get it at each read (a segment may close and reopen its file between reads). */
    private readonly fd: number | (() => number),
    /** Bytes of the file that may be read; reads never go past it. */
    private readonly end: number,
    private readonly chunkSize = 16 * 1024,
    /** A buffer of at least `chunkSize` bytes to read into, for a reader used synchronously and then dropped. */
    scratch?: Buffer,
  ) {
    this.chunk = scratch !== undefined && scratch.length >= chunkSize ? scratch : Buffer.allocUnsafe(chunkSize);
  }

  private descriptor(): number {
    return typeof this.fd === 'number' ? this.fd : this.fd();
  }

  /**
   * Bytes [position, position + length), or a shorter view when the file ends first. Requests larger than the
   * chunk size get a buffer of their own.
   */
  view(position: number, length: number): Buffer {
    const available = Math.max(0, Math.min(length, this.end - position));
    if (position >= this.chunkStart && position + available <= this.chunkStart + this.chunkLength) {
      return this.chunk.subarray(position - this.chunkStart, position - this.chunkStart + available);
    }
    if (available > this.chunkSize) {
      const own = Buffer.allocUnsafe(available);
      const n = readAt(this.fs, this.descriptor(), own, position);
      return own.subarray(0, n);
    }
    this.chunkStart = position;
    this.chunkLength = readAt(this.fs, this.descriptor(), this.chunk.subarray(0, Math.min(this.chunkSize, this.end - position)), position);
    return this.chunk.subarray(0, Math.min(available, this.chunkLength));
  }
}

/** Fills `into` from `position` until it is full or the file ends; returns the bytes read. */
export function readAt(fs: LogFileSystem, fd: number, into: Buffer, position: number): number {
  let done = 0;
  while (done < into.length) {
    const n = fs.read(fd, into, done, into.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
