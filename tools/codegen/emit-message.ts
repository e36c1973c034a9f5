// Emits the TypeScript for one message spec: interfaces, default builders, and per-segment encode/decode
// functions. A message's versions are split into at most two segments (non-flexible and flexible); inside a
// segment the code is straight-line, with `version` tests only where a field comes or goes within the segment.
import type { FieldModel, FieldType, MessageModel, PrimitiveName, StructModel } from './model.ts';
import { Versions } from './versions.ts';
import { localName } from './names.ts';
import { CodeBuilder } from './code-builder.ts';

interface Segment {
  readonly versions: Versions;
  readonly flexible: boolean;
  readonly suffix: 'NonFlexible' | 'Flexible';
}

/** Names the generated file pulls from the hand-written runtime; recorded so that only used ones are imported. */
export class ImportTracker {
  readonly runtime = new Set<string>();
  writerClass = false;
  decodeError = false;

  use(name: string): string {
    this.runtime.add(name);
    return name;
  }
}

const FIXED_SIZE: Partial<Record<PrimitiveName, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

const TS_PRIMITIVE: Record<PrimitiveName, string> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  string: 'string',
  bytes: 'Buffer',
  records: 'Buffer',
  uuid: 'Buffer',
};

type Cond = 'always' | 'never' | string;

/** The test for "version is in `f`" when the code only ever runs for versions in `scope`. */
function cond(f: Versions, scope: Versions): Cond {
  const i = f.intersect(scope);
  if (i.empty) return 'never';
  const parts: string[] = [];
  if (i.lowest > scope.lowest) parts.push(`version >= ${i.lowest}`);
  if (i.highest < scope.highest) parts.push(`version <= ${i.highest}`);
  return parts.length === 0 ? 'always' : parts.join(' && ');
}

export function segmentsOf(message: MessageModel): Segment[] {
  const valid = message.validVersions;
  const flex = message.flexibleVersions.intersect(valid);
  const out: Segment[] = [];
  const nonFlex = flex.empty ? valid : valid.intersect(new Versions(0, flex.lowest - 1));
  if (!nonFlex.empty) out.push({ versions: nonFlex, flexible: false, suffix: 'NonFlexible' });
  if (!flex.empty) {
    if (flex.highest !== valid.highest) throw new Error(`${message.name}: flexible versions must run to the last version`);
    out.push({ versions: flex, flexible: true, suffix: 'Flexible' });
  }
  return out;
}

export function tsType(t: FieldType): string {
  switch (t.kind) {
    case 'primitive':
      return TS_PRIMITIVE[t.name];
    case 'struct':
      return t.struct.typeName;
    case 'array':
      return `${tsType(t.element)}[]`;
  }
}

function fieldType(f: FieldModel): string {
  return f.nullable ? `${tsType(f.type)} | null` : tsType(f.type);
}

export class MessageEmitter {
  private readonly out = new CodeBuilder();
  private readonly needIsDefault = new Set<StructModel>();
  private readonly emittedIsDefault = new Set<StructModel>();
  private readonly segments: Segment[];
  private counter = 0;

  constructor(
    private readonly message: MessageModel,
    readonly imports: ImportTracker,
  ) {
    this.segments = segmentsOf(message);
  }

  /** All structs of the message, root first. */
  private get allStructs(): StructModel[] {
    return [this.message.root, ...this.message.structs];
  }

  emit(): string {
    const o = this.out;
    for (const s of this.allStructs) this.emitInterface(s);
    for (const s of this.allStructs) this.emitDefault(s);
    this.emitEntryPoints();
    for (const s of this.allStructs) {
      for (const seg of this.segments) {
        const scope = s.versions.intersect(seg.versions);
        if (scope.empty) continue;
        this.emitEncode(s, seg, scope);
        this.emitDecode(s, seg, scope);
      }
    }
    while (this.needIsDefault.size > this.emittedIsDefault.size) {
      for (const s of this.allStructs) {
        if (this.needIsDefault.has(s) && !this.emittedIsDefault.has(s)) this.emitIsDefault(s);
      }
    }
    return o.toString();
  }

  // ---------------------------------------------------------------- types and defaults

  private emitInterface(s: StructModel): void {
    const o = this.out;
    const versions = s === this.message.root ? this.message.validVersions : s.versions;
    o.line(`/** ${s === this.message.root ? this.message.name : `${this.message.name} → ${s.specName}`} (versions ${versions}). */`);
    if (s.fields.length === 0) {
      o.line(`export type ${s.typeName} = Record<string, never>;`);
      o.blank();
      return;
    }
    o.open(`export interface ${s.typeName} {`);
    for (const f of s.fields) {
      const notes = [`versions ${f.versions.intersect(this.message.validVersions)}`];
      if (!f.nullableVersions.empty) notes.push(`nullable ${f.nullableVersions.intersect(this.message.validVersions)}`);
      if (f.tag !== null) notes.push(`tag ${f.tag}`);
      o.line(`/** ${notes.join(', ')}. */`);
      o.line(`${f.property}: ${fieldType(f)};`);
    }
    o.close('}');
    o.blank();
  }

  private emitDefault(s: StructModel): void {
    const o = this.out;
    o.line(`/** A ${s.typeName} with every field at its spec default. */`);
    o.open(`export function default${s.typeName}(): ${s.typeName} {`);
    if (s.fields.length === 0) {
      o.line('return {};');
    } else {
      o.open('return {');
      for (const f of s.fields) o.line(`${f.property}: ${this.defaultExpr(f)},`);
      o.close('};');
    }
    o.close('}');
    o.blank();
  }

  private defaultExpr(f: FieldModel): string {
    const d = f.defaultValue;
    switch (d.kind) {
      case 'null':
        return 'null';
      case 'number':
        return Object.is(d.value, -0) ? '0' : String(d.value);
      case 'bigint':
        return `${d.value}n`;
      case 'bool':
        return String(d.value);
      case 'string':
        return JSON.stringify(d.value);
      case 'empty': {
        const t = f.type;
        if (t.kind === 'array') return '[]';
        if (t.kind === 'struct') return `default${t.struct.typeName}()`;
        if (t.name === 'uuid') return this.imports.use('ZERO_UUID');
        return this.imports.use('EMPTY_BUFFER');
      }
    }
  }

  /** An expression that is true when `x` (the field's value) differs from the field's default. */
  private notDefault(f: FieldModel, x: string): string {
    const d = f.defaultValue;
    switch (d.kind) {
      case 'null':
        return `${x} !== null`;
      case 'number':
        return `${x} !== ${d.value}`;
      case 'bigint':
        return `${x} !== ${d.value}n`;
      case 'bool':
        return `${x} !== ${d.value}`;
      case 'string':
        return `${x} !== ${JSON.stringify(d.value)}`;
      case 'empty': {
        const t = f.type;
        let test: string;
        if (t.kind === 'struct') {
          this.needIsDefault.add(t.struct);
          test = `!isDefault${t.struct.typeName}(${x})`;
        } else if (t.kind === 'primitive' && t.name === 'uuid') {
          test = `!${this.imports.use('isZeroUuid')}(${x})`;
        } else {
          test = `${x}.length !== 0`;
        }
        return f.nullable ? `(${x} === null || ${test})` : test;
      }
    }
  }

  private emitIsDefault(s: StructModel): void {
    this.emittedIsDefault.add(s);
    const o = this.out;
    o.open(`function isDefault${s.typeName}(m: ${s.typeName}): boolean {`);
    for (const f of s.fields) o.line(`if (${this.notDefault(f, `m.${f.property}`)}) return false;`);
    o.line('return true;');
    o.close('}');
    o.blank();
  }

  // ---------------------------------------------------------------- entry points

  private emitEntryPoints(): void {
    const o = this.out;
    const m = this.message;
    const t = m.root.typeName;
    const v = m.validVersions;
    const check = this.imports.use('checkVersion');
    this.imports.writerClass = true;

    o.line(`/** Encodes a ${t} at \`version\` (${v}). */`);
    o.open(`export function encode${t}(w: Writer, m: ${t}, version: number): void {`);
    o.line(`${check}(${JSON.stringify(t)}, version, ${v.lowest}, ${v.highest});`);
    this.emitDispatch((seg) => `return encode${t}${seg.suffix}(w, m, version);`);
    o.close('}');
    o.blank();

    o.line(`/** Decodes a ${t} at \`version\` (${v}); byte fields are views into the reader's buffer. */`);
    o.open(`export function decode${t}(r: Reader, version: number): ${t} {`);
    o.line(`${check}(${JSON.stringify(t)}, version, ${v.lowest}, ${v.highest});`);
    this.emitDispatch((seg) => `return decode${t}${seg.suffix}(r, version);`);
    o.close('}');
    o.blank();
  }

  private emitDispatch(call: (seg: Segment) => string): void {
    const o = this.out;
    if (this.segments.length === 1) {
      o.line(call(this.segments[0]));
    } else {
      const [first, second] = this.segments;
      o.line(`if (version >= ${second.versions.lowest}) ${second.flexible ? call(second) : call(first)}`);
      o.line(second.flexible ? call(first) : call(second));
    }
  }

  // ---------------------------------------------------------------- encode

  /** Versions in which the field is part of the regular (untagged) body within a segment. */
  private regularVersions(f: FieldModel): Versions {
    return f.tag === null ? f.versions : Versions.NONE;
  }

  private taggedVersions(f: FieldModel, seg: Segment): Versions {
    return seg.flexible && f.tag !== null ? f.taggedVersions : Versions.NONE;
  }

  private compact(f: FieldModel, seg: Segment, scope: Versions): boolean {
    if (!seg.flexible) return false;
    if (f.flexibleVersions === null) return true;
    const within = f.versions.intersect(scope);
    if (f.flexibleVersions.covers(within)) return true;
    if (f.flexibleVersions.intersect(within).empty) return false;
    throw new Error(`${this.message.name}.${f.name}: field flexibleVersions splits a segment`);
  }

  private path(s: StructModel, f: FieldModel): string {
    return JSON.stringify(`${s.specName}.${f.name}`);
  }

  private emitEncode(s: StructModel, seg: Segment, scope: Versions): void {
    const o = this.out;
    o.open(`function encode${s.typeName}${seg.suffix}(w: Writer, m: ${s.typeName}, version: number): void {`);
    const used = o.mark();
    for (const f of s.fields) {
      const regular = cond(this.regularVersions(f), scope);
      const tagged = cond(this.taggedVersions(f, seg), scope);
      const x = `m.${f.property}`;
      // Evaluated lazily: building the test records imports and isDefault helpers.
      const absent = (): string => this.notDefault(f, x);
      // Responses drop what the negotiated version cannot carry: the broker builds one response for every
      // version and an older client cannot receive the field anyway. Requests keep Kafka's rule (a set,
      // non-ignorable field the version lacks is an error) so a client never silently loses what it asked for.
      const checkAbsent = !f.ignorable && this.message.kind !== 'response';
      const thrower = (): string => `throw ${this.imports.use('fieldNotInVersion')}(${this.path(s, f)}, version);`;
      if (regular === 'always') {
        this.emitWriteField(s, f, seg, scope, 'w', x);
      } else if (regular !== 'never') {
        o.open(`if (${regular}) {`);
        this.emitWriteField(s, f, seg, scope, 'w', x);
        if (checkAbsent && tagged === 'never') {
          o.mid(`} else if (${absent()}) {`);
          o.line(thrower());
        }
        o.close('}');
      } else if (tagged === 'never' && checkAbsent) {
        o.line(`if (${absent()}) ${thrower()}`);
      } else if (tagged !== 'always' && tagged !== 'never' && checkAbsent) {
        o.line(`if (!(${tagged}) && ${absent()}) ${thrower()}`);
      }
    }
    if (seg.flexible) this.emitWriteTagged(s, seg, scope);
    if (!o.usedSince(used, 'version')) o.line('void version;');
    if (!o.usedSince(used, 'm')) o.line('void m;');
    o.close('}');
    o.blank();
  }

  private emitWriteTagged(s: StructModel, seg: Segment, scope: Versions): void {
    const o = this.out;
    const tagged = s.fields
      .filter((f) => cond(this.taggedVersions(f, seg), scope) !== 'never')
      .sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
    if (tagged.length === 0) {
      o.line('w.uvarint(0);');
      return;
    }
    const tests = tagged.map((f) => {
      const c = cond(this.taggedVersions(f, seg), scope);
      const nd = this.notDefault(f, `m.${f.property}`);
      return c === 'always' ? nd : `${c} && ${nd}`;
    });
    o.line('let tagged = 0;');
    for (const t of tests) o.line(`if (${t}) tagged++;`);
    o.line('w.uvarint(tagged);');
    tagged.forEach((f, i) => {
      o.open(`if (${tests[i]}) {`);
      o.line(`w.uvarint(${f.tag});`);
      const fixed = f.type.kind === 'primitive' ? FIXED_SIZE[f.type.name] : undefined;
      if (fixed !== undefined) {
        o.line(`w.uvarint(${fixed});`);
        this.emitWriteField(s, f, seg, scope, 'w', `m.${f.property}`);
      } else {
        // Size prefix first, so the value goes to a scratch writer; only non-default tagged values get here.
        o.line('const tw = new Writer(64);');
        this.emitWriteField(s, f, seg, scope, 'tw', `m.${f.property}`);
        o.line('const tb = tw.finish();');
        o.line('w.uvarint(tb.length);');
        o.line('w.raw(tb);');
      }
      o.close('}');
    });
  }

  /** Writes one field's value, including the null checks for versions where null is not allowed. */
  private emitWriteField(s: StructModel, f: FieldModel, seg: Segment, scope: Versions, w: string, x: string): void {
    const o = this.out;
    const present = f.versions.intersect(scope);
    const compact = this.compact(f, seg, scope);
    const nullable = f.nullable ? cond(f.nullableVersions, present) : 'never';
    if (f.nullable && nullable !== 'always') {
      const test = nullable === 'never' ? `${x} === null` : `${x} === null && !(${nullable})`;
      o.line(`if (${test}) throw ${this.imports.use('nullNotAllowed')}(${this.path(s, f)}, version);`);
    }
    const mayBeNull = f.nullable && nullable !== 'never';
    const t = f.type;
    if (t.kind === 'primitive') {
      o.line(`${this.writePrimitive(t.name, compact, w, x)};`);
    } else if (t.kind === 'struct') {
      const call = `encode${t.struct.typeName}${seg.suffix}(${w}, ${x}, version);`;
      if (mayBeNull) {
        // Kafka writes a nullable struct as an int8 marker (-1 null, 1 present) before the struct itself.
        o.open(`if (${x} === null) {`);
        o.line(`${w}.int8(-1);`);
        o.mid('} else {');
        o.line(`${w}.int8(1);`);
        o.line(call);
        o.close('}');
      } else if (f.nullable) {
        o.line(`encode${t.struct.typeName}${seg.suffix}(${w}, ${x}!, version);`);
      } else {
        o.line(call);
      }
    } else {
      const a = `a${this.counter++}`;
      const len = compact ? 'compactArrayLength' : 'arrayLength';
      o.line(`const ${a} = ${x}${f.nullable && !mayBeNull ? '!' : ''};`);
      const elem = (e: string): string => {
        const et = t.element;
        if (et.kind === 'primitive') return `${this.writePrimitive(et.name, compact, w, e)};`;
        if (et.kind === 'struct') return `encode${et.struct.typeName}${seg.suffix}(${w}, ${e}, version);`;
        throw new Error(`${this.message.name}.${f.name}: arrays of arrays are not supported`);
      };
      if (mayBeNull) {
        o.open(`if (${a} === null) {`);
        o.line(`${w}.${len}(null);`);
        o.mid('} else {');
      }
      o.line(`${w}.${len}(${a}.length);`);
      o.line(`for (const e of ${a}) ${elem('e')}`);
      if (mayBeNull) o.close('}');
    }
  }

  private writePrimitive(name: PrimitiveName, compact: boolean, w: string, x: string): string {
    switch (name) {
      case 'string':
        return `${w}.${compact ? 'compactString' : 'string'}(${x})`;
      case 'bytes':
      case 'records':
        return `${w}.${compact ? 'compactBytes' : 'bytes'}(${x})`;
      default:
        return `${w}.${name === 'bool' ? 'bool' : name}(${x})`;
    }
  }

  // ---------------------------------------------------------------- decode

  private emitDecode(s: StructModel, seg: Segment, scope: Versions): void {
    const o = this.out;
    o.open(`function decode${s.typeName}${seg.suffix}(r: Reader, version: number): ${s.typeName} {`);
    const used = o.mark();
    const locals = new Map<FieldModel, string>();
    for (const f of s.fields) {
      const local = localName(f.property);
      locals.set(f, local);
      const regular = cond(this.regularVersions(f), scope);
      const tagged = cond(this.taggedVersions(f, seg), scope);
      if (regular === 'always') {
        this.emitReadField(s, f, seg, scope, local, true);
      } else if (regular === 'never' && tagged === 'never') {
        o.line(`const ${local}: ${fieldType(f)} = ${this.defaultExpr(f)};`);
      } else {
        o.line(`let ${local}: ${fieldType(f)} = ${this.defaultExpr(f)};`);
        if (regular !== 'never') {
          o.open(`if (${regular}) {`);
          this.emitReadField(s, f, seg, scope, local, false);
          o.close('}');
        }
      }
    }
    if (seg.flexible) this.emitReadTagged(s, seg, scope, locals);
    if (!o.usedSince(used, 'version')) o.line('void version;');
    if (!o.usedSince(used, 'r')) o.line('void r;');
    if (s.fields.length === 0) {
      o.line('return {};');
    } else {
      o.open('return {');
      for (const f of s.fields) {
        const local = locals.get(f) ?? f.property;
        o.line(local === f.property ? `${local},` : `${f.property}: ${local},`);
      }
      o.close('};');
    }
    o.close('}');
    o.blank();
  }

  private emitReadTagged(s: StructModel, seg: Segment, scope: Versions, locals: Map<FieldModel, string>): void {
    const o = this.out;
    const tagged = s.fields
      .filter((f) => cond(this.taggedVersions(f, seg), scope) !== 'never')
      .sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
    if (tagged.length === 0) {
      o.line(`${this.imports.use('skipTaggedFields')}(r);`);
      return;
    }
    o.line('const tagged = r.uvarint();');
    o.open('for (let i = 0; i < tagged; i++) {');
    o.line('const tag = r.uvarint();');
    o.line('const size = r.uvarint();');
    o.open('switch (tag) {');
    for (const f of tagged) {
      const c = cond(this.taggedVersions(f, seg), scope);
      o.open(`case ${f.tag}: {`);
      if (c !== 'always') {
        o.open(`if (!(${c})) {`);
        o.line('r.skip(size);');
        o.line('break;');
        o.close('}');
      }
      o.line('const end = r.offset + size;');
      this.emitReadField(s, f, seg, scope, locals.get(f) ?? f.property, false);
      o.line(`if (r.offset !== end) throw ${this.imports.use('taggedSizeMismatch')}(${this.path(s, f)}, size, r.offset - end + size);`);
      o.line('break;');
      o.close('}');
    }
    o.open('default:');
    o.line('r.skip(size);');
    o.close();
    o.close('}');
    o.close('}');
  }

  /**
   * Reads one field's value into `local`, rejecting a null where the version does not allow one. With `declare`
   * the local is declared here (const where possible); otherwise it is an existing `let`.
   */
  private emitReadField(s: StructModel, f: FieldModel, seg: Segment, scope: Versions, local: string, declare: boolean): void {
    const o = this.out;
    const present = f.versions.intersect(scope);
    const compact = this.compact(f, seg, scope);
    const nullable = f.nullable ? cond(f.nullableVersions, present) : 'never';
    const path = this.path(s, f);
    const onNull = (): string | null =>
      nullable === 'always'
        ? null
        : nullable === 'never'
          ? `throw ${this.imports.use('nullOnWire')}(${path});`
          : `if (!(${nullable})) throw ${this.imports.use('nullOnWire')}(${path});`;
    const t = f.type;
    if (t.kind === 'primitive') {
      const expr = this.readPrimitive(t.name, compact);
      const canBeNull = t.name === 'string' || t.name === 'bytes' || t.name === 'records';
      const target = declare ? `const ${local}` : local;
      if (!canBeNull || nullable === 'always') {
        o.line(`${target} = ${expr};`);
      } else if (nullable === 'never') {
        o.line(`${target} = ${this.imports.use('notNull')}(${expr}, ${path});`);
      } else {
        o.line(`${target} = ${expr};`);
        o.line(`if (${local} === null && !(${nullable})) throw ${this.imports.use('nullOnWire')}(${path});`);
      }
      return;
    }
    if (t.kind === 'struct') {
      const call = `decode${t.struct.typeName}${seg.suffix}(r, version)`;
      if (nullable === 'never') {
        o.line(`${declare ? `const ${local}` : local} = ${call};`);
      } else {
        if (declare) o.line(`let ${local}: ${fieldType(f)};`);
        o.open(`if (r.int8() < 0) {`);
        const n = onNull();
        if (n !== null) o.line(n);
        o.line(`${local} = null;`);
        o.mid('} else {');
        o.line(`${local} = ${call};`);
        o.close('}');
      }
      return;
    }
    const id = this.counter++;
    const n = `n${id}`;
    const i = `i${id}`;
    const et = t.element;
    const min = Math.max(1, this.minSize(et, compact, seg, present));
    let elem: string;
    if (et.kind === 'primitive') {
      elem = this.readPrimitive(et.name, compact);
      if (et.name === 'string' || et.name === 'bytes') elem = `${this.imports.use('notNull')}(${elem}, ${JSON.stringify(`${s.specName}.${f.name}[]`)})`;
    } else if (et.kind === 'struct') {
      elem = `decode${et.struct.typeName}${seg.suffix}(r, version)`;
    } else {
      throw new Error(`${this.message.name}.${f.name}: arrays of arrays are not supported`);
    }
    o.line(`const ${n} = r.${compact ? 'compactArrayLength' : 'arrayLength'}(${min});`);
    if (nullable === 'never') {
      o.line(`if (${n} === null) throw ${this.imports.use('nullOnWire')}(${path});`);
      const a = declare ? local : `a${id}`;
      o.line(`const ${a}: ${tsType(et)}[] = [];`);
      o.line(`for (let ${i} = 0; ${i} < ${n}; ${i}++) ${a}.push(${elem});`);
      if (!declare) o.line(`${local} = ${a};`);
      return;
    }
    if (declare) o.line(`let ${local}: ${fieldType(f)};`);
    o.open(`if (${n} === null) {`);
    const thrower = onNull();
    if (thrower !== null) o.line(thrower);
    o.line(`${local} = null;`);
    o.mid('} else {');
    const a = `a${id}`;
    o.line(`const ${a}: ${tsType(et)}[] = [];`);
    o.line(`for (let ${i} = 0; ${i} < ${n}; ${i}++) ${a}.push(${elem});`);
    o.line(`${local} = ${a};`);
    o.close('}');
  }

  private readPrimitive(name: PrimitiveName, compact: boolean): string {
    switch (name) {
      case 'string':
        return compact ? 'r.compactString()' : 'r.string()';
      case 'bytes':
      case 'records':
        return compact ? 'r.compactBytes()' : 'r.bytes()';
      case 'uuid':
        return 'r.raw(16)';
      default:
        return `r.${name}()`;
    }
  }

  // ---------------------------------------------------------------- sizes

  private readonly structMinCache = new Map<string, number>();

  /** Fewest bytes one element of type `t` can take on the wire: bounds an array length before allocating. */
  private minSize(t: FieldType, compact: boolean, seg: Segment, versions: Versions): number {
    if (t.kind === 'primitive') {
      const fixed = FIXED_SIZE[t.name];
      if (fixed !== undefined) return fixed;
      if (t.name === 'string') return compact ? 1 : 2;
      return compact ? 1 : 4;
    }
    if (t.kind === 'array') return compact ? 1 : 4;
    let min = Number.POSITIVE_INFINITY;
    const scope = t.struct.versions.intersect(versions).intersect(seg.versions);
    for (let v = scope.lowest; v <= scope.highest; v++) min = Math.min(min, this.structMinSize(t.struct, seg, v));
    return Number.isFinite(min) ? min : 0;
  }

  private structMinSize(s: StructModel, seg: Segment, version: number): number {
    const key = `${s.typeName}/${version}`;
    const cached = this.structMinCache.get(key);
    if (cached !== undefined) return cached;
    let size = seg.flexible ? 1 : 0;
    const one = new Versions(version, version);
    for (const f of s.fields) {
      if (!this.regularVersions(f).contains(version)) continue;
      const compact = this.compact(f, seg, one);
      if (f.nullableVersions.contains(version)) {
        size += f.type.kind === 'struct' ? 1 : f.type.kind === 'array' || (f.type.kind === 'primitive' && f.type.name !== 'string') ? (compact ? 1 : 4) : compact ? 1 : 2;
      } else {
        size += this.minSize(f.type, compact, seg, one);
      }
    }
    this.structMinCache.set(key, size);
    return size;
  }
}
