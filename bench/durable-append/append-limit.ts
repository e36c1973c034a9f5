// The machine's append limit under a broker's flush policy, in a process of its own, for
// bench/durable-append.bench.ts. No network, no protocol, no validation: only the file work a single-node broker
// must do per appended batch, done the way `seqlog serve` does it, so its throughput is the ceiling for the broker's.
//   node --import tsx bench/durable-append/append-limit.ts <dir> <streams> <bytesPerStream> <window> <repeats>
//     <mode>:<writeBytes>...     (mode: group-fsync, group-fdatasync or write)
// `streams` files (one per partition) are appended to with positional synchronous writes of `writeBytes` from the
// main thread, as a partition log stages a Produce batch. Each stream models a producer connection: at most
// `window` writes are unacknowledged (max.in.flight.requests.per.connection), and a write is acknowledged only
// when an fsync that started after it has finished.
//   group-fsync (seqlog's `fsync always`): group commit per file as in the broker's GroupCommit. One fsync per
//     file runs at a time on libuv's thread pool; it covers every write made before it started, and the writes
//     made while it runs form the next group, flushed as soon as it finishes. group-fdatasync: the same with
//     fdatasync, which may skip the inode's timestamps.
//   write: no fsync (Kafka's default flush policy, seqlog's `fsync never`): a write is acknowledged once it returns.
// Every case is sampled `repeats` times in this one process (start-up is paid once), each sample in fresh files
// removed afterwards. Prints one JSON line per sample: bytes, seconds from the first write until every byte is
// acknowledged, MB/s (10^6 bytes), syncs (fsync count over all streams) and the mean bytes one sync covered.
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasync, fsync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

type Mode = 'group-fsync' | 'group-fdatasync' | 'write';

interface Stream {
  readonly fd: number;
  /** Bytes written so far (the file's size). */
  position: number;
  /** Writes made and not yet acknowledged. */
  inFlight: number;
  /** Writes made since the running fsync started (the next group). */
  staged: number;
  syncing: boolean;
  remaining: number;
}

interface Sample {
  mode: Mode;
  writeBytes: number;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  syncs: number;
  bytesPerSync: number;
}

/** One sample: `streamCount` files in a fresh directory under `dir`, removed afterwards. */
function measure(dir: string, streamCount: number, writeBytes: number, bytesPerStream: number, mode: Mode, window: number): Promise<Sample> {
  const root = mkdtempSync(join(dir, 'append-limit-'));
  // One buffer for every write, filled once: the page cache copies it, the process never allocates per write.
  const chunk = Buffer.alloc(writeBytes, 0x61);
  const writesPerStream = Math.floor(bytesPerStream / writeBytes);
  const sync = mode === 'group-fdatasync' ? fdatasync : fsync;
  const streams: Stream[] = Array.from({ length: streamCount }, (_, i) => ({
    fd: openSync(join(root, `${i}.log`), 'w'),
    position: 0,
    inFlight: 0,
    staged: 0,
    syncing: false,
    remaining: writesPerStream,
  }));
  let syncs = 0;
  let finished = 0;

  return new Promise((resolve, reject) => {
    const started = performance.now();

    const append = (stream: Stream): void => {
      writeSync(stream.fd, chunk, 0, writeBytes, stream.position);
      stream.position += writeBytes;
      stream.remaining--;
    };

    /** The client side: refills the window. With no fsync a write is acknowledged as soon as it returns. */
    const fill = (stream: Stream): void => {
      while (stream.inFlight < window && stream.remaining > 0) {
        append(stream);
        if (mode === 'write') continue;
        stream.inFlight++;
        stream.staged++;
      }
      if (mode !== 'write') startSync(stream);
      if (stream.remaining === 0 && stream.inFlight === 0) finish();
    };

    /** The broker side: one fsync at a time per file, covering what was staged before it began. */
    const startSync = (stream: Stream): void => {
      if (stream.syncing || stream.staged === 0) return;
      const covered = stream.staged;
      stream.staged = 0;
      stream.syncing = true;
      syncs++;
      sync(stream.fd, (error) => {
        if (error) {
          reject(error);
          return;
        }
        stream.syncing = false;
        stream.inFlight -= covered;
        // Acknowledged writes are replaced at once (a producer with records queued), then the next group is flushed.
        fill(stream);
      });
    };

    const finish = (): void => {
      if (++finished < streamCount) return;
      const seconds = (performance.now() - started) / 1000;
      const bytes = writesPerStream * writeBytes * streamCount;
      for (const stream of streams) closeSync(stream.fd);
      rmSync(root, { recursive: true, force: true });
      resolve({ mode, writeBytes, bytes, seconds, mbPerSecond: bytes / seconds / 1e6, syncs, bytesPerSync: syncs === 0 ? 0 : bytes / syncs });
    };

    // Every stream starts in the same tick, as producers that were all waiting on a first response.
    for (const stream of streams) fill(stream);
  });
}

const [dir, streamsText, bytesText, windowText, repeatsText, ...caseTexts] = process.argv.slice(2);
const streamCount = Number(streamsText);
const bytesPerStream = Number(bytesText);
const window = Number(windowText);
const repeats = Number(repeatsText);
const cases = caseTexts.map((text) => {
  const [mode, writeText] = text.split(':');
  const writeBytes = Number(writeText);
  if (!['group-fsync', 'group-fdatasync', 'write'].includes(mode)) throw new Error(`unknown mode ${mode}; expected group-fsync, group-fdatasync or write`);
  if (!(writeBytes > 0 && bytesPerStream >= writeBytes)) throw new Error(`write size ${writeText} must be positive and at most bytesPerStream`);
  return { mode: mode as Mode, writeBytes };
});
if (!(streamCount > 0 && window > 0 && repeats > 0 && cases.length > 0)) throw new Error('streams, window, repeats and at least one case are required');

for (let round = 0; round < repeats; round++) {
  // The order alternates so that no case always follows the same one.
  for (const { mode, writeBytes } of round % 2 === 0 ? cases : [...cases].reverse()) {
    // Whatever an earlier sample (or another process) left dirty is written back first, so that no sample pays
    // for another's writeback.
    execFileSync('sync');
    const sample = await measure(dir, streamCount, writeBytes, bytesPerStream, mode, window);
    process.stdout.write(`${JSON.stringify(sample)}\n`);
  }
}
