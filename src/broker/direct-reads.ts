// Socket reads into memory the reader chooses. A Node socket's 'data' events hand over a freshly allocated buffer
// per read (64 KiB reserved, then trimmed), which under ingest is as much garbage as the bytes received. net.Socket's
// `onread` option reads into buffers the caller supplies instead, but net.Server offers it for no accepted socket:
// an accepted socket's handle is therefore moved to a socket created with `onread`. Reads go straight into the
// request frame being received when much of it is missing, else into one scratch buffer that every connection
// shares (each read is copied out of it in its callback, before any other read can happen).
import { Socket } from 'node:net';
import { readScratch } from '../internal/frame-reader.ts';

/** What consumes the reads of a socket made by `adoptForDirectReads`. */
export interface DirectReadSink {
  /** Where the next read should go, or null for the shared scratch buffer. */
  directReadBuffer(): Uint8Array | null;
  /** `bytes` bytes were read into `buffer` (a region `directReadBuffer` returned, or the scratch buffer). */
  onRead(bytes: number, buffer: Uint8Array): void;
}


export interface AdoptedSocket {
  readonly socket: Socket;
  /** Where reads go from now on; must be called before the event loop runs again. */
  attach(sink: DirectReadSink): void;
}

/**
 * Moves a plain TCP socket, accepted paused (`pauseOnConnect`) and not read from yet, to a socket whose reads go
 * where a `DirectReadSink` says. Returns null, leaving `accepted` untouched, when its handle is not where Node keeps
 * it (`_handle`, with StreamBase's `useUserBuffer`); the caller then reads it through 'data' events.
 */
export function adoptForDirectReads(accepted: Socket): AdoptedSocket | null {
  const holder = accepted as unknown as { _handle?: { useUserBuffer?: unknown } | null };
  const handle = holder._handle;
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== 'function') return null;
  let sink: DirectReadSink | null = null;
  holder._handle = null;
  const socket = new Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      // Asked once now and again after every read; always a buffer, since Node reuses the last one otherwise.
      buffer: () => sink?.directReadBuffer() ?? readScratch(),
      callback: (bytes: number, buffer: Uint8Array) => {
        sink?.onRead(bytes, buffer);
        return true;
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  // The accepted socket no longer owns a handle: destroying it closes nothing and lets its server count it gone.
  accepted.destroy();
  return {
    socket,
    attach(next) {
      sink = next;
    },
  };
}
