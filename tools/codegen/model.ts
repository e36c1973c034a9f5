// Turns raw specs into a resolved model: parsed version ranges, typed fields, parsed defaults, structs resolved
// (inline and `commonStructs`), and for each struct the hull of versions in which it can appear. Validation mirrors
// the checks of Kafka's generator (generator/src/main/java/org/apache/kafka/message/FieldSpec.java).
import type { LoadedSpec, RawField, RawSpec } from './load.ts';
import { Versions } from './versions.ts';
import { camelCase, structTypeName } from './names.ts';

export const PRIMITIVES = ['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid'] as const;
export type PrimitiveName = (typeof PRIMITIVES)[number];

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly struct: StructModel }
  | { readonly kind: 'array'; readonly element: FieldType };

/** A default, already in the form the emitter needs. */
export type DefaultValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bigint'; readonly value: bigint }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'empty' }; // empty bytes, empty array, zero uuid, or a struct with all defaults

export interface FieldModel {
  readonly name: string;
  readonly property: string;
  readonly type: FieldType;
  /** Versions in which the field exists (regular or tagged). */
  readonly versions: Versions;
  readonly nullableVersions: Versions;
  readonly taggedVersions: Versions;
  readonly tag: number | null;
  readonly ignorable: boolean;
  readonly defaultValue: DefaultValue;
  /** Field-level override of the message's flexible versions (`"none"` on RequestHeader.ClientId). */
  readonly flexibleVersions: Versions | null;
  /** True when the field can hold null in some version it exists in. */
  readonly nullable: boolean;
}

export interface StructModel {
  readonly specName: string;
  readonly typeName: string;
  fields: FieldModel[];
  /** Hull of the message versions in which this struct can appear. */
  versions: Versions;
}

export interface MessageModel {
  readonly file: string;
  readonly internal: boolean;
  readonly name: string;
  readonly kind: RawSpec['type'];
  readonly apiKey: number | null;
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions;
  readonly deprecatedVersions: Versions;
  readonly latestVersionUnstable: boolean;
  readonly listeners: readonly string[];
  readonly root: StructModel;
  /** Every struct except the root, in first-definition order. */
  readonly structs: readonly StructModel[];
}

function isPrimitive(name: string): name is PrimitiveName {
  return (PRIMITIVES as readonly string[]).includes(name);
}

function parseInteger(text: string, where: string): number {
  const s = text.trim();
  const v = /^-?0x[0-9a-f]+$/i.test(s) ? (s.startsWith('-') ? -parseInt(s.slice(1), 16) : parseInt(s, 16)) : Number(s);
  if (!Number.isInteger(v)) throw new Error(`${where}: invalid integer default '${text}'`);
  return v;
}

const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function parseDefault(raw: RawField, type: FieldType, nullable: boolean, where: string): DefaultValue {
  const d = raw.default;
  const text = d === undefined ? undefined : String(d);
  if (type.kind === 'array' || type.kind === 'struct') {
    if (text === undefined) return { kind: 'empty' };
    if (text === 'null') {
      if (!nullable) throw new Error(`${where}: default null on a non-nullable field`);
      return { kind: 'null' };
    }
    throw new Error(`${where}: unsupported default '${text}' for ${raw.type}`);
  }
  switch (type.name) {
    case 'bool':
      if (text === undefined || text === 'false') return { kind: 'bool', value: false };
      if (text === 'true') return { kind: 'bool', value: true };
      throw new Error(`${where}: invalid bool default '${text}'`);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const v = text === undefined ? 0 : parseInteger(text, where);
      const [lo, hi] = INT_RANGES[type.name];
      if (v < lo || v > hi) throw new Error(`${where}: default ${v} out of range for ${type.name}`);
      return { kind: 'number', value: v };
    }
    case 'int64':
      return { kind: 'bigint', value: text === undefined ? 0n : BigInt(text.trim()) };
    case 'float64': {
      const v = text === undefined ? 0 : Number(text);
      if (Number.isNaN(v) && text !== 'NaN') throw new Error(`${where}: invalid float64 default '${text}'`);
      return { kind: 'number', value: v };
    }
    case 'string':
      if (text === undefined) return { kind: 'string', value: '' };
      if (text === 'null') {
        if (!nullable) throw new Error(`${where}: default null on a non-nullable string`);
        return { kind: 'null' };
      }
      return { kind: 'string', value: text };
    case 'uuid':
      if (text === undefined) return { kind: 'empty' };
      throw new Error(`${where}: uuid defaults are not supported`);
    case 'bytes':
      if (text === undefined) return { kind: 'empty' };
      if (text === 'null' && nullable) return { kind: 'null' };
      throw new Error(`${where}: unsupported bytes default '${text}'`);
    case 'records':
      // Nullable record fields start out null as in Kafka's generated code; a non-nullable one starts empty so
      // that a default message can be encoded.
      if (text === undefined) return nullable ? { kind: 'null' } : { kind: 'empty' };
      if (text === 'null' && nullable) return { kind: 'null' };
      throw new Error(`${where}: unsupported records default '${text}'`);
  }
}

class MessageBuilder {
  private readonly structsByName = new Map<string, StructModel>();
  private readonly ordered: StructModel[] = [];
  private readonly pendingCommon = new Map<string, { versions: Versions; fields: readonly RawField[] }>();
  private readonly typeNames = new Set<string>();

  constructor(
    private readonly spec: RawSpec,
    private readonly file: string,
  ) {
    for (const cs of spec.commonStructs ?? []) {
      if (this.pendingCommon.has(cs.name)) throw new Error(`${file}: common struct ${cs.name} defined twice`);
      this.pendingCommon.set(cs.name, { versions: Versions.parse(cs.versions, Versions.ALL), fields: cs.fields });
    }
  }

  build(loaded: LoadedSpec): MessageModel {
    const spec = this.spec;
    const validVersions = Versions.parse(spec.validVersions, Versions.NONE);
    if (validVersions.empty) throw new Error(`${this.file}: no valid versions`);
    const root: StructModel = { specName: spec.name, typeName: spec.name, fields: [], versions: validVersions };
    this.typeNames.add(spec.name);
    root.fields = this.buildFields(spec.fields, spec.name);
    // Common structs that no field references are still emitted, so the output does not depend on usage.
    for (const name of this.pendingCommon.keys()) this.resolveStruct(name, undefined, spec.name);
    root.versions = Versions.NONE;
    for (const s of this.ordered) s.versions = Versions.NONE;
    this.markVersions(root, validVersions);
    return {
      file: loaded.file,
      internal: loaded.internal,
      name: spec.name,
      kind: spec.type,
      apiKey: spec.apiKey ?? null,
      validVersions,
      flexibleVersions: Versions.parse(spec.flexibleVersions, Versions.NONE),
      deprecatedVersions: Versions.parse(spec.deprecatedVersions, Versions.NONE),
      latestVersionUnstable: spec.latestVersionUnstable === true,
      listeners: spec.listeners ?? [],
      root,
      structs: this.ordered,
    };
  }

  private markVersions(struct: StructModel, versions: Versions): void {
    const before = struct.versions;
    struct.versions = before.hull(versions);
    if (before.equals(struct.versions) && !before.empty) return;
    // Hulls, not exact sets: a struct's code may cover a few versions it is never reached in, which is harmless.
    for (const f of struct.fields) {
      const inner = struct.versions.intersect(f.versions);
      if (inner.empty) continue;
      let t = f.type;
      while (t.kind === 'array') t = t.element;
      if (t.kind === 'struct') this.markVersions(t.struct, inner);
    }
  }

  private resolveStruct(name: string, inline: readonly RawField[] | undefined, where: string): StructModel {
    const existing = this.structsByName.get(name);
    if (inline !== undefined) {
      if (existing !== undefined) throw new Error(`${this.file}: struct ${name} defined more than once (${where})`);
      if (this.pendingCommon.has(name)) throw new Error(`${this.file}: struct ${name} shadows a common struct`);
      return this.define(name, inline);
    }
    if (existing !== undefined) return existing;
    const common = this.pendingCommon.get(name);
    if (common === undefined) throw new Error(`${this.file}: ${where} refers to unknown struct ${name}`);
    return this.define(name, common.fields);
  }

  private define(name: string, rawFields: readonly RawField[]): StructModel {
    const typeName = structTypeName(this.spec.name, name);
    if (this.typeNames.has(typeName)) throw new Error(`${this.file}: type name ${typeName} is not unique`);
    this.typeNames.add(typeName);
    const struct: StructModel = { specName: name, typeName, fields: [], versions: Versions.NONE };
    this.structsByName.set(name, struct);
    this.ordered.push(struct);
    struct.fields = this.buildFields(rawFields, name);
    return struct;
  }

  private buildFields(raw: readonly RawField[], owner: string): FieldModel[] {
    const seen = new Set<string>();
    const tags = new Set<number>();
    const fields: FieldModel[] = [];
    for (const f of raw) {
      const where = `${this.file}: ${owner}.${f.name}`;
      if (seen.has(f.name)) throw new Error(`${where}: duplicate field`);
      seen.add(f.name);
      const taggedVersions = Versions.parse(f.taggedVersions, Versions.NONE);
      const versions = Versions.parse(f.versions, f.taggedVersions !== undefined ? taggedVersions : Versions.NONE);
      if (f.versions === undefined && f.taggedVersions === undefined) throw new Error(`${where}: no versions`);
      const tag = f.tag === undefined ? null : typeof f.tag === 'string' && /^\d+$/.test(f.tag) ? Number(f.tag) : f.tag;
      if ((tag === null) !== taggedVersions.empty) throw new Error(`${where}: tag and taggedVersions must come together`);
      if (tag !== null) {
        if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0) throw new Error(`${where}: invalid tag ${tag}`);
        if (tags.has(tag)) throw new Error(`${where}: duplicate tag ${tag}`);
        tags.add(tag);
        // Kafka allows a field to become tagged only from some version on; no spec uses it and supporting it
        // would complicate every reader, so it is rejected here.
        if (!taggedVersions.equals(versions)) throw new Error(`${where}: taggedVersions must equal versions`);
        const flexible = Versions.parse(this.spec.flexibleVersions, Versions.NONE);
        if (!flexible.covers(taggedVersions.intersect(Versions.parse(this.spec.validVersions, Versions.NONE)))) {
          throw new Error(`${where}: tagged in a non-flexible version`);
        }
      }
      const type = this.resolveType(f, where);
      const nullableVersions = Versions.parse(f.nullableVersions, Versions.NONE).intersect(versions);
      if (!nullableVersions.empty) {
        const t = type.kind === 'primitive' ? type.name : type.kind;
        if (!['string', 'bytes', 'records', 'array', 'struct'].includes(t)) throw new Error(`${where}: ${f.type} cannot be nullable`);
      }
      const nullable = !nullableVersions.empty || (type.kind === 'primitive' && type.name === 'records');
      fields.push({
        name: f.name,
        property: camelCase(f.name),
        type,
        versions,
        nullableVersions,
        taggedVersions,
        tag,
        ignorable: f.ignorable === true,
        defaultValue: parseDefault(f, type, !nullableVersions.empty, where),
        flexibleVersions: f.flexibleVersions === undefined ? null : Versions.parse(f.flexibleVersions, Versions.NONE),
        nullable,
      });
    }
    return fields;
  }

  private resolveType(f: RawField, where: string): FieldType {
    const isArray = f.type.startsWith('[]');
    const base = isArray ? f.type.slice(2) : f.type;
    let element: FieldType;
    if (isPrimitive(base)) {
      if (f.fields !== undefined) throw new Error(`${where}: primitive type with fields`);
      if (isArray && (base === 'records' || base === 'bytes')) throw new Error(`${where}: arrays of ${base} are not supported`);
      element = { kind: 'primitive', name: base };
    } else if (/^[A-Z][A-Za-z0-9]*$/.test(base)) {
      element = { kind: 'struct', struct: this.resolveStruct(base, f.fields, where) };
    } else {
      throw new Error(`${where}: unknown type '${f.type}'`);
    }
    return isArray ? { kind: 'array', element } : element;
  }
}

export function buildModel(loaded: LoadedSpec): MessageModel {
  return new MessageBuilder(loaded.spec, loaded.file).build(loaded);
}
