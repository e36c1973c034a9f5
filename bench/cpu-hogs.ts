// CPU starvation on demand: N processes that each spin one core (a `stress --cpu N` without the dependency), so a
// latency bench can measure the brokers on a machine whose run queue is longer than its cores, reproducibly.
//   node --import tsx bench/cpu-hogs.ts <N> [seconds]     spins N processes until killed (or for <seconds>)
// From a bench: `const hogs = startCpuHogs(n); ...; await hogs.stop();`.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const SPIN = 'for (;;) {}';

export interface CpuHogs {
  readonly count: number;
  stop(): Promise<void>;
}

export function startCpuHogs(count: number): CpuHogs {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) children.push(spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }));
  return {
    count,
    stop: () =>
      Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      ).then(() => undefined),
  };
}

/**
 * CPU time and run-queue wait of every thread of a process, in ns (Linux `/proc/<pid>/task/<tid>/schedstat`:
 * time on a CPU, time runnable but waiting for one, timeslices). Threads that exited are not counted, so take
 * the difference of two readings of a long-lived process. Null where the kernel has no schedstat.
 */
export interface SchedStat {
  cpuNs: number;
  waitNs: number;
  threads: number;
}

export function readSchedStat(pid: number | 'self'): SchedStat | null {
  try {
    let cpuNs = 0;
    let waitNs = 0;
    let threads = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
        cpuNs += cpu;
        waitNs += wait;
        threads++;
      } catch {
        // the thread exited between the listing and the read
      }
    }
    return { cpuNs, waitNs, threads };
  } catch {
    return null;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 4);
  const seconds = Number(process.argv[3] ?? Infinity);
  const hogs = startCpuHogs(count);
  process.stderr.write(`${count} CPU hogs spinning${Number.isFinite(seconds) ? ` for ${seconds} s` : ' (Ctrl-C stops them)'}\n`);
  const stop = (): void => void hogs.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (Number.isFinite(seconds)) setTimeout(stop, seconds * 1000);
}
