import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('gives entries back in the order they were pushed, whatever the mix of pushes and shifts', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant<'shift'>('shift'), fc.integer({ min: 1, max: 3000 })), { maxLength: 200 }), (steps) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const step of steps) {
          if (step === 'shift') {
            assert.equal(fifo.shift(), model.shift());
          } else {
            for (let i = 0; i < step; i++) {
              fifo.push(next);
              model.push(next++);
            }
          }
          assert.equal(fifo.length, model.length);
          assert.equal(fifo.peek(), model[0]);
        }
      }),
    );
  });

  // The timeout is a hang guard, not a speed target: this takes well under a second, and the same drain with
  // Array#shift, which moves every element each time on an array this long, takes many minutes.
  it('drains a queue of a million entries in linear time', { timeout: 60_000 }, () => {
    const fifo = new Fifo<{ n: number }>();
    for (let n = 0; n < 1_000_000; n++) fifo.push({ n });
    let expected = 0;
    for (let item = fifo.shift(); item !== undefined; item = fifo.shift()) assert.equal(item.n, expected++);
    assert.equal(expected, 1_000_000);
    assert.equal(fifo.length, 0);
  });
});
