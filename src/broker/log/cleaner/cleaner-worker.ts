// The log cleaner's worker thread (see `cleaner-thread.ts`): runs the cleanings the broker asks for, one at a
// time, on the real file system, and asks the broker's thread to swap each cleaned group in. Between two batches
// it checks the shared stop flag; the I/O rate cap (`log.cleaner.io.max.bytes.per.second`) pauses this thread
// alone, waiting on that flag so that a stop ends the pause.
import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { nodeFileSystem } from '../log-file-system.ts';
import { CleaningAbortedError, cleanLog } from './cleaner.ts';
import type { CleaningHost, CleaningPlan, PreparedGroup, SwapOutcome } from './cleaner.ts';
import type { CleanerThreadReply, CleanerThreadRequest, CleanerWorkerData } from './cleaner-thread.ts';
import { IoThrottler } from './io-throttler.ts';
import { OffsetMap } from './offset-map.ts';

// Below the request handlers when CPU is short: on Linux the nice value is per thread, so this lowers the
// cleaner's thread alone (elsewhere it would lower the whole process, so it is left as it is).
if (process.platform === 'linux') {
  try {
    setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not allowed here: the cleaner keeps the broker's priority.
  }
}

const settings = workerData as CleanerWorkerData;
const port = parentPort as MessagePort;
const stopFlag = new Int32Array(settings.stop);
let map: OffsetMap | null = null;
let awaitingSwap: ((outcome: SwapOutcome) => void) | null = null;

const reply = (message: CleanerThreadReply) => port.postMessage(message);

port.on('message', (request: CleanerThreadRequest) => {
  if (request.type === 'clean') {
    void run(request.plan);
  } else {
    const resolve = awaitingSwap;
    awaitingSwap = null;
    resolve?.(request.outcome);
  }
});

async function run(plan: CleaningPlan): Promise<void> {
  const throttler = new IoThrottler(settings.ioMaxBytesPerSecond);
  map ??= new OffsetMap(settings.dedupeBufferSize);
  const host: CleaningHost = {
    fs: nodeFileSystem,
    map,
    checkpoint(ioBytes) {
      const pauseMs = throttler.record(ioBytes);
      if (pauseMs > 0) Atomics.wait(stopFlag, 0, 0, pauseMs);
      if (Atomics.load(stopFlag, 0) !== 0) throw new CleaningAbortedError('the log cleaner is stopping');
    },
    swap: (group: PreparedGroup) =>
      new Promise<SwapOutcome>((resolve) => {
        awaitingSwap = resolve;
        reply({ type: 'prepared', group });
      }),
  };
  try {
    reply({ type: 'done', result: await cleanLog(plan, host) });
  } catch (error) {
    if (error instanceof CleaningAbortedError) reply({ type: 'aborted', reason: error.message });
    else reply({ type: 'failed', message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined });
  }
}
