// Differential testing: run one scenario — a list of raw protocol requests built with the generated codecs —
// against two brokers (Apache Kafka as the reference, seqlog as the candidate) and compare the decoded
// responses field by field. Only an explicit allow-list of fields may differ (values that identify a
// particular cluster or process, wall-clock times, error-message wording), and producer ids are compared
// relationally: a producer id is replaced by the label it was captured under ("p1" = the id returned by that
// scenario's InitProducerId step), so "the same id as step k" is what is compared, never the number itself.
//
// Requests are built per target by functions of a `TargetContext`, which resolves the placeholders that must
// differ per broker: topic names (unique per scenario and target, so a scenario can run twice against the
// same cluster) and values captured from earlier responses (producer ids, offsets).
import { AssertionError } from 'node:assert';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import type { BrokerApiVersions } from '../../src/client/connection/broker-connection.ts';
import { errorName } from '../../src/protocol/errors/index.ts';
import { ApiKey, findApi } from '../../src/protocol/messages/generated/index.ts';
import type { ApiKey as ApiKeyType, CreateTopicsResponse, ListOffsetsResponse, RequestByApiKey, ResponseByApiKey } from '../../src/protocol/messages/generated/index.ts';
import { iterateRecordBatches } from '../../src/protocol/records/index.ts';

/** A broker a scenario runs against. */
export interface DifferentialTarget {
  /** How reports name it: 'kafka', 'seqlog', ... Two targets of one run need distinct names. */
  readonly name: string;
  /** Where to connect now (read again after a restart). */
  address(): { host: string; port: number };
  /**
   * Restarts the broker on the same data, for `restartStep`. Without it a restart step is a no-op for this
   * target, and the scenario must document why the answer it then compares is equivalent.
   */
  restart?(): Promise<void>;
  /** Test-only hook: rewrites a decoded response before comparison (used to prove the diff report). */
  interceptResponse?(stepIndex: number, response: unknown): unknown;
}

export interface TopicSpec {
  partitions?: number;
  configs?: Readonly<Record<string, string>>;
}

/** Per-target state the request builders read: resolved topic names and values captured from responses. */
export class TargetContext {
  private readonly values = new Map<string, unknown>();
  /** Relational aliases: a producer id (as text) -> its label. */
  readonly producerIdLabels = new Map<string, string>();
  /** Actual topic name -> `<topic:logical>`. */
  readonly topicLabels = new Map<string, string>();
  /** Producer ids seen in responses without a label, numbered in order of appearance. */
  private readonly anonymousProducerIds = new Map<string, string>();

  constructor(
    readonly target: string,
    private readonly topicPrefix: string,
  ) {}

  /** The actual name of the scenario's topic `logical` on this target. */
  topic(logical: string): string {
    const name = `${this.topicPrefix}-${logical}`;
    this.topicLabels.set(name, `<topic:${logical}>`);
    return name;
  }

  /** Stores a value captured from a response. */
  remember(label: string, value: unknown): void {
    this.values.set(label, value);
  }

  /** Stores a producer id captured from a response; wherever it appears later it is compared by its label. */
  rememberProducerId(label: string, producerId: bigint): void {
    this.values.set(label, producerId);
    if (producerId >= 0n) this.producerIdLabels.set(producerId.toString(), `<producerId:${label}>`);
  }

  /** A value captured by an earlier step; throws when no step captured it. */
  get<T>(label: string): T {
    if (!this.values.has(label)) throw new Error(`${this.target}: no earlier step captured '${label}'`);
    return this.values.get(label) as T;
  }

  /** The producer id captured under `label` (by `initProducerIdStep`). */
  producerId(label: string): bigint {
    const value = this.get<unknown>(label);
    if (typeof value !== 'bigint') throw new Error(`${this.target}: '${label}' is not a producer id`);
    return value;
  }

  /** How a producer-id field is compared: -1 as itself, a captured id by its label, others by first appearance. */
  normalizeProducerId(value: bigint): string {
    if (value < 0n) return value.toString();
    const text = value.toString();
    const label = this.producerIdLabels.get(text);
    if (label !== undefined) return label;
    let anonymous = this.anonymousProducerIds.get(text);
    if (anonymous === undefined) {
      anonymous = `<producerId:#${this.anonymousProducerIds.size + 1}>`;
      this.anonymousProducerIds.set(text, anonymous);
    }
    return anonymous;
  }
}

interface RequestStepSpec<K extends ApiKeyType> {
  title: string;
  apiKey: K;
  /** A fixed version, or (default) the highest version every target and our codec serve. */
  version?: number;
  build(ctx: TargetContext): RequestByApiKey[K];
  /** Stores values later steps need (`ctx.remember`). Runs before comparison. */
  capture?(response: ResponseByApiKey[K], ctx: TargetContext): void;
  /** Assertions each target's response must pass (anchor the rule; both brokers agreeing on a wrong answer fails). */
  expect?(response: ResponseByApiKey[K], ctx: TargetContext): void;
  /** Extra allow-list patterns for this step, with the reason in a comment where the step is written. */
  allow?: readonly string[];
  /** The request gets no response (Produce with acks=0): the step's response is null and `expect` is skipped. */
  noResponse?: boolean;
}

/** One step of a scenario, with its request type erased. */
export interface Step {
  readonly kind: 'request' | 'restart';
  readonly title: string;
  readonly apiKey?: ApiKeyType;
  readonly fixedVersion?: number;
  readonly allow: readonly string[];
  /** No response is expected: the step's compared answer is whether the broker kept the connection open. */
  readonly noResponse?: boolean;
  run?(connection: BrokerConnection, version: number, ctx: TargetContext): Promise<unknown>;
  capture?(response: unknown, ctx: TargetContext): void;
  expect?(response: unknown, ctx: TargetContext): void;
}

/** A request step. */
export function requestStep<K extends ApiKeyType>(spec: RequestStepSpec<K>): Step {
  return {
    kind: 'request',
    title: spec.title,
    apiKey: spec.apiKey,
    fixedVersion: spec.version,
    allow: spec.allow ?? [],
    noResponse: spec.noResponse ?? false,
    run: (connection, version, ctx) =>
      spec.noResponse ? connection.sendWithoutResponse(spec.apiKey, version, spec.build(ctx)).then(() => null) : connection.send(spec.apiKey, version, spec.build(ctx)),
    capture: spec.capture && !spec.noResponse ? (response, ctx) => spec.capture?.(response as ResponseByApiKey[K], ctx) : undefined,
    expect: spec.expect && !spec.noResponse ? (response, ctx) => spec.expect?.(response as ResponseByApiKey[K], ctx) : undefined,
  };
}

/** Restarts each target that can restart (clean shutdown, same data dir and port) and reconnects. */
export function restartStep(title = 'restart the broker on the same data'): Step {
  return { kind: 'restart', title, allow: [] };
}

export interface Scenario {
  /** Named after the Kafka rule or test it mirrors. */
  name: string;
  /** Topics created (and waited for) before the steps; the responses of this set-up are not compared. */
  topics?: Readonly<Record<string, TopicSpec>>;
  steps: readonly Step[];
  /** Extra allow-list patterns for every step. */
  allow?: readonly string[];
}

/**
 * Fields that may differ between two correct brokers, as patterns over the field path with array indices
 * removed (`**` = any number of segments, `*` = one segment).
 */
export const DEFAULT_ALLOWED_DIFFERENCES: readonly string[] = [
  // Quota throttling depends on load, not on semantics.
  '**.throttleTimeMs',
  // The identity of the cluster and of its nodes: random or configured per broker.
  'clusterId',
  'controllerId',
  '**.nodeId',
  '**.leaderId',
  '**.replicaNodes',
  '**.isrNodes',
  '**.host',
  '**.port',
  // Topic ids are random Uuids.
  '**.topicId',
  // Error-message wording is free text; the error code is compared.
  '**.errorMessage',
];

/** One difference between the two targets' answers. */
export interface Difference {
  scenario: string;
  stepIndex: number;
  step: string;
  request: string;
  path: string;
  values: Readonly<Record<string, string>>;
}

export interface ScenarioResult {
  scenario: string;
  targets: readonly string[];
  differences: Difference[];
  /** `expect` failures and errors, per target. */
  failures: string[];
  /** Normalized responses per target, per step (for reports and further assertions). */
  responses: Readonly<Record<string, unknown[]>>;
}

let runCounter = 0;
const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

async function openConnection(target: DifferentialTarget): Promise<BrokerConnection> {
  const { host, port } = target.address();
  const connection = await BrokerConnection.open({ host, port, clientId: 'seqlog-differential' });
  await connection.negotiateApiVersions();
  return connection;
}

function commonVersion(apiKey: ApiKeyType, versions: readonly BrokerApiVersions[]): number {
  const api = findApi(apiKey);
  if (api === undefined) throw new Error(`no codec for API key ${apiKey}`);
  let min = api.minVersion;
  let max = api.maxVersion;
  for (const served of versions) {
    const range = served.get(apiKey);
    if (range === undefined) throw new Error(`API ${api.name} is not served by every target`);
    min = Math.max(min, range.minVersion);
    max = Math.min(max, range.maxVersion);
  }
  if (max < min) throw new Error(`no common version of ${api.name}`);
  return max;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the scenario's topics and waits until Metadata lists a leader for every partition. */
async function createTopics(connection: BrokerConnection, ctx: TargetContext, topics: Readonly<Record<string, TopicSpec>>): Promise<void> {
  const entries = Object.entries(topics);
  if (entries.length === 0) return;
  const created: CreateTopicsResponse = await connection.send(ApiKey.CreateTopics, 5, {
    topics: entries.map(([logical, spec]) => ({
      name: ctx.topic(logical),
      numPartitions: spec.partitions ?? 1,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 30000,
    validateOnly: false,
  });
  for (const topic of created.topics) {
    if (topic.errorCode !== 0) throw new Error(`${ctx.target}: creating ${topic.name} failed: ${errorName(topic.errorCode)} ${topic.errorMessage ?? ''}`);
  }
  await waitForTopics(connection, ctx, topics);
}

/**
 * Waits until every partition of the scenario's topics answers ListOffsets without error. Metadata naming a
 * leader is not enough on Kafka: for a moment after creation (and after a restart) the partition still
 * answers NOT_LEADER_OR_FOLLOWER.
 */
async function waitForTopics(connection: BrokerConnection, ctx: TargetContext, topics: Readonly<Record<string, TopicSpec>>): Promise<void> {
  const entries = Object.entries(topics);
  if (entries.length === 0) return;
  const deadline = Date.now() + 60000;
  for (;;) {
    const answer: ListOffsetsResponse = await connection.send(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: entries.map(([logical, spec]) => ({
        name: ctx.topic(logical),
        partitions: Array.from({ length: spec.partitions ?? 1 }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })),
      })),
      timeoutMs: 30000,
    });
    const partitions = answer.topics.flatMap((topic) => topic.partitions);
    const expected = entries.reduce((sum, [, spec]) => sum + (spec.partitions ?? 1), 0);
    if (partitions.length === expected && partitions.every((partition) => partition.errorCode === 0)) return;
    if (Date.now() > deadline) throw new Error(`${ctx.target}: topics not ready: ${render(answer)}`);
    await delay(100);
  }
}

/** Runs every step on one target, in order, and returns its (intercepted) responses. */
async function runOnTarget(
  scenario: Scenario,
  target: DifferentialTarget,
  ctx: TargetContext,
  first: BrokerConnection,
  versions: readonly number[],
  failures: string[],
): Promise<unknown[]> {
  let connection = first;
  const responses: unknown[] = [];
  try {
    await createTopics(connection, ctx, scenario.topics ?? {});
    for (const [index, step] of scenario.steps.entries()) {
      if (step.kind === 'restart') {
        connection.close();
        if (target.restart) await target.restart();
        connection = await openConnection(target);
        await waitForTopics(connection, ctx, scenario.topics ?? {});
        responses.push(null);
        continue;
      }
      let response: unknown;
      try {
        response = await step.run?.(connection, versions[index], ctx);
      } catch (error) {
        throw new Error(`step ${index + 1} "${step.title}": ${(error as Error).message}`, { cause: error });
      }
      if (step.noResponse) {
        // Kafka answers nothing to an acks=0 Produce but closes the connection when it failed, so the client
        // notices (KafkaApis.handleProduceRequest). A request sent right after it shows which happened: the
        // broker handles a connection's requests one at a time, so the probe is answered only if it stayed open.
        const open = await connection.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'seqlog-differential', clientSoftwareVersion: '0.1.0' }).then(
          () => true,
          () => false,
        );
        response = { connectionOpenAfterwards: open };
        if (!open) connection = await openConnection(target);
      }
      if (target.interceptResponse) response = target.interceptResponse(index, response);
      step.capture?.(response, ctx);
      try {
        step.expect?.(response, ctx);
      } catch (error) {
        failures.push(`${target.name}: step ${index + 1} "${step.title}": expectation failed: ${(error as Error).message}`);
      }
      responses.push(response);
    }
  } catch (error) {
    failures.push(`${target.name}: ${(error as Error).message}`);
  } finally {
    connection.close();
  }
  return responses;
}

/** Runs the scenario on every target (concurrently: targets share no state) and compares the answers. */
export async function runScenario(scenario: Scenario, targets: readonly DifferentialTarget[]): Promise<ScenarioResult> {
  if (targets.length < 2) throw new Error('a differential run needs two targets');
  runCounter += 1;
  const contexts = targets.map((target, i) => new TargetContext(target.name, `d${runId}-${runCounter}-${i}-${slug(scenario.name)}`));
  const connections = await Promise.all(targets.map((target) => openConnection(target)));
  const versions = scenario.steps.map((step) =>
    step.kind === 'request' && step.apiKey !== undefined
      ? (step.fixedVersion ?? commonVersion(step.apiKey, connections.map((c) => c.apiVersions)))
      : -1,
  );
  const failures: string[] = [];
  const results = await Promise.all(targets.map((target, i) => runOnTarget(scenario, target, contexts[i], connections[i], versions, failures)));

  const differences: Difference[] = [];
  const normalized: Record<string, unknown[]> = {};
  targets.forEach((target, i) => {
    normalized[target.name] = results[i].map((response) => normalize(response, contexts[i], ''));
  });
  const reference = targets[0].name;
  for (const other of targets.slice(1)) {
    scenario.steps.forEach((step, index) => {
      if (step.kind !== 'request') return;
      const left = normalized[reference][index];
      const right = normalized[other.name][index];
      if (left === undefined || right === undefined) return; // a target failed earlier: reported in failures
      const allow = [...DEFAULT_ALLOWED_DIFFERENCES, ...(scenario.allow ?? []), ...step.allow];
      const api = step.apiKey === undefined ? undefined : findApi(step.apiKey);
      for (const diff of compareValues(left, right, allow)) {
        differences.push({
          scenario: scenario.name,
          stepIndex: index + 1,
          step: step.title,
          request: `${api?.name ?? '?'} v${versions[index]}`,
          path: diff.path,
          values: { [reference]: diff.left, [other.name]: diff.right },
        });
      }
    });
  }
  return { scenario: scenario.name, targets: targets.map((t) => t.name), differences, failures, responses: normalized };
}

/** The diff report: one line per difference, naming scenario, step, field path and each target's value. */
export function formatReport(result: ScenarioResult): string {
  const lines: string[] = [];
  for (const failure of result.failures) lines.push(`scenario "${result.scenario}": ${failure}`);
  for (const diff of result.differences) {
    const values = Object.entries(diff.values).map(([target, value]) => `${target}=${value}`).join('  ');
    lines.push(`scenario "${diff.scenario}", step ${diff.stepIndex} "${diff.step}" (${diff.request}): ${diff.path}: ${values}`);
  }
  return lines.join('\n');
}

/** Fails (with the full report) when the targets disagree or a target failed an expectation. */
export function assertSameBehaviour(result: ScenarioResult): void {
  if (result.differences.length === 0 && result.failures.length === 0) return;
  throw new AssertionError({ message: `differential run disagrees:\n${formatReport(result)}` });
}

/** Runs the scenario and asserts both targets answer alike. */
export async function assertScenario(scenario: Scenario, targets: readonly DifferentialTarget[]): Promise<ScenarioResult> {
  const result = await runScenario(scenario, targets);
  assertSameBehaviour(result);
  return result;
}

// ---- normalization and comparison ----

/** A decoded record batch as compared: the CRC is left out (it covers the producer id, which differs). */
interface ComparableBatch {
  [key: string]: unknown;
}

function decodeRecords(records: Buffer, ctx: TargetContext): ComparableBatch[] | string {
  try {
    return [...iterateRecordBatches(records)].map((batch) => ({
      baseOffset: batch.baseOffset,
      lastOffsetDelta: batch.lastOffsetDelta,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      magic: batch.magic,
      attributes: batch.attributes,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      producerId: ctx.normalizeProducerId(batch.producerId),
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      recordsCount: batch.recordsCount,
      records: batch.records.map((record) => ({
        offset: record.offset,
        timestamp: record.timestamp,
        key: record.key === null ? null : record.key.toString('hex'),
        value: record.value === null ? null : record.value.toString('hex'),
        headers: record.headers.map((header) => ({ key: header.key, value: header.value === null ? null : header.value.toString('hex') })),
      })),
    }));
  } catch (error) {
    return `<undecodable records: ${(error as Error).message}>`;
  }
}

const PRODUCER_ID_FIELDS = new Set(['producerId']);

/** Replaces per-target values (topic names, producer ids, record bytes) with comparable forms. */
function normalize(value: unknown, ctx: TargetContext, key: string): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'bigint') return PRODUCER_ID_FIELDS.has(key) ? ctx.normalizeProducerId(value) : value;
  if (typeof value === 'string') return ctx.topicLabels.get(value) ?? value;
  if (Buffer.isBuffer(value)) return key === 'records' ? decodeRecords(value, ctx) : `<bytes ${value.toString('hex')}>`;
  if (Array.isArray(value)) return sortByIdentity(value.map((item) => normalize(item, ctx, key)));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v, ctx, k);
    return out;
  }
  return value;
}

/**
 * The fields that identify an element of a response array (a topic, a partition, a producer). Such arrays are
 * compared as sets: Kafka builds per-partition answers in hash-map order, which carries no meaning.
 */
const IDENTITY_FIELDS = ['name', 'topic', 'index', 'partitionIndex', 'partition', 'producerId'] as const;

function sortByIdentity(items: unknown[]): unknown[] {
  const identity = (item: unknown): string | null => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
    const record = item as Record<string, unknown>;
    const parts = IDENTITY_FIELDS.filter((field) => field in record).map((field) => {
      const v = record[field];
      return typeof v === 'number' ? String(v).padStart(12, '0') : String(v);
    });
    return parts.length === 0 ? null : parts.join('|');
  };
  const keys = items.map(identity);
  if (keys.some((k) => k === null)) return items;
  return items
    .map((item, i) => ({ item, key: keys[i] as string }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ item }) => item);
}

function matches(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') {
    for (let skip = 0; skip <= path.length; skip++) if (matches(rest, path.slice(skip))) return true;
    return false;
  }
  if (path.length === 0) return false;
  return (head === '*' || head === path[0]) && matches(rest, path.slice(1));
}

function isAllowed(allow: readonly string[], fieldPath: readonly string[]): boolean {
  return allow.some((pattern) => matches(pattern.split('.'), fieldPath));
}

/** Text for a report: bigints with an `n`, error codes with their name. */
export function render(value: unknown, key = ''): string {
  if (typeof value === 'number' && /errorCode$/i.test(key)) return `${value} (${errorName(value)})`;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
}

interface RawDifference {
  path: string;
  left: string;
  right: string;
}

/**
 * Field-by-field comparison of two normalized values. `fieldPath` (keys only) is matched against the
 * allow-list; the reported path carries array indices.
 */
export function compareValues(left: unknown, right: unknown, allow: readonly string[] = DEFAULT_ALLOWED_DIFFERENCES): RawDifference[] {
  const out: RawDifference[] = [];
  walk(left, right, '', [], '', allow, out);
  return out;
}

function walk(left: unknown, right: unknown, path: string, fieldPath: readonly string[], key: string, allow: readonly string[], out: RawDifference[]): void {
  if (fieldPath.length > 0 && isAllowed(allow, fieldPath)) return;
  const shown = path === '' ? '(response)' : path;
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) {
      out.push({ path: `${shown}.length`, left: `${left.length} ${render(left)}`, right: `${right.length} ${render(right)}` });
      return;
    }
    left.forEach((item, i) => walk(item, right[i], `${path}[${i}]`, fieldPath, key, allow, out));
    return;
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(left) && isObject(right)) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const k of keys) walk(left[k], right[k], path === '' ? k : `${path}.${k}`, [...fieldPath, k], k, allow, out);
    return;
  }
  if (left === right) return;
  out.push({ path: shown, left: render(left, key), right: render(right, key) });
}
