// Preloaded into a `seqlog serve` child by the e2e latency bench (NODE_OPTIONS=--import <this file>), so the
// broker's event-loop delay can be read without any switch in the broker itself. On every SIGUSR2 it writes the
// delay histogram since the previous SIGUSR2 (ms) to $SEQLOG_EVENT_LOOP_PROBE_FILE and starts a new one.
// Plain JavaScript: NODE_OPTIONS imports run before the TypeScript loader is registered.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.SEQLOG_EVENT_LOOP_PROBE_FILE;
if (file !== undefined && file !== '') {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let sequence = 0;
  const ms = (ns) => Number(ns) / 1e6;
  process.on('SIGUSR2', () => {
    const snapshot = {
      sequence: ++sequence,
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      meanMs: ms(histogram.mean),
    };
    histogram.reset();
    // Written aside and renamed over, so a reader never sees a half-written file.
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file);
  });
}
