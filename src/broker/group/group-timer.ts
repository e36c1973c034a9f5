// Keyed timers for the group coordinator, the shape of Kafka's `CoordinatorTimer`: scheduling a key replaces
// whatever was scheduled under it, so "reschedule the heartbeat of member m" is one call. The coordinator keys
// its timers `heartbeat-<group>-<member>`, `join-<group>` and `sync-<group>` as `GroupMetadataManager` does.
// Real timers are `unref()`'d: a pending session timeout never keeps the process alive. Tests use a manual
// timer (test-support.ts) to step time deterministically.

export interface GroupTimer {
  /** Runs `task` after `delayMs`, replacing any task scheduled under `key`. */
  schedule(key: string, delayMs: number, task: () => void): void;
  cancel(key: string): void;
  isScheduled(key: string): boolean;
  /** Cancels everything (coordinator shutdown). */
  cancelAll(): void;
}

export class SystemGroupTimer implements GroupTimer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onError: (error: unknown, key: string) => void) {}

  schedule(key: string, delayMs: number, task: () => void): void {
    this.cancel(key);
    const handle = setTimeout(() => {
      // Only forget the key if it still maps to this timer: the task may have rescheduled itself.
      if (this.timers.get(key) === handle) this.timers.delete(key);
      try {
        task();
      } catch (error) {
        this.onError(error, key);
      }
    }, Math.max(0, delayMs));
    handle.unref();
    this.timers.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.timers.get(key);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.timers.delete(key);
  }

  isScheduled(key: string): boolean {
    return this.timers.has(key);
  }

  cancelAll(): void {
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
  }
}
