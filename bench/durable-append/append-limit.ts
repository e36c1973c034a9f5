// The machine's append limit under a broker's flush policy, in a process of its own, for
// bench/durable-append.bench.ts. No network, no protocol, no validation: only the file work a single-node broker
// must do per appended batch, done the way `seqlog serve` does it, so its throughput is the ceiling for the broker's.
//   node --import tsx bench/durable-append/append-limit.ts <dir> <streams> <writeBytes> <bytesPerStream>
//     <group-fsync|group-fdatasync|write> <window>
// `streams` files (one per partition) are appended to with positional synchronous writes of `writeBytes` from the
// main thread, as a partition log stages a Produce batch. Each stream models a producer connection: at most
// `window` writes are unacknowledged (max.in.flight.requests.per.connection), and a write is acknowledged only
// when an fsync that started after it has finished.
//   group-fsync (seqlog's `fsync always`): group commit per file as in the broker's GroupCommit. One fsync per
//     file runs at a time on libuv's thread pool; it covers every write made before it started, and the writes
//     made while it runs form the next group, flushed as soon as it finishes. group-fdatasync: the same with
//     fdatasync, which may skip the inode's timestamps.
//   write: no fsync (Kafka's default flush policy, seqlog's `fsync never`): a write is acknowledged once it returns.
// The files are removed at the end. Prints one JSON line: bytes, seconds from the first write until every byte is
// acknowledged, MB/s (10^6 bytes), syncs (fsync count over all streams) and the mean bytes one sync covered.
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

const [dir, streamsText, writeText, bytesText, modeText, windowText] = process.argv.slice(2);
const streamCount = Number(streamsText);
const writeBytes = Number(writeText);
const bytesPerStream = Number(bytesText);
const mode = modeText as Mode;
const window = Number(windowText);
if (!['group-fsync', 'group-fdatasync', 'write'].includes(mode)) throw new Error(`unknown mode ${modeText}; expected group-fsync, group-fdatasync or write`);
if (!(streamCount > 0 && writeBytes > 0 && bytesPerStream >= writeBytes && window > 0)) throw new Error('streams, writeBytes, bytesPerStream and window must be positive');

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
const started = performance.now();

function append(stream: Stream): void {
  writeSync(stream.fd, chunk, 0, writeBytes, stream.position);
  stream.position += writeBytes;
  stream.remaining--;
}

/** The client side: refills the window. With no fsync a write is acknowledged as soon as it returns. */
function fill(stream: Stream): void {
  while (stream.inFlight < window && stream.remaining > 0) {
    append(stream);
    if (mode === 'write') continue;
    stream.inFlight++;
    stream.staged++;
  }
  if (mode !== 'write') startSync(stream);
  if (stream.remaining === 0 && stream.inFlight === 0) finish();
}

/** The broker side: one fsync at a time per file, covering what was staged before it began. */
function startSync(stream: Stream): void {
  if (stream.syncing || stream.staged === 0) return;
  const covered = stream.staged;
  stream.staged = 0;
  stream.syncing = true;
  syncs++;
  sync(stream.fd, (error) => {
    if (error) throw error;
    stream.syncing = false;
    stream.inFlight -= covered;
    // Acknowledged writes are replaced at once (a producer with records queued), then the next group is flushed.
    fill(stream);
  });
}

function finish(): void {
  if (++finished < streamCount) return;
  const seconds = (performance.now() - started) / 1000;
  const bytes = writesPerStream * writeBytes * streamCount;
  for (const stream of streams) closeSync(stream.fd);
  rmSync(root, { recursive: true, force: true });
  const syncCount = mode === 'write' ? 0 : syncs;
  process.stdout.write(
    `${JSON.stringify({ bytes, seconds, mbPerSecond: bytes / seconds / 1e6, syncs: syncCount, bytesPerSync: syncCount === 0 ? 0 : bytes / syncCount })}\n`,
  );
}

// Every stream starts in the same tick, as producers that were all waiting on a first response.
for (const stream of streams) fill(stream);
