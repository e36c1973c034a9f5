// An in-process broker with fault hooks: crash (no clean shutdown), restart on the same data dir and port, pause
// (stop answering), and disk faults through an injected file system. `ChildBroker` offers the same surface for a
// broker in a child process that really gets SIGKILL/SIGSTOP.
//
// Clients reach the broker through a small gate (a `ChaosProxy` without rules) whose address is stable and is
// what Metadata advertises: pausing the gate is an in-process SIGSTOP — bytes wait in the kernel, nothing is
// answered — and the broker itself can be torn down and started again behind it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../broker/index.ts';
import { ChaosProxy } from './chaos-proxy.ts';
import { faultyFileSystem, type FaultyFileSystem } from './faulty-file-system.ts';
import { applyBrokerMutations, applyRestartMutations, type BrokerMutations } from './broker-mutations.ts';

/** What every fault-injecting broker handle offers (embedded or child process). */
export interface FaultableBroker {
  /** `host:port` clients should use (also what Metadata advertises). */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Crashes and restarts so far. */
  readonly crashes: number;
  /** Stops without a clean shutdown: no flush, no clean-shutdown marker, no snapshots; sockets cut. */
  crash(): Promise<void>;
  /** Starts again on the same data dir and address (after `crash` or `stop`). */
  restart(): Promise<void>;
  /** Stops answering (requests wait) until `resume()`. */
  pause(): void;
  resume(): void;
  /** Clean shutdown. */
  stop(): Promise<void>;
  /** Stops (cleanly if running) and removes the data dir if this handle created it. */
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions extends Omit<StartBrokerOptions, 'fs' | 'port' | 'host' | 'dataDir'> {
  /** Default: a fresh temp dir, removed by `close()`. */
  dataDir?: string;
  /** Breaks the broker on purpose (the testkit's mutation tests), re-applied after every restart. */
  mutations?: BrokerMutations;
}

export class EmbeddedBroker implements FaultableBroker {
  /** Disk fault switches (fsync failure, slow fsync, disk full) of the running broker. */
  readonly disk: FaultyFileSystem;
  private broker: RunningBroker | null = null;
  private brokerPort = 0;
  private crashCount = 0;
  private boots = 0;

  private constructor(
    private readonly gate: ChaosProxy,
    private readonly options: EmbeddedBrokerOptions,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {
    this.disk = faultyFileSystem();
  }

  static async start(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'seqlog-testkit-'));
    // The gate's target is filled in once the broker has bound; nothing connects before that.
    const target = { host: '127.0.0.1', port: 0 };
    const gate = await ChaosProxy.start({ target });
    const broker = new EmbeddedBroker(gate, options, dataDir, ownsDataDir);
    try {
      await broker.boot();
    } catch (error) {
      await gate.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    target.port = broker.brokerPort;
    return broker;
  }

  get bootstrap(): string {
    return this.gate.address;
  }

  get crashes(): number {
    return this.crashCount;
  }

  get running(): boolean {
    return this.broker !== null;
  }

  private async boot(): Promise<void> {
    this.disk.powerOn();
    const { mutations, ...options } = this.options;
    if (mutations !== undefined && this.boots > 0) await applyRestartMutations(this.dataDir, this.disk, mutations);
    this.boots++;
    this.broker = await startBroker({
      ...options,
      advertisedHost: this.options.advertisedHost ?? this.gate.host,
      advertisedPort: this.options.advertisedPort ?? this.gate.port,
      host: '127.0.0.1',
      port: this.brokerPort,
      dataDir: this.dataDir,
      fs: this.disk,
    });
    this.brokerPort = this.broker.port;
    if (mutations !== undefined) applyBrokerMutations(this.broker, mutations);
  }

  async crash(): Promise<void> {
    const broker = this.broker;
    if (broker === null) return;
    this.broker = null;
    this.crashCount++;
    // Dead to the disk first, so the teardown below can persist nothing; then cut every client at once.
    this.disk.powerOff();
    this.gate.disconnectAll();
    try {
      await broker.close();
    } catch {
      // Expected: the shutdown's writes fail, which is the point.
    }
  }

  async restart(): Promise<void> {
    if (this.broker !== null) return;
    this.gate.resume();
    await this.boot();
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  async stop(): Promise<void> {
    const broker = this.broker;
    if (broker === null) return;
    this.broker = null;
    this.gate.resume();
    await broker.close();
  }

  async close(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await this.gate.close();
      if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}
