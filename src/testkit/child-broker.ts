// A broker in a child process (`seqlog serve`), for faults only a real process gets: SIGKILL (crash), SIGSTOP and
// SIGCONT (pause), SIGTERM (clean stop). Restarts reuse the data dir and the listening port, so a client's
// bootstrap address and an upstream proxy's target stay valid across crashes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import type { FaultableBroker } from './embedded-broker.ts';

export interface ChildBrokerOptions {
  /** Default: a fresh temp dir, removed by `close()`. */
  readonly dataDir?: string;
  /** Address handed to clients in Metadata, e.g. a proxy in front (`host:port`). */
  readonly advertised?: string;
  /** Extra Kafka configs (`--set name=value`). */
  readonly configs?: Readonly<Record<string, string>>;
  readonly fsync?: 'always' | 'interval' | 'never';
  /** How long to wait for the child to be ready. Default 30 s (tsx compiles on first start). */
  readonly startTimeoutMs?: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const repositoryRoot = new URL('../..', import.meta.url).pathname;

/**
 * How to run `seqlog serve` from wherever this module is: the compiled CLI next to it in an installed package,
 * or the TypeScript source through tsx in a checkout.
 */
function cliCommand(): string[] {
  const compiled = import.meta.url.endsWith('.js');
  const cli = fileURLToPath(new URL(compiled ? '../cli/main.js' : '../cli/main.ts', import.meta.url));
  return compiled ? [cli] : ['--import', 'tsx', cli];
}

export class ChildBroker implements FaultableBroker {
  private child: ChildProcess | null = null;
  private crashCount = 0;
  private listenPort = 0;

  private constructor(
    private readonly options: ChildBrokerOptions,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {}

  static async start(options: ChildBrokerOptions = {}): Promise<ChildBroker> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'seqlog-child-'));
    const broker = new ChildBroker(options, dataDir, ownsDataDir);
    try {
      await broker.spawn();
    } catch (error) {
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    return broker;
  }

  get port(): number {
    return this.listenPort;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.listenPort}`;
  }

  get crashes(): number {
    return this.crashCount;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    // A fixed port from the first start on, so restarts come back where clients and proxies expect them.
    if (this.listenPort === 0) this.listenPort = await freePort();
    // The ready line is logged at info level; stdout stays drained by the line reader below.
    const args = [...cliCommand(), 'serve', '--listeners', `PLAINTEXT://127.0.0.1:${this.listenPort}`, '--data', this.dataDir, '--log-level', 'info'];
    if (this.options.advertised !== undefined) args.push('--advertised-listeners', `PLAINTEXT://${this.options.advertised}`);
    if (this.options.fsync !== undefined) args.push('--fsync', this.options.fsync);
    for (const [name, value] of Object.entries(this.options.configs ?? {})) args.push('--set', `${name}=${value}`);
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the child broker did not become ready in time'));
      }, this.options.startTimeoutMs ?? 30_000);
      const lines = createInterface({ input: child.stdout! });
      let ready = false;
      lines.on('line', (line) => {
        if (ready) return;
        let entry: { msg?: string; bootstrap?: string };
        try {
          entry = JSON.parse(line) as { msg?: string; bootstrap?: string };
        } catch {
          return;
        }
        if (entry.msg !== 'seqlog broker ready') return;
        ready = true;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        if (!ready) reject(new Error(`the child broker exited before it was ready (${code ?? signal})`));
      });
    });
  }

  private signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === null) return Promise.resolve();
    this.child = null;
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async crash(): Promise<void> {
    if (this.child === null) return;
    this.crashCount++;
    // SIGCONT first: a stopped process keeps its sockets open until it runs again, even when killed.
    this.child.kill('SIGCONT');
    await this.signalAndWait('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.child !== null) return;
    await this.spawn();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGCONT');
    await this.signalAndWait('SIGTERM');
  }

  async close(): Promise<void> {
    try {
      await this.stop();
    } finally {
      if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}
