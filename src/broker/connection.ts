// One client connection: frames in, responses out, in request order.
//
// Kafka mutes a connection while a request is being handled, so a connection's requests take effect one after
// another. We keep that order, with one refinement that makes group commit work: a request whose handler declares
// itself `pipelined` (Produce) lets the next request start as soon as its synchronous part — validation and the
// append — has run, while its answer waits for the fsync. Answers still go out strictly in request order.
import type { Socket } from 'node:net';
import { FrameSplitter } from '../protocol/framing.ts';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
}

export interface Dispatched {
  /** The response frame, or null when none is sent (acks=0 Produce). */
  readonly response: Buffer | null | Promise<Buffer | null>;
  /** True when the next request may start before `response` settles. */
  readonly pipelined: boolean;
  /** Close the connection once the answers to earlier requests are written; read nothing more. */
  readonly closeAfter?: boolean;
}

/** Handles one request frame. Throwing closes the connection (malformed frame, unknown API). */
export type Dispatch = (frame: Buffer, connection: ConnectionInfo) => Dispatched | Promise<Dispatched>;

export interface ConnectionLogger {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** How many answered-but-unwritten or running requests a connection may have before we stop reading from it. */
const MAX_QUEUED_REQUESTS = 64;

export class Connection {
  private readonly splitter: FrameSplitter;
  private readonly pending: Buffer[] = [];
  private readonly outgoing: Promise<Buffer | null>[] = [];
  private running = false;
  private writing = false;
  private closed = false;
  /** Set by drainAndClose: no new request is started. */
  private draining = false;
  /** Close (after flushing) once every queued answer is written. */
  private closeWhenWritten = false;

  constructor(
    private readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly dispatch: Dispatch,
    maxFrameBytes: number,
    private readonly log: ConnectionLogger,
  ) {
    this.splitter = new FrameSplitter(maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateReading());
    socket.on('error', (error) => this.log.debug({ connection: info.id, err: error.message }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  /**
   * A clean shutdown of this connection: reads no more requests, lets the ones already read finish and their
   * answers go out, then closes. Kafka's controlled shutdown does the same; closing at once would leave appended
   * but unanswered batches, whose retries after the restart could meet a producer state that only remembers each
   * producer's last batch. Gives up after `timeoutMs`.
   */
  async drainAndClose(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.draining = true;
    this.pending.length = 0;
    this.socket.pause();
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && (this.running || this.writing || this.outgoing.length > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!this.closed && this.socket.writableLength > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.socket.once('drain', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    this.close();
  }

  private onData(chunk: Buffer): void {
    if (this.draining) return;
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (error) {
      this.log.warn({ connection: this.info.id, remote: this.info.remoteAddress, err: (error as Error).message }, 'bad frame, closing connection');
      this.close();
      return;
    }
    for (const frame of frames) this.pending.push(frame);
    this.updateReading();
    void this.runRequests();
  }

  /** Backpressure: stop reading while the socket's write buffer is full or too many requests wait. */
  private updateReading(): void {
    if (this.closed || this.draining) return;
    const busy = this.socket.writableNeedDrain || this.pending.length + this.outgoing.length >= MAX_QUEUED_REQUESTS;
    if (busy && !this.socket.isPaused()) this.socket.pause();
    else if (!busy && this.socket.isPaused()) this.socket.resume();
  }

  private async runRequests(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.pending.length > 0) {
        const frame = this.pending.shift() as Buffer;
        let dispatched: Dispatched;
        try {
          dispatched = await this.dispatch(frame, this.info);
        } catch (error) {
          this.log.warn({ connection: this.info.id, remote: this.info.remoteAddress, err: (error as Error).message }, 'invalid request, closing connection');
          this.close();
          return;
        }
        const response = Promise.resolve(dispatched.response);
        this.outgoing.push(response);
        if (dispatched.closeAfter === true) {
          this.draining = true;
          this.closeWhenWritten = true;
          this.pending.length = 0;
        }
        void this.writeResponses();
        // A request that is not pipelined must finish before the next one starts (Kafka's muted channel).
        if (!dispatched.pipelined) await response.catch(() => undefined);
      }
    } finally {
      this.running = false;
      this.updateReading();
    }
  }

  private async writeResponses(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (!this.closed && this.outgoing.length > 0) {
        let frame: Buffer | null;
        try {
          frame = await this.outgoing[0];
        } catch (error) {
          this.log.warn({ connection: this.info.id, err: (error as Error).message }, 'request failed unexpectedly, closing connection');
          this.close();
          return;
        }
        this.outgoing.shift();
        if (frame !== null && !this.closed) this.socket.write(frame);
        this.updateReading();
      }
      if (this.closeWhenWritten && this.outgoing.length === 0 && !this.closed) {
        this.closed = true;
        this.socket.end(() => this.socket.destroy());
      }
    } finally {
      this.writing = false;
    }
  }
}
