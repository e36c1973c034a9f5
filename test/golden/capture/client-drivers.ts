// One driver per real client: what it offers (codecs), what it sends (records), and how to make it produce and
// consume. External clients run as child processes; the Node clients run in this process.
//
// Every client keeps idempotence off and reads without a consumer group, because the broker this capture runs
// against serves neither InitProducerId nor the group APIs yet.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import type { IHeaders, Message } from 'kafkajs';
import { Consumer as PlatformaticConsumer, Producer as PlatformaticProducer } from '@platformatic/kafka';
import type { MessageToProduce } from '@platformatic/kafka';
import type { CodecName, GoldenRecord } from '../golden-manifest.ts';

const here = new URL('.', import.meta.url).pathname;
const require = createRequire(import.meta.url);

export interface ProduceJob {
  readonly bootstrap: string;
  readonly topic: string;
  readonly codec: CodecName;
  readonly records: readonly GoldenRecord[];
}

export interface ConsumeJob {
  readonly bootstrap: string;
  readonly topics: readonly string[];
  /** Records expected over all topics; a driver fails when it reads fewer before its deadline. */
  readonly count: number;
}

export interface ClientDriver {
  /** Directory name under `frames/`. */
  readonly client: string;
  readonly implementation: string;
  readonly codecs: readonly CodecName[];
  version(): Promise<string>;
  records(codec: CodecName): GoldenRecord[];
  produce(job: ProduceJob): Promise<void>;
  consume(job: ConsumeJob): Promise<void>;
  /** Releases whatever `version()` or the jobs prepared (temp dirs). */
  dispose?(): void;
}

const ALL_CODECS: readonly CodecName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const DEADLINE_MS = 60_000;

/** Repetitive text, so that every codec has something to compress. */
const LONG_VALUE = 'seqlog golden record; the same words again and again so that the codec has work to do. '.repeat(4);

/** The records every client that can set per-record headers sends: keys, values, headers, a null value. */
export function standardRecords(client: string, codec: CodecName): GoldenRecord[] {
  return [
    { key: 'key-0', value: `${client} ${codec} value-0`, headers: [['trace-id', 't-0']] },
    { key: 'key-1', value: 'ünïcödé value-1 ✓', headers: [['trace-id', 't-1'], ['empty', ''], ['dup', 'a'], ['dup', 'b']] },
    { key: 'key-2', value: null, headers: [['tombstone', 'yes']] },
    { key: 'key-3', value: LONG_VALUE, headers: [] },
  ];
}

function b64(text: string | null): string {
  return text === null ? '~' : Buffer.from(text, 'utf8').toString('base64');
}

/** The `key:value:headers` argument form the Python and Java programs read (see their header comments). */
function recordArg(record: GoldenRecord): string {
  return [b64(record.key), b64(record.value), record.headers.map(([name, value]) => `${b64(name)}.${b64(value)}`).join(',')].join(':');
}

interface RunOptions {
  readonly input?: string;
  readonly cwd?: string;
}

/** Runs a program to completion; rejects on a non-zero exit or after the deadline (killing only that child). */
function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.slice(0, 3).join(' ')} exited with ${code ?? signal}\n${stdout}\n${stderr}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------------
// kcat (librdkafka): its headers (-H) apply to every record of a run, so its records share one header list.

export const kcatDriver: ClientDriver = {
  client: 'kcat',
  implementation: 'librdkafka',
  codecs: ALL_CODECS,
  async version() {
    const banner = await run('kcat', ['-V']);
    const kcat = /Version (\S+)/.exec(banner)?.[1];
    const librdkafka = /librdkafka (\S+)/.exec(banner)?.[1];
    if (kcat === undefined || librdkafka === undefined) throw new Error(`unexpected kcat -V output: ${banner}`);
    return `kcat ${kcat} (librdkafka ${librdkafka})`;
  },
  records(codec) {
    const headers: ReadonlyArray<readonly [string, string]> = [['trace-id', 'kcat'], ['dup', 'a'], ['dup', 'b']];
    return standardRecords(this.client, codec).map((record) => ({ ...record, headers }));
  },
  async produce(job) {
    const headers = job.records[0].headers.flatMap(([name, value]) => ['-H', `${name}=${value}`]);
    // One record per line, `key:value`; with -Z an empty value is sent as null.
    const input = job.records.map((record) => `${record.key ?? ''}:${record.value ?? ''}\n`).join('');
    await run(
      'kcat',
      ['-P', '-b', job.bootstrap, '-t', job.topic, '-p', '0', '-z', job.codec, '-K', ':', '-Z', ...headers, '-X', 'linger.ms=200', '-X', 'client.id=golden-kcat'],
      { input },
    );
  },
  async consume(job) {
    let seen = 0;
    for (const topic of job.topics) {
      const out = await run('kcat', ['-C', '-b', job.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-J', '-X', 'client.id=golden-kcat']);
      seen += out.split('\n').filter((line) => line.startsWith('{')).length;
    }
    if (seen !== job.count) throw new Error(`kcat consumed ${seen} of ${job.count}`);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// python3-confluent-kafka (librdkafka through Python).

let pythonCommand: string | undefined;

/** The first `python3` on PATH that can import confluent_kafka (the Debian package installs it system-wide). */
async function findPython(): Promise<string> {
  if (pythonCommand !== undefined) return pythonCommand;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'python3');
    try {
      accessSync(candidate, constants.X_OK);
      await run(candidate, ['-c', 'import confluent_kafka']);
      pythonCommand = candidate;
      return candidate;
    } catch {
      // Not this one: no interpreter here, or one without confluent_kafka.
    }
  }
  throw new Error('no python3 on PATH can import confluent_kafka (apt-get install python3-confluent-kafka)');
}

const pythonScript = join(here, 'python-client.py');

export const pythonDriver: ClientDriver = {
  client: 'python-confluent-kafka',
  implementation: 'librdkafka',
  codecs: ALL_CODECS,
  async version() {
    const info = lastJsonLine(await run(await findPython(), [pythonScript, 'version']));
    return `confluent-kafka ${String(info.client)} (librdkafka ${String(info.librdkafka)})`;
  },
  records(codec) {
    return standardRecords(this.client, codec);
  },
  async produce(job) {
    await run(await findPython(), [pythonScript, 'produce', job.bootstrap, job.topic, job.codec, ...job.records.map(recordArg)]);
  },
  async consume(job) {
    await run(await findPython(), [pythonScript, 'consume', job.bootstrap, String(job.count), ...job.topics]);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Apache Kafka's Java client, via the single-file source launcher and a classpath Maven resolves.

let javaClasspath: string | undefined;
let javaTempDir: string | undefined;

async function resolveJavaClasspath(): Promise<string> {
  if (javaClasspath !== undefined) return javaClasspath;
  javaTempDir = mkdtempSync(join(tmpdir(), 'seqlog-golden-java-'));
  const outputFile = join(javaTempDir, 'classpath.txt');
  const args = ['-q', '-f', join(here, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${outputFile}`];
  try {
    // Offline first: the jars are normally in the local repository already.
    await run('mvn', ['-o', ...args]);
  } catch {
    await run('mvn', args);
  }
  javaClasspath = readFileSync(outputFile, 'utf8').trim();
  return javaClasspath;
}

const javaSource = join(here, 'java-client.java');

async function runJava(args: readonly string[]): Promise<Record<string, unknown>> {
  return lastJsonLine(await run('java', ['-cp', await resolveJavaClasspath(), javaSource, ...args]));
}

export const javaDriver: ClientDriver = {
  client: 'java',
  implementation: 'apache-kafka-java',
  codecs: ALL_CODECS,
  async version() {
    const info = await runJava(['version']);
    return `kafka-clients ${String(info.client)}`;
  },
  records(codec) {
    return standardRecords(this.client, codec);
  },
  async produce(job) {
    await runJava(['produce', job.bootstrap, job.topic, job.codec, ...job.records.map(recordArg)]);
  },
  async consume(job) {
    await runJava(['consume', job.bootstrap, String(job.count), ...job.topics]);
  },
  dispose() {
    if (javaTempDir !== undefined) rmSync(javaTempDir, { recursive: true, force: true });
    javaTempDir = undefined;
    javaClasspath = undefined;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// KafkaJS: gzip is its only built-in codec (snappy, lz4 and zstd need third-party plugins).

function packageVersion(name: string): string {
  // Read from disk: @platformatic/kafka does not export its package.json.
  const entry = require.resolve(name);
  const root = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

function kafkaJs(bootstrap: string): Kafka {
  return new Kafka({
    clientId: 'golden-kafkajs',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => process.stderr.write(`kafkajs ${entry.namespace} ${entry.log.message}\n`),
  });
}

/** KafkaJS headers are an object; repeated names become an array value, which KafkaJS writes in order. */
function kafkaJsHeaders(record: GoldenRecord): IHeaders {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of record.headers) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return headers;
}

/** The parts of KafkaJS's internal cluster and broker objects the consume step uses. */
interface KafkaJsBroker {
  fetch(request: {
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: { partition: number; errorCode: number; messages: { offset: string }[] }[] }[] }>;
}
interface KafkaJsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<KafkaJsBroker>;
  fetchTopicsOffset(topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[]): Promise<
    { topic: string; partitions: { partition: number; offset: string }[] }[]
  >;
}

/**
 * KafkaJS's public consumer always joins a group. Its internal cluster object speaks ListOffsets and Fetch with
 * KafkaJS's own encoders, which is what the capture wants, so the consume step uses it.
 */
function kafkaJsCluster(kafka: Kafka): KafkaJsCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((symbol) => symbol.description === 'private:Kafka:createCluster');
  if (key === undefined) throw new Error('KafkaJS internals changed: no createCluster symbol');
  const create = (kafka as unknown as Record<symbol, (options: { allowAutoTopicCreation: boolean }) => KafkaJsCluster>)[key];
  return create({ allowAutoTopicCreation: false });
}

export const kafkaJsDriver: ClientDriver = {
  client: 'kafkajs',
  implementation: 'kafkajs',
  codecs: ['none', 'gzip'],
  async version() {
    return `kafkajs ${packageVersion('kafkajs')}`;
  },
  records(codec) {
    return standardRecords(this.client, codec);
  },
  async produce(job) {
    const producer = kafkaJs(job.bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false });
    await producer.connect();
    try {
      const messages: Message[] = job.records.map((record) => ({
        key: record.key,
        value: record.value,
        headers: kafkaJsHeaders(record),
        partition: 0,
      }));
      await producer.send({ topic: job.topic, acks: -1, compression: job.codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None, messages });
    } finally {
      await producer.disconnect();
    }
  },
  async consume(job) {
    const cluster = kafkaJsCluster(kafkaJs(job.bootstrap));
    await cluster.connect();
    try {
      await cluster.addMultipleTargetTopics([...job.topics]);
      const starts = await cluster.fetchTopicsOffset(job.topics.map((topic) => ({ topic, partitions: [{ partition: 0 }], fromBeginning: true })));
      const offsets = new Map(starts.map(({ topic, partitions }) => [topic, BigInt(partitions[0].offset)]));
      const leader = Object.keys(cluster.findLeaderForPartitions(job.topics[0], [0]))[0];
      const broker = await cluster.findBroker({ nodeId: leader });
      let seen = 0;
      const deadline = Date.now() + DEADLINE_MS;
      while (seen < job.count) {
        if (Date.now() > deadline) throw new Error(`kafkajs consumed ${seen} of ${job.count}`);
        const { responses } = await broker.fetch({
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          topics: job.topics.map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: String(offsets.get(topic)), maxBytes: 1 << 20 }] })),
        });
        for (const { topicName, partitions } of responses) {
          for (const partition of partitions) {
            if (partition.errorCode !== 0) throw new Error(`fetch ${topicName}: error ${partition.errorCode}`);
            for (const message of partition.messages) {
              seen++;
              offsets.set(topicName, BigInt(message.offset) + 1n);
            }
          }
        }
      }
    } finally {
      await cluster.disconnect();
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// @platformatic/kafka: its zstd uses node:zlib's, which Node 20 lacks, so it offers none, gzip, snappy and lz4 here.

function platformaticBase(bootstrap: string): { clientId: string; bootstrapBrokers: string[] } {
  return { clientId: 'golden-platformatic', bootstrapBrokers: [bootstrap] };
}

export const platformaticDriver: ClientDriver = {
  client: 'platformatic-kafka',
  implementation: 'platformatic-kafka',
  codecs: ['none', 'gzip', 'snappy', 'lz4'],
  async version() {
    return `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`;
  },
  records(codec) {
    return standardRecords(this.client, codec);
  },
  async produce(job) {
    const producer = new PlatformaticProducer({ ...platformaticBase(job.bootstrap), idempotent: false, acks: -1, compression: job.codec, autocreateTopics: true });
    try {
      const messages: MessageToProduce[] = job.records.map((record) => ({
        topic: job.topic,
        partition: 0,
        key: record.key === null ? undefined : Buffer.from(record.key),
        // Its types say `Buffer | undefined`, but its message schema requires the property and its encoder
        // writes null as a null value (length -1), which is what this record must carry.
        value: (record.value === null ? null : Buffer.from(record.value)) as Buffer,
        // Distinct Buffer keys let a Map carry a repeated header name.
        headers: new Map(record.headers.map(([name, value]) => [Buffer.from(name), Buffer.from(value)] as const)),
      }));
      await producer.send({ messages });
    } finally {
      await producer.close();
    }
  },
  async consume(job) {
    const consumer = new PlatformaticConsumer({ ...platformaticBase(job.bootstrap), groupId: 'golden-platformatic-unused', maxWaitTime: 100 });
    try {
      const metadata = await consumer.metadata({ topics: [...job.topics] });
      let seen = 0;
      for (const topic of job.topics) {
        const info = metadata.topics.get(topic);
        if (info === undefined) throw new Error(`no metadata for ${topic}`);
        let offset = 0n;
        const deadline = Date.now() + DEADLINE_MS;
        for (;;) {
          if (Date.now() > deadline) throw new Error(`platformatic consumed ${seen} of ${job.count}`);
          const response = await consumer.fetch({
            node: info.partitions[0].leader,
            topics: [{ topicId: info.id, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
          });
          let got = 0;
          for (const batch of response.responses[0]?.partitions[0]?.records ?? []) {
            got += batch.records.length;
            offset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          }
          seen += got;
          if (got === 0) break;
        }
      }
      if (seen !== job.count) throw new Error(`platformatic consumed ${seen} of ${job.count}`);
    } finally {
      await consumer.close(true);
    }
  },
};

export const clientDrivers: readonly ClientDriver[] = [kcatDriver, pythonDriver, kafkaJsDriver, platformaticDriver, javaDriver];
