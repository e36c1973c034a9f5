// The cleaner's I/O rate cap (Kafka's `Throttler`), on a controlled clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IoThrottler } from './io-throttler.ts';

describe('IoThrottler', () => {
  it('asks for no pause within the rate, and for the missing time when a period ran faster', () => {
    const clock = { now: 0 };
    const throttler = new IoThrottler(1_000_000, () => clock.now, 300);
    clock.now = 100;
    assert.equal(throttler.record(500_000), 0, 'a period is only judged once checkIntervalMs has passed');
    clock.now = 400;
    // 600 KB in 400 ms at 1 MB/s should have taken 600 ms: 200 ms to wait.
    assert.equal(throttler.record(100_000), 200);
    // The next period starts after the pause: 300 KB over 300 ms is exactly the rate.
    clock.now = 900;
    assert.equal(throttler.record(300_000), 0);
  });

  it('is unlimited by default (Double.MaxValue)', () => {
    const clock = { now: 0 };
    const throttler = new IoThrottler(Number.MAX_VALUE, () => clock.now);
    clock.now = 1_000;
    assert.equal(throttler.limited, false);
    assert.equal(throttler.record(1e12), 0);
  });
});
