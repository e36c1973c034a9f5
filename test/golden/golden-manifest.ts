// The shape of `frames/<client>/manifest.json`, written by `capture.ts` and read by `golden.test.ts`.
// Record contents are stored as UTF-8 strings (every golden record is text), `null` meaning a null key/value.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

/** One record as the capture script handed it to the client. Header order and duplicates are kept. */
export interface GoldenRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export interface ProduceScenario {
  readonly name: string;
  readonly kind: 'produce';
  readonly topic: string;
  readonly compression: CodecName;
  readonly records: readonly GoldenRecord[];
}

export interface ConsumeScenario {
  readonly name: string;
  readonly kind: 'consume';
  readonly topics: readonly string[];
}

export type Scenario = ProduceScenario | ConsumeScenario;

export interface GoldenFrame {
  /** Sequence number in request arrival order, after duplicates were dropped. */
  readonly index: number;
  /** Request file name, relative to the client directory: the whole frame including its int32 size prefix. */
  readonly request: string;
  /** Our broker's response frame, or null when none was sent (the client closed the connection first). */
  readonly response: string | null;
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Which client connection carried it (1-based, in accept order). */
  readonly connection: number;
  readonly scenario: string;
  /** How many byte-identical requests (ignoring the correlation id) with identical responses were not stored. */
  readonly duplicatesDropped: number;
}

export interface ClientManifest {
  /** Directory name under `frames/`. */
  readonly client: string;
  /** The protocol implementation underneath: clients sharing one count once towards independence. */
  readonly implementation: string;
  readonly version: string;
  /** Every codec the client offers (in this environment), each produced once. */
  readonly codecs: readonly CodecName[];
  readonly scenarios: readonly Scenario[];
  readonly frames: readonly GoldenFrame[];
}

export const FRAMES_DIR = new URL('./frames/', import.meta.url).pathname;

/** Every client manifest under `frames/`, sorted by client name. */
export function loadManifests(dir: string = FRAMES_DIR): ClientManifest[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const manifests: ClientManifest[] = [];
  for (const name of entries) {
    const full = join(dir, name);
    if (!statSync(full).isDirectory()) continue;
    manifests.push(JSON.parse(readFileSync(join(full, 'manifest.json'), 'utf8')) as ClientManifest);
  }
  return manifests;
}

/** `ApiVersions` -> `api-versions`, for file names. */
export function kebabApiName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
