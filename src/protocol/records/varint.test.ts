// Record-level varints are zigzag (ByteUtils.writeVarint/writeVarlong); these pin the existing Reader/Writer
// and the encoder's size arithmetic to Kafka's bytes at the edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError, Reader } from '../wire/reader.ts';
import { Writer } from '../wire/writer.ts';
import { sizeOfVarint, sizeOfVarlong } from './record-batch-encoder.ts';

const varints: ReadonlyArray<readonly [number, string]> = [
  [0, '00'],
  [-1, '01'],
  [1, '02'],
  [-64, '7f'],
  [63, '7e'],
  [64, '8001'],
  [-65, '8101'],
  [300, 'd804'],
  [2147483647, 'feffffff0f'],
  [-2147483648, 'ffffffff0f'],
];

for (const [value, hex] of varints) {
  test(`varint ${value} <-> ${hex}`, () => {
    const bytes = new Writer().varint(value).finish();
    assert.equal(bytes.toString('hex'), hex);
    assert.equal(sizeOfVarint(value), bytes.length);
    const reader = new Reader(Buffer.from(hex, 'hex'));
    assert.equal(reader.varint(), value);
    assert.equal(reader.remaining, 0);
  });
}

const varlongs: ReadonlyArray<readonly [bigint, string]> = [
  [0n, '00'],
  [-1n, '01'],
  [2147483647n, 'feffffff0f'],
  [2147483648n, '8080808010'],
  [-2147483649n, '8180808010'],
  [9223372036854775807n, 'feffffffffffffffff01'],
  [-9223372036854775808n, 'ffffffffffffffffff01'],
  [1_700_000_000_000n, '80a0abfef962'],
];

for (const [value, hex] of varlongs) {
  test(`varlong ${value} <-> ${hex}`, () => {
    const bytes = new Writer().varlong(value).finish();
    assert.equal(bytes.toString('hex'), hex);
    assert.equal(sizeOfVarlong(value), bytes.length);
    const reader = new Reader(Buffer.from(hex, 'hex'));
    assert.equal(reader.varlong(), value);
    assert.equal(reader.remaining, 0);
  });
}

test('zigzag varints and varlongs round-trip over their whole range', () => {
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), (n, l) => {
      const bytes = new Writer().varint(n).varlong(l).finish();
      assert.equal(bytes.length, sizeOfVarint(n) + sizeOfVarlong(l));
      const reader = new Reader(bytes);
      assert.equal(reader.varint(), n);
      assert.equal(reader.varlong(), l);
    }),
    { numRuns: 300 },
  );
});

test('an int32-range varlong has the same bytes as the varint (the encoder relies on it)', () => {
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (n) => {
      assert.equal(new Writer().varint(n).finish().toString('hex'), new Writer().varlong(BigInt(n)).finish().toString('hex'));
    }),
  );
});

test('over-long and truncated varints are decode errors', () => {
  assert.throws(() => new Reader(Buffer.from('ffffffffff01', 'hex')).varint(), DecodeError);
  assert.throws(() => new Reader(Buffer.from('ffffffffffffffffffff01', 'hex')).varlong(), DecodeError);
  assert.throws(() => new Reader(Buffer.from('ff', 'hex')).varint(), DecodeError);
  assert.throws(() => new Reader(Buffer.from('ffff', 'hex')).varlong(), DecodeError);
});
