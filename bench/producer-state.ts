// Producer-state costs on the broker: memory per tracked producer and partition, and the time to write and
// to recover a snapshot of 100,000 producers (Kafka's ProducerStateManager keeps the last 5 batches per producer
// in memory and only the last one in the snapshot), and how long a segment roll's snapshot, written in the
// background, holds the event loop at most.
//   npm run bench:producer-state                 (runs node with --expose-gc for the memory figures)
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import { ProducerStateManager } from '../src/broker/producer-state/producer-state-manager.ts';
import { AppendOrigin } from '../src/broker/producer-state/append-origin.ts';
import { median } from './harness.ts';

const PRODUCERS = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:producer-state does)');

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** Where the next append goes: every producer's next sequence and the log's next offset. */
interface Cursor {
  sequence: number;
  offset: bigint;
}

/** Appends `batchesPerProducer` one-record batches for each producer, as client appends at increasing offsets. */
function fill(manager: ProducerStateManager, cursor: Cursor, batchesPerProducer: number): void {
  const now = BigInt(Date.now());
  for (let batch = 0; batch < batchesPerProducer; batch++, cursor.sequence++) {
    for (let producer = 0; producer < PRODUCERS; producer++) {
      const appendInfo = manager.prepareUpdate(BigInt(producer), AppendOrigin.client);
      appendInfo.appendDataBatch(0, cursor.sequence, cursor.sequence, now, cursor.offset, cursor.offset, false);
      manager.update(appendInfo);
      cursor.offset++;
    }
  }
  manager.updateMapEndOffset(cursor.offset);
}

let lastBackgroundMs = 0;

/** Starts a background snapshot and returns the longest stretch the event loop was held until it is in place. */
async function longestEventLoopBlock(manager: ProducerStateManager): Promise<number> {
  const started = performance.now();
  let last = started;
  let longest = 0;
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  if (!manager.takeSnapshotInBackground()) throw new Error('no snapshot started');
  tick();
  await manager.drainBackgroundSnapshots();
  running = false;
  lastBackgroundMs = performance.now() - started;
  return longest;
}

const table = new Table({ head: ['measure', `${PRODUCERS.toLocaleString('en-US')} producers, 1 partition`] });
/** Heap bytes per producer-partition with `batches` cached batches each (the manager is dropped afterwards). */
function bytesPerProducer(batches: number): number {
  const before = heapUsed();
  const manager = new ProducerStateManager({ directory: tmpdir(), config: { maxProducerIds: 0 } });
  fill(manager, { sequence: 0, offset: 0n }, batches);
  const after = heapUsed();
  if (manager.producerIdCount !== PRODUCERS) throw new Error('producers missing');
  return Math.round((after - before) / PRODUCERS);
}

for (const batches of [1, 5]) {
  table.push([`heap bytes per producer-partition (${batches} cached batch${batches > 1 ? 'es' : ''})`, bytesPerProducer(batches)]);
}
for (const batches of [1]) {
  const directory = mkdtempSync(join(tmpdir(), 'seqlog-pstate-'));
  try {
    const manager = new ProducerStateManager({ directory, config: { maxProducerIds: 0 } });
    const cursor: Cursor = { sequence: 0, offset: 0n };
    fill(manager, cursor, batches);
    {
      const writes: number[] = [];
      const loads: number[] = [];
      for (let i = 0; i < 5; i++) {
        fill(manager, cursor, 1); // moves the map end offset, so a new snapshot is due
        const started = performance.now();
        manager.takeSnapshot(true);
        writes.push(performance.now() - started);
      }
      const snapshot = readdirSync(directory).filter((name) => name.endsWith('.snapshot')).sort().at(-1)!;
      table.push(['snapshot size (bytes)', statSync(join(directory, snapshot)).size.toLocaleString('en-US')]);
      table.push(['snapshot write incl. fsync, ms (median of 5)', median(writes).toFixed(1)]);
      const blocked: number[] = [];
      const total: number[] = [];
      for (let i = 0; i < 5; i++) {
        fill(manager, cursor, 1);
        blocked.push(await longestEventLoopBlock(manager));
        total.push(lastBackgroundMs);
      }
      table.push(['roll snapshot in background: longest event-loop block, ms (median of 5)', median(blocked).toFixed(1)]);
      table.push(['roll snapshot in background: until the file is in place, ms (median of 5)', median(total).toFixed(1)]);
      const end = BigInt(snapshot.replace('.snapshot', ''));
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const recovered = new ProducerStateManager({ directory, config: { maxProducerIds: 0 } });
        recovered.truncateAndReload(0n, end, Date.now());
        loads.push(performance.now() - started);
        if (recovered.activeProducers().size !== PRODUCERS) throw new Error(`recovered ${recovered.activeProducers().size} producers`);
      }
      table.push(['snapshot recovery (load + CRC check), ms (median of 5)', median(loads).toFixed(1)]);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
console.log(table.toString());
