// Hands out producer ids for InitProducerId, never reusing one, also across restarts and crashes.
// Kafka allocates blocks of 1000 ids through the controller's metadata log (`ProducerIdControlManager`,
// `ProducerIdsBlock`); a single node does the same with a checkpoint file: the start of the next block is made
// durable BEFORE any id of the current block is handed out, so a crash can only skip ids, never repeat them.
import { join } from 'node:path';
import { BrokerError } from '../broker-error.ts';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from '../log/checkpoint-file.ts';
import { nodeFileSystem, type LogFileSystem } from '../log/log-file-system.ts';
import { INT64_MAX } from '../../protocol/wire/int-limits.ts';

/** `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE` */
export const PRODUCER_ID_BLOCK_SIZE = 1000n;
const NEXT_BLOCK_FILE = 'producer-id-block.checkpoint';
/** UNKNOWN_SERVER_ERROR: Kafka treats id exhaustion as fatal. */
const UNKNOWN_SERVER_ERROR = -1;

export class ProducerIdManager {
  private next: bigint;
  private blockEnd: bigint;

  private constructor(
    private readonly path: string,
    private readonly fs: LogFileSystem,
    nextBlockStart: bigint,
  ) {
    this.next = nextBlockStart;
    this.blockEnd = nextBlockStart;
  }

  static open(dataDir: string, fs: LogFileSystem = nodeFileSystem): ProducerIdManager {
    const path = join(dataDir, NEXT_BLOCK_FILE);
    return new ProducerIdManager(path, fs, readOffsetCheckpoint(fs, path) ?? 0n);
  }

  /** A producer id no one has had before. */
  generateProducerId(): bigint {
    if (this.next >= this.blockEnd) this.allocateBlock();
    const id = this.next;
    this.next += 1n;
    return id;
  }

  private allocateBlock(): void {
    const start = this.blockEnd;
    if (start > INT64_MAX - PRODUCER_ID_BLOCK_SIZE) throw new BrokerError(UNKNOWN_SERVER_ERROR, 'producer ids are exhausted');
    const end = start + PRODUCER_ID_BLOCK_SIZE;
    // Durable first: after a crash the broker starts from `end` and never hands out an id of this block again.
    writeOffsetCheckpoint(this.fs, this.path, end, true);
    this.next = start;
    this.blockEnd = end;
  }
}
