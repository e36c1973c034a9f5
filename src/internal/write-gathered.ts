// One gathered write of a frame held as consecutive chunks: a Fetch answer's stored batches on the broker, a
// Produce request's record batches in the producer. Neither side assembles the frame in memory first.
import type { Socket } from 'node:net';

/**
 * Writes the chunks with one writev (corked writes go out together, Node's `Writable._writev`); `written` runs
 * when the last one has been handed to the kernel, or the write failed. Until then the chunks' memory must not
 * change.
 */
export function writeGathered(socket: Socket, chunks: readonly Uint8Array[], written: (error?: Error | null) => void): void {
  if (chunks.length === 1) {
    socket.write(chunks[0], written);
    return;
  }
  socket.cork();
  for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i]);
  socket.write(chunks[chunks.length - 1], written);
  socket.uncork();
}
