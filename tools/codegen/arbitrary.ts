// fast-check arbitraries for any message of the model at a given version: only fields that exist in that version
// get random values (absent ones hold their default, which is what decoding yields), nulls only where the
// version allows them, tagged fields included. Test support for the round-trip property.
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { FieldModel, FieldType, MessageModel, PrimitiveName, StructModel } from './model.ts';

export type Value = unknown;

const MAX_ARRAY = 3;

function primitive(name: PrimitiveName): Arbitrary<Value> {
  switch (name) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
  }
}

/** The value a field decodes to when the version does not carry it. */
export function defaultValue(f: FieldModel): Value {
  const d = f.defaultValue;
  switch (d.kind) {
    case 'null':
      return null;
    case 'number':
    case 'bigint':
    case 'bool':
    case 'string':
      return d.value;
    case 'empty':
      if (f.type.kind === 'array') return [];
      if (f.type.kind === 'struct') return defaultStruct(f.type.struct);
      return Buffer.alloc(f.type.name === 'uuid' ? 16 : 0);
  }
}

export function defaultStruct(s: StructModel): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of s.fields) out[f.property] = defaultValue(f);
  return out;
}

export function isFlexible(message: MessageModel, version: number): boolean {
  return message.flexibleVersions.contains(version);
}

function present(f: FieldModel, version: number, flexible: boolean): boolean {
  if (!f.versions.contains(version)) return false;
  return f.tag === null || flexible;
}

function ofType(t: FieldType, version: number, flexible: boolean, depth: number): Arbitrary<Value> {
  switch (t.kind) {
    case 'primitive':
      return primitive(t.name);
    case 'struct':
      return structArbitrary(t.struct, version, flexible, depth + 1);
    case 'array':
      return fc.array(ofType(t.element, version, flexible, depth), { maxLength: depth > 3 ? 1 : MAX_ARRAY });
  }
}

export function structArbitrary(s: StructModel, version: number, flexible: boolean, depth = 0): Arbitrary<Record<string, Value>> {
  const record: Record<string, Arbitrary<Value>> = {};
  for (const f of s.fields) {
    if (!present(f, version, flexible)) {
      const d = defaultValue(f);
      record[f.property] = fc.constant(d);
      continue;
    }
    const base = ofType(f.type, version, flexible, depth);
    record[f.property] = f.nullableVersions.contains(version) ? fc.option(base, { nil: null, freq: 4 }) : base;
  }
  return fc.record(record, { noNullPrototype: true });
}

export function messageArbitrary(message: MessageModel, version: number): Arbitrary<Record<string, Value>> {
  return structArbitrary(message.root, version, isFlexible(message, version));
}
