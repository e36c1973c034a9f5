// The log cleaner's own thread (Kafka runs `LogCleaner`'s `CleanerThread`s beside the request handlers): the
// CPU-heavy part of a cleaning (reading the dirty segments, building the offset map, filtering batches, writing and
// fsyncing the cleaned segment) runs in a `node:worker_threads` worker, so produce and fetch never wait on it.
// The broker's event loop keeps what must stay next to the log: choosing what to clean, the swap of each cleaned
// group into the segment list (`CleaningHost.swap`, answered over the worker's port), the checkpoint and stats.
// The worker is started at the first cleaning, holds the offset map (`log.cleaner.dedupe.buffer.size`) from
// then on, keeps the process alive only while a cleaning runs, and is terminated by `close`. A stop request is a
// flag in shared memory that the worker reads before each batch, so it also ends an I/O-rate pause at once.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CleaningPlan, CleaningResult, PreparedGroup, SwapOutcome } from './cleaner.ts';
import { CleaningAbortedError } from './cleaner.ts';

/** Main thread -> worker. */
export type CleanerThreadRequest =
  | { readonly type: 'clean'; readonly plan: CleaningPlan }
  | { readonly type: 'swap-outcome'; readonly outcome: SwapOutcome };

/** Worker -> main thread. */
export type CleanerThreadReply =
  | { readonly type: 'prepared'; readonly group: PreparedGroup }
  | { readonly type: 'done'; readonly result: CleaningResult }
  | { readonly type: 'aborted'; readonly reason: string }
  | { readonly type: 'failed'; readonly message: string; readonly stack: string | undefined };

export interface CleanerWorkerData {
  /** The worker module's URL. */
  readonly entry: string;
  /** Running from TypeScript source: a module whose `register()` installs the TypeScript loader, else null. */
  readonly typescriptLoader: string | null;
  readonly dedupeBufferSize: number;
  readonly ioMaxBytesPerSecond: number;
  /** One Int32: non-zero when the running cleaning must stop. */
  readonly stop: SharedArrayBuffer;
}

export interface CleanerThreadOptions {
  readonly dedupeBufferSize: number;
  readonly ioMaxBytesPerSecond: number;
}

interface Job {
  readonly swap: (group: PreparedGroup) => SwapOutcome | Promise<SwapOutcome>;
  readonly resolve: (result: CleaningResult) => void;
  readonly reject: (error: Error) => void;
}

// The worker module sits next to this one, compiled (`.js`, from the package) or as source (`.ts`, in a checkout).
const ownUrl = import.meta.url;
const fromSource = extname(fileURLToPath(ownUrl)) === '.ts';
const workerEntry = new URL(fromSource ? './cleaner-worker.ts' : './cleaner-worker.js', ownUrl);

// From source, the worker must load TypeScript. Node versions differ on whether the main thread's loader hooks
// reach a worker (Node 20's do not, and tsx then leaves workers alone; from 22.2 a worker shares them), so the
// worker tries first and installs tsx itself only if Node could not load the module as TypeScript. An eval'd
// bootstrap is plain JavaScript, which any worker can load.
const typescriptBootstrap = `
const { workerData } = require('node:worker_threads');
const notTypescriptReady = ['ERR_UNKNOWN_FILE_EXTENSION', 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX', 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING'];
import(workerData.entry).catch(async (error) => {
  if (!notTypescriptReady.includes(error?.code) || workerData.typescriptLoader === null) throw error;
  (await import(workerData.typescriptLoader)).register();
  await import(workerData.entry + '?typescript');
});
`;

function resolveTypescriptLoader(): string | null {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
}

export class CleanerThread {
  private worker: Worker | null = null;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private job: Job | null = null;
  private closed = false;

  constructor(private readonly options: CleanerThreadOptions) {}

  /** True while a worker thread exists (started by a cleaning, ended by `close` or its own failure). */
  get started(): boolean {
    return this.worker !== null;
  }

  /** Runs one cleaning in the worker; `swap` is called here, on this thread, for each prepared group. */
  clean(plan: CleaningPlan, swap: Job['swap']): Promise<CleaningResult> {
    if (this.closed) return Promise.reject(new CleaningAbortedError('the log cleaner is stopping'));
    if (this.job !== null) return Promise.reject(new Error('a cleaning is already running in the cleaner thread'));
    const worker = this.worker ?? this.startWorker();
    Atomics.store(this.stopFlag, 0, 0);
    return new Promise<CleaningResult>((resolve, reject) => {
      this.job = { swap, resolve, reject };
      worker.ref();
      worker.postMessage({ type: 'clean', plan } satisfies CleanerThreadRequest);
    });
  }

  /** Asks the running cleaning, if any, to stop at its next batch (it then drops what it wrote). */
  stopCleaning(): void {
    Atomics.store(this.stopFlag, 0, 1);
    Atomics.notify(this.stopFlag, 0);
  }

  /** Stops the cleaning, waits for it to leave the log consistent, then ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopCleaning();
    const worker = this.worker;
    if (worker === null) return;
    if (this.job !== null) {
      await new Promise<void>((resolve) => {
        const job = this.job as Job;
        this.job = {
          swap: job.swap,
          resolve: (result) => (job.resolve(result), resolve()),
          reject: (error) => (job.reject(error), resolve()),
        };
      });
    }
    this.worker = null;
    await worker.terminate();
  }

  private startWorker(): Worker {
    const workerData: CleanerWorkerData = {
      entry: workerEntry.href,
      typescriptLoader: fromSource ? resolveTypescriptLoader() : null,
      dedupeBufferSize: this.options.dedupeBufferSize,
      ioMaxBytesPerSecond: this.options.ioMaxBytesPerSecond,
      stop: this.stopFlag.buffer as SharedArrayBuffer,
    };
    const worker = fromSource
      ? new Worker(typescriptBootstrap, { eval: true, workerData, name: 'seqlog-log-cleaner' })
      : new Worker(workerEntry, { workerData, name: 'seqlog-log-cleaner' });
    worker.unref();
    worker.on('message', (reply: CleanerThreadReply) => this.onReply(worker, reply));
    worker.on('error', (error) => this.onWorkerGone(worker, error));
    worker.on('exit', (code) => this.onWorkerGone(worker, new Error(`the log cleaner thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private onReply(worker: Worker, reply: CleanerThreadReply): void {
    const job = this.job;
    if (job === null || worker !== this.worker) return;
    switch (reply.type) {
      case 'prepared':
        void Promise.resolve()
          .then(() => job.swap(reply.group))
          .catch((error: unknown): SwapOutcome => ({ kind: 'dropped', reason: `the swap failed: ${String(error)}` }))
          .then((outcome) => worker.postMessage({ type: 'swap-outcome', outcome } satisfies CleanerThreadRequest));
        return;
      case 'done':
        this.settle(worker);
        job.resolve(reply.result);
        return;
      case 'aborted':
        this.settle(worker);
        job.reject(new CleaningAbortedError(reply.reason));
        return;
      case 'failed': {
        this.settle(worker);
        const error = new Error(reply.message);
        if (reply.stack !== undefined) error.stack = reply.stack;
        job.reject(error);
        return;
      }
    }
  }

  private settle(worker: Worker): void {
    this.job = null;
    worker.unref();
  }

  /** The worker died (an uncaught error, or it could not load): the running cleaning fails, the next one restarts it. */
  private onWorkerGone(worker: Worker, error: Error): void {
    if (worker !== this.worker) return;
    this.worker = null;
    const job = this.job;
    this.job = null;
    job?.reject(error);
  }
}
