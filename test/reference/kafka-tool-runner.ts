// Apache Kafka's command-line tools run in one long-lived JVM (test/peers/java/ToolRunner.java) instead of one JVM
// per tool run: a test that calls dozens of tools pays for one JVM start instead of dozens. Runs are sequential
// (the tools share the JVM's System.out/in); each answer carries the tool's exit code, stdout and stderr.
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { javaExecutable, kafkaClasspath, repoRoot } from './layout.ts';
import { spawnReaped } from './reaper.ts';

const ANSWER_PREFIX = '@@tool-runner@@ ';
const runnerSource = join(repoRoot, 'test/peers/java/ToolRunner.java');

export interface ToolRun {
  status: number;
  stdout: string;
  stderr: string;
}

interface Pending {
  resolve: (answer: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export class KafkaToolRunner {
  private readonly waiting: Pending[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private exited: Error | null = null;
  private log = '';

  private constructor(private readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith(ANSWER_PREFIX)) {
        this.log = (this.log + line + '\n').slice(-4000);
        return;
      }
      this.waiting.shift()?.resolve(JSON.parse(line.slice(ANSWER_PREFIX.length)) as Record<string, unknown>);
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-4000)));
    child.once('exit', (code, signal) => {
      this.exited = new Error(`the Kafka tool runner exited (${signal ?? code}):\n${this.log}`);
      for (const pending of this.waiting.splice(0)) pending.reject(this.exited);
    });
  }

  /** Starts the JVM (its classpath is the reference harness's Kafka jars) and waits until it takes requests. */
  static async start(options: { log4jConfig?: string } = {}): Promise<KafkaToolRunner> {
    // --add-opens: the runner reads the JVM's shutdown hooks to run those a tool registers when its run ends.
    const jvmArgs = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xmx512m', '--add-opens', 'java.base/java.lang=ALL-UNNAMED'];
    if (options.log4jConfig !== undefined) jvmArgs.push(`-Dlog4j2.configurationFile=${options.log4jConfig}`);
    const child = spawnReaped(javaExecutable(), [...jvmArgs, '-cp', kafkaClasspath, runnerSource], { stdio: ['pipe', 'pipe', 'pipe'] });
    const runner = new KafkaToolRunner(child);
    await runner.next();
    return runner;
  }

  /** Runs `mainClass` with `args` (and `input` on its stdin) once every earlier run has finished. */
  run(mainClass: string, args: readonly string[], input?: string): Promise<ToolRun> {
    const run = this.queue.then(async () => {
      const answer = this.next();
      this.child.stdin!.write(`${JSON.stringify({ main: mainClass, args, input: input ?? null })}\n`);
      const { status, stdout, stderr } = await answer;
      return { status: Number(status), stdout: String(stdout), stderr: String(stderr) };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    if (this.exited !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private next(): Promise<Record<string, unknown>> {
    if (this.exited !== null) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}
