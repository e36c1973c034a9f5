// One client connection: frames in, responses out, in request order.
//
// Kafka's `SocketServer` mutes a channel from the moment a request is read until its response has been sent, so
// a connection has one request in the broker at a time and a client that never reads its answers costs one
// answer, not an unbounded queue. This class does the same, with one refinement that makes group commit work:
// a request whose handler declares itself `pipelined` (Produce) lets the next request be read and started as soon
// as its synchronous part — validation and the append — has run, while its answer waits for the fsync. Answers
// still go out strictly in request order.
//
// Reading stops (the socket is paused, TCP pushes back on the client) while any of these holds:
// - a complete frame is waiting to start (one request at a time);
// - a non-pipelined request is running or its answer is not yet taken by the kernel (Kafka's muted channel);
// - too many pipelined answers are outstanding, or the socket's write buffer is over its high-water mark;
// - the broker-wide `MemoryBudget` (`queued.max.request.bytes`) is used up and this connection already holds
//   more than a small allowance (so one client's small requests still get in while others hold the memory).
// Timeouts: `connections.max.idle.ms` closes a connection with no bytes in or out while the broker owes it
// nothing; `socket.request.receive.timeout.ms` closes one whose current frame has been arriving for too long.
import type { Socket } from 'node:net';
import { FrameReader, type ReadFrame } from '../internal/frame-reader.ts';
import { writeGathered } from '../internal/write-gathered.ts';
import type { AdoptedSocket } from './direct-reads.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { RequestSlabPool } from '../internal/request-slabs.ts';
import type { ConnectionSession } from './security/connection-session.ts';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  /** The client's IP address (ACLs' host). */
  readonly clientHost: string;
  /** The listener it came through and its authentication state (principal, SASL exchange, session end). */
  readonly session: ConnectionSession;
}

/**
 * A response frame: one buffer, or consecutive chunks written with one gathered write (a Fetch answer whose
 * record batches are the stored bytes, never copied into one buffer).
 */
export type ResponseFrame = Buffer | readonly Uint8Array[];

export interface Dispatched {
  /** The response frame, or null when none is sent (acks=0 Produce). */
  readonly response: ResponseFrame | null | Promise<ResponseFrame | null>;
  /** True when the next request may start before `response` settles. */
  readonly pipelined: boolean;
  /** Close the connection once the answers to earlier requests are written; read nothing more. */
  readonly closeAfter?: boolean;
  /**
   * Asked once `response` has settled: true closes the connection after writing it (a failed authentication,
   * known only when the exchange has been evaluated).
   */
  readonly closeAfterAnswer?: () => boolean;
  /** Called once when the answer has been handed to the socket (or there is none, or the connection closed). */
  sent?(): void;
  /** Called once the answer's bytes have been taken by the kernel; not when the write failed or never happened. */
  written?(): void;
  /**
   * Settles once nothing the broker does reads the request frame any more, so its memory may hold another
   * request. Absent, or rejected: the frame may be referenced for as long as anything holds it, and its memory
   * is never reused.
   */
  readonly frameDone?: Promise<unknown>;
}

/**
 * Handles one request frame, read at `receivedAtMs` (`performance.now()`). Throwing closes the connection
 * (malformed frame, unknown API). The frame's bytes may lie in reused memory: they may be read only until
 * `Dispatched.frameDone` settles (a handler keeping a view for longer must copy it, or leave `frameDone` unset).
 */
export type Dispatch = (frame: Buffer, connection: ConnectionInfo, receivedAtMs: number) => Dispatched | Promise<Dispatched>;

export interface ConnectionLogger {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface ConnectionLimits {
  /** `socket.request.max.bytes` */
  readonly maxFrameBytes: number;
  /** `connections.max.idle.ms` */
  readonly idleMs: number;
  /** `socket.request.receive.timeout.ms` */
  readonly frameReceiveTimeoutMs: number;
}

/**
 * While the budget is used up, a connection holding less than this may still read: a client sending small
 * requests is answered however much attackers hold, and the overshoot stays bounded per connection.
 */
const ALLOWANCE_WHEN_FULL = 64 * 1024;

/** How many pipelined requests may be outstanding on one connection before we stop reading from it. */
const MAX_PIPELINED_REQUESTS = 64;

interface Outgoing {
  readonly response: Promise<ResponseFrame | null>;
  readonly closeAfterAnswer: (() => boolean) | undefined;
  /** Size prefix plus frame: what this request was charged to the budget while it waited for its answer. */
  readonly requestBytes: number;
  /** Resolves once the answer has been handed to the kernel (or there is none, or the connection closed). */
  readonly written: Promise<void>;
  readonly markWritten: () => void;
  readonly dispatched: Dispatched;
}

export class Connection {
  private readonly reader: FrameReader;
  private readonly pending: ReadFrame[] = [];
  /** When each pending frame was read (`performance.now()`), for Kafka's RequestQueueTimeMs and TotalTimeMs. */
  private readonly pendingReceivedAt: number[] = [];
  private readonly outgoing: Outgoing[] = [];
  /** Answers handed to the socket whose write callback has not run yet. */
  private readonly inKernelQueue = new Set<Outgoing>();
  private running = false;
  private writing = false;
  private closed = false;
  /** A non-pipelined request is in the broker or its answer is not yet written: read nothing (muted channel). */
  private muted = false;
  /** Requests dispatched whose answers are not settled: the broker owes this client something. */
  private handling = 0;
  /** Set by drainAndClose: no new request is started. */
  private draining = false;
  /** Close (after flushing) once every queued answer is written. */
  private closeWhenWritten = false;
  /** Bytes this connection holds against the budget: requests read and not answered, answers not yet written. */
  private chargedBytes = 0;
  private lastActivityMs: number;
  /** When the first byte of the frame being received arrived; null between frames. */
  private frameStartedMs: number | null = null;
  private readonly removeBudgetListener: () => void;

  constructor(
    private readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly dispatch: Dispatch,
    private readonly limits: ConnectionLimits,
    private readonly budget: MemoryBudget,
    private readonly log: ConnectionLogger,
    slabs: RequestSlabPool,
    /** Set when `socket` reads into buffers the connection chooses (see direct-reads.ts); null: 'data' events. */
    directReads: AdoptedSocket | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.reader = new FrameReader(slabs, limits.maxFrameBytes);
    this.lastActivityMs = now();
    this.removeBudgetListener = budget.onRoom(() => this.updateReading());
    socket.setNoDelay(true);
    if (directReads !== null) {
      directReads.attach({ directReadBuffer: () => this.reader.directReadBuffer(), onRead: (bytes, buffer) => this.onRead(bytes, buffer) });
    } else socket.on('data', (chunk: Buffer) => this.onRead(chunk.length, chunk));
    socket.on('drain', () => this.updateReading());
    socket.on('error', (error) => this.log.debug({ connection: info.id, err: error.message }, 'socket error'));
    socket.on('close', () => this.onClosed());
    this.updateReading();
  }

  close(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.onClosed();
  }

  /** Bytes this connection holds against the broker-wide budget. */
  get heldBytes(): number {
    return this.chargedBytes;
  }

  /**
   * Closes the connection when it has been idle for `connections.max.idle.ms` (no bytes in or out while no request
   * is being handled; a client that stopped reading its answer counts as idle, as in Kafka's `Selector`) or when
   * its current frame has been arriving for longer than `socket.request.receive.timeout.ms`. Returns true if closed.
   */
  closeIfExpired(nowMs: number): boolean {
    if (this.closed) return false;
    if (this.frameStartedMs !== null && nowMs - this.frameStartedMs > this.limits.frameReceiveTimeoutMs) {
      this.log.warn({ connection: this.info.id, remote: this.info.remoteAddress, buffered: this.reader.buffered }, 'request frame not completed in time, closing connection');
      this.close();
      return true;
    }
    // An authentication session that has ended (KIP-368) closes the connection only when a request other than a
    // re-authentication's SaslHandshake arrives (dispatch), as in Kafka's SocketServer, which never closes an idle
    // expired channel: a client whose re-authentication starts late is not cut off while its handshake is on the way.
    if (this.handling === 0 && nowMs - this.lastActivityMs > this.limits.idleMs) {
      this.log.debug({ connection: this.info.id, remote: this.info.remoteAddress }, 'idle connection, closing');
      this.close();
      return true;
    }
    return false;
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
    this.dropPending();
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

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeBudgetListener();
    // Frames read but never dispatched: nothing else saw them.
    for (const frame of this.pending) frame.release();
    this.pending.length = 0;
    this.pendingReceivedAt.length = 0;
    this.reader.close();
    for (const entry of this.outgoing) finish(entry);
    for (const entry of this.inKernelQueue) finish(entry);
    this.inKernelQueue.clear();
    // Everything this connection held is released at once; later write callbacks release nothing.
    this.budget.release(this.chargedBytes);
    this.chargedBytes = 0;
  }

  private charge(bytes: number): void {
    if (this.closed) return;
    this.chargedBytes += bytes;
    this.budget.charge(bytes);
  }

  private release(bytes: number): void {
    if (this.closed) return;
    this.chargedBytes -= bytes;
    this.budget.release(bytes);
  }

  private dropPending(): void {
    for (const frame of this.pending.splice(0)) {
      this.release(frame.bytes.length + 4);
      frame.release();
    }
    this.pendingReceivedAt.length = 0;
  }

  /** `bytes` bytes were read into `buffer` (a 'data' chunk, or where the reader asked for them). */
  private onRead(bytes: number, buffer: Uint8Array): void {
    if (this.closed) return;
    this.lastActivityMs = this.now();
    if (this.draining) return;
    this.charge(bytes);
    let frames: ReadFrame[];
    try {
      frames = this.reader.readInto(bytes, buffer);
    } catch (error) {
      this.log.warn({ connection: this.info.id, remote: this.info.remoteAddress, err: (error as Error).message }, 'bad frame, closing connection');
      this.close();
      return;
    }
    if (this.reader.buffered === 0) this.frameStartedMs = null;
    else if (frames.length > 0 || this.frameStartedMs === null) this.frameStartedMs = this.lastActivityMs;
    const receivedAt = frames.length > 0 ? performance.now() : 0;
    for (const frame of frames) {
      this.pending.push(frame);
      this.pendingReceivedAt.push(receivedAt);
    }
    this.updateReading();
    void this.runRequests();
  }

  /** Backpressure: read only while the connection may take another request and the broker has memory for it. */
  private updateReading(): void {
    if (this.closed || this.draining) return;
    const busy =
      this.pending.length > 0 ||
      this.muted ||
      this.outgoing.length >= MAX_PIPELINED_REQUESTS ||
      this.socket.writableNeedDrain ||
      (!this.budget.hasRoom() && this.chargedBytes >= ALLOWANCE_WHEN_FULL);
    if (busy && !this.socket.isPaused()) this.socket.pause();
    else if (!busy && this.socket.isPaused()) this.socket.resume();
  }

  private async runRequests(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && !this.draining && this.pending.length > 0) {
        // An answer the client has not taken yet holds the next request back (pipelined answers included).
        if (this.socket.writableNeedDrain) {
          await this.socketDrained();
          continue;
        }
        const frame = this.pending.shift() as ReadFrame;
        const receivedAt = this.pendingReceivedAt.shift() as number;
        let dispatched: Dispatched;
        this.muted = true;
        this.handling++;
        try {
          dispatched = await this.dispatch(frame.bytes, this.info, receivedAt);
        } catch (error) {
          // Whatever the handler got to may still refer to the frame.
          frame.abandon();
          this.handling--;
          this.log.warn({ connection: this.info.id, remote: this.info.remoteAddress, err: (error as Error).message }, 'invalid request, closing connection');
          this.close();
          return;
        }
        if (dispatched.frameDone === undefined) frame.abandon();
        else {
          dispatched.frameDone.then(
            () => frame.release(),
            () => frame.abandon(),
          );
        }
        const response = Promise.resolve(dispatched.response);
        void response.then(
          () => this.handling--,
          () => this.handling--,
        );
        let markWritten = (): void => undefined;
        const written = new Promise<void>((resolve) => {
          markWritten = resolve;
        });
        const entry: Outgoing = { response, closeAfterAnswer: dispatched.closeAfterAnswer, requestBytes: frame.bytes.length + 4, written, markWritten, dispatched };
        this.outgoing.push(entry);
        if (dispatched.closeAfter === true) {
          this.draining = true;
          this.closeWhenWritten = true;
          this.dropPending();
        }
        void this.writeResponses();
        if (dispatched.pipelined) {
          this.muted = false;
          this.updateReading();
        } else {
          // Kafka's muted channel: the next request is read only after this answer has been sent.
          await written;
          this.muted = false;
          this.updateReading();
        }
      }
    } finally {
      this.running = false;
      this.muted = false;
      this.updateReading();
    }
  }

  private socketDrained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private async writeResponses(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (!this.closed && this.outgoing.length > 0) {
        const entry = this.outgoing[0];
        let frame: ResponseFrame | null;
        try {
          frame = await entry.response;
        } catch (error) {
          this.log.warn({ connection: this.info.id, err: (error as Error).message }, 'request failed unexpectedly, closing connection');
          this.close();
          return;
        }
        this.outgoing.shift();
        if (entry.closeAfterAnswer?.() === true && !this.closeWhenWritten) {
          this.draining = true;
          this.closeWhenWritten = true;
          this.dropPending();
        }
        if (frame === null || this.closed) {
          this.release(entry.requestBytes);
          finish(entry);
        } else {
          // The answer replaces its request in the budget until the kernel has taken it.
          const size = frameSize(frame);
          this.charge(size);
          this.release(entry.requestBytes);
          this.inKernelQueue.add(entry);
          const written = (error?: Error | null): void => {
            if (error === undefined || error === null) entry.dispatched.written?.();
            this.inKernelQueue.delete(entry);
            this.release(size);
            this.lastActivityMs = this.now();
            finish(entry);
            this.updateReading();
          };
          if (Buffer.isBuffer(frame)) this.socket.write(frame, written);
          else writeGathered(this.socket, frame, written);
        }
        this.updateReading();
      }
      if (this.closeWhenWritten && this.outgoing.length === 0 && !this.closed) {
        this.socket.end(() => this.socket.destroy());
        this.onClosed();
      }
    } finally {
      this.writing = false;
    }
  }
}

function frameSize(frame: ResponseFrame): number {
  if (Buffer.isBuffer(frame)) return frame.length;
  let size = 0;
  for (const chunk of frame) size += chunk.length;
  return size;
}

/** The answer is out (or will never be): unblocks the connection and ends the request's timing. */
function finish(entry: Outgoing): void {
  entry.markWritten();
  entry.dispatched.sent?.();
}
