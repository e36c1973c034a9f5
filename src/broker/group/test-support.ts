// Helpers for the group coordinator's tests: a timer with its own clock, stepped by hand.
import type { GroupTimer } from './group-timer.ts';

interface ManualTask {
  deadline: number;
  sequence: number;
  task: () => void;
}

/** A timer driven by `advance()`, with its own clock: for unit tests of the group state machine. */
export class ManualGroupTimer implements GroupTimer {
  private readonly tasks = new Map<string, ManualTask>();
  private sequence = 0;
  now: number;

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  /** The clock matching this timer, for the coordinator's `clock` option. */
  readonly clock = (): number => this.now;

  schedule(key: string, delayMs: number, task: () => void): void {
    this.tasks.set(key, { deadline: this.now + Math.max(0, delayMs), sequence: this.sequence++, task });
  }

  cancel(key: string): void {
    this.tasks.delete(key);
  }

  isScheduled(key: string): boolean {
    return this.tasks.has(key);
  }

  cancelAll(): void {
    this.tasks.clear();
  }

  /** Moves the clock forward by `ms`, running due tasks in deadline order (tasks they schedule included). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let nextKey: string | null = null;
      let next: ManualTask | null = null;
      for (const [key, task] of this.tasks) {
        if (task.deadline > target) continue;
        if (next === null || task.deadline < next.deadline || (task.deadline === next.deadline && task.sequence < next.sequence)) {
          next = task;
          nextKey = key;
        }
      }
      if (next === null || nextKey === null) break;
      this.tasks.delete(nextKey);
      this.now = Math.max(this.now, next.deadline);
      next.task();
    }
    this.now = target;
  }
}
