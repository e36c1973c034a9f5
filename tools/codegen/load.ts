// Reads Kafka's message JSON files. They are JSON plus `//` line comments (license headers and version notes),
// so comments are stripped outside string literals before parsing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RawField {
  readonly name: string;
  readonly type: string;
  readonly versions?: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly flexibleVersions?: string;
  /** Usually a number; one spec writes it as a string. */
  readonly tag?: number | string;
  readonly default?: string | number | boolean;
  readonly ignorable?: boolean;
  readonly mapKey?: boolean;
  readonly entityType?: string;
  readonly zeroCopy?: boolean;
  readonly about?: string;
  readonly fields?: readonly RawField[];
}

export interface RawStruct {
  readonly name: string;
  readonly versions?: string;
  readonly fields: readonly RawField[];
}

export interface RawSpec {
  readonly name: string;
  readonly type: 'request' | 'response' | 'header' | 'data';
  readonly apiKey?: number;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly deprecatedVersions?: string;
  readonly latestVersionUnstable?: boolean;
  readonly listeners?: readonly string[];
  readonly fields: readonly RawField[];
  readonly commonStructs?: readonly RawStruct[];
}

export interface LoadedSpec {
  /** File name relative to the spec root, e.g. `messages/ProduceRequest.json`. */
  readonly file: string;
  readonly internal: boolean;
  readonly spec: RawSpec;
}

/** Removes `//` comments that are not inside a JSON string. Block comments are not used by Kafka's specs. */
export function stripLineComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\' && i + 1 < text.length) out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      if (i < text.length) out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function parseSpec(text: string, file: string): RawSpec {
  let json: unknown;
  try {
    json = JSON.parse(stripLineComments(text));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof json !== 'object' || json === null) throw new Error(`${file}: not a JSON object`);
  const spec = json as RawSpec;
  if (typeof spec.name !== 'string' || !Array.isArray(spec.fields) || typeof spec.validVersions !== 'string') {
    throw new Error(`${file}: missing name, fields or validVersions`);
  }
  if (!['request', 'response', 'header', 'data'].includes(spec.type)) {
    throw new Error(`${file}: unknown message type '${String(spec.type)}'`);
  }
  return spec;
}

/** Every `*.json` under `messages/` and `internal-messages/`, sorted by name for deterministic output. */
export function loadSpecs(specRoot: string): LoadedSpec[] {
  const out: LoadedSpec[] = [];
  for (const [dir, internal] of [['messages', false], ['internal-messages', true]] as const) {
    const names = readdirSync(join(specRoot, dir))
      .filter((n) => n.endsWith('.json'))
      .sort();
    for (const name of names) {
      const file = `${dir}/${name}`;
      out.push({ file, internal, spec: parseSpec(readFileSync(join(specRoot, file), 'utf8'), file) });
    }
  }
  return out;
}
