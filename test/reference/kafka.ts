// Starts a real Apache Kafka (the version in layout.ts, installed by scripts/setup-peers.sh) on loopback for
// tests: one combined broker+controller node, or a three-node KRaft cluster. Storage is formatted the way
// `kafka-storage format` does it (kafka.tools.StorageTool) with a fresh random cluster id, in a temporary
// directory that stop() removes. Readiness is a Metadata round trip to every node that lists every node.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerProperties } from './broker-config.ts';
import type { NodeAddress } from './broker-config.ts';
import { freePorts } from './free-ports.ts';
import { javaExecutable, kafkaClasspath, kafkaLibsDir, kafkaVersion, setupHint } from './layout.ts';
import { probeMetadata } from './metadata-probe.ts';
import type { MetadataSnapshot } from './metadata-probe.ts';
import { exited, signalGroup, spawnReaped, stopGroup } from './reaper.ts';

export interface ReferenceKafkaOptions {
  /** Number of nodes, each a combined broker+controller. Default 1. */
  brokers?: 1 | 3;
  /** Extra or overriding server.properties entries, applied to every node. */
  config?: Readonly<Record<string, string>>;
  /** Feature levels given to the storage format, e.g. `{ 'transaction.version': 1 }` (Kafka 4.4 formats at 2). */
  features?: Readonly<Record<string, number>>;
  /** Max heap per node in MiB. Default 512. */
  heapMb?: number;
  /** JVM flags replacing the defaults (which trade peak speed for a fast, light start-up). */
  jvmOptions?: readonly string[];
  /** How long start-up may take before it fails. Default 120 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 15 s. */
  stopTimeoutMs?: number;
  /** Where to report start-up time. Default: one line on stderr. */
  log?: (line: string) => void;
  /**
   * A SASL_PLAINTEXT listener on every node besides PLAINTEXT (which stays the inter-broker listener), with these
   * mechanisms; PLAIN users through the listener's JAAS `user_<name>` entries, SCRAM users created at storage
   * format (`kafka-storage format --add-scram`), as a KRaft cluster bootstraps its first credentials.
   */
  sasl?: ReferenceSaslOptions;
}

export interface ReferenceSaslOptions {
  readonly mechanisms: readonly ('PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512')[];
  readonly plainUsers?: Readonly<Record<string, string>>;
  readonly scramUsers?: readonly { readonly user: string; readonly password: string; readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' }[];
}

/** The SASL listener's server.properties entries for one node. */
function saslProperties(sasl: ReferenceSaslOptions, port: number, saslPort: number, controllerPort: number): Record<string, string> {
  const props: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms': sasl.mechanisms.join(','),
  };
  for (const mechanism of sasl.mechanisms) {
    const key = `listener.name.sasl_plaintext.${mechanism.toLowerCase()}.sasl.jaas.config`;
    if (mechanism === 'PLAIN') {
      const users = Object.entries(sasl.plainUsers ?? {}).map(([user, password]) => ` user_${user}="${password}"`).join('');
      props[key] = `org.apache.kafka.common.security.plain.PlainLoginModule required${users};`;
    } else {
      props[key] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    }
  }
  return props;
}

export interface ReferenceBroker {
  id: number;
  host: string;
  port: number;
  /** The SASL_PLAINTEXT listener's port (with the `sasl` option). */
  saslPort?: number;
  /** The current JVM's pid (changes on restartBroker). */
  pid: number;
  controllerPort: number;
  logFile: string;
  alive: boolean;
}

export interface ReferenceKafka {
  /** host:port of every node, comma-separated. */
  bootstrap: string;
  /** host:port of every node's SASL_PLAINTEXT listener (with the `sasl` option). */
  saslBootstrap?: string;
  brokers: ReferenceBroker[];
  clusterId: string;
  /** The temporary directory holding every node's config, data and broker.log; stop() removes it. */
  dir: string;
  /** From the first JVM spawned to every node answering Metadata with every node. */
  startupMs: number;
  /** SIGTERM to every node, SIGKILL after the timeout; removes the temporary directory. */
  stop(): Promise<void>;
  /** Signals one node's process group (default SIGKILL) and waits for the JVM to exit. Data stays. */
  killBroker(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed node again on the same ports and data, and waits until the cluster lists it. */
  restartBroker(id: number): Promise<void>;
  /** Waits until a Metadata request to a live node lists exactly `count` brokers (fenced ones are not listed). */
  waitForLiveBrokers(count: number, timeoutMs?: number): Promise<MetadataSnapshot>;
}

const defaultJvmOptions = [
  '-XX:+UseSerialGC',
  // C1 only: start-up is the cost that matters in tests, and it leaves the second core to the test itself.
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

/**
 * What kafka-server-start.sh / kafka-run-class.sh give the broker (KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS):
 * for benchmarks, which must measure Kafka as it is deployed, not as tests start it. Use with `heapMb: 1024`.
 */
export const startScriptJvmOptions: readonly string[] = [
  '-Xms1G',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

interface Node extends NodeAddress {
  saslPort?: number;
  dir: string;
  configFile: string;
  logFile: string;
  process: ChildProcess | undefined;
}

/** A Kafka Uuid as `kafka-storage random-uuid` prints it: 16 random bytes, base64url without padding. Kafka
 *  draws again when the text starts with '-' (it would read as a command-line flag). */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function javaArgs(options: ReferenceKafkaOptions, log4jConfig: string, heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(heapMb, 128)}m`,
    ...(options.jvmOptions ?? defaultJvmOptions),
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    '-cp',
    kafkaClasspath,
  ];
}

async function runToCompletion(args: string[], logFile: string, what: string): Promise<void> {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawnReaped(javaExecutable(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (status) => resolve(status));
  });
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${tail(logFile)}`);
}

export async function startReferenceKafka(options: ReferenceKafkaOptions = {}): Promise<ReferenceKafka> {
  if (!existsSync(join(kafkaLibsDir, `kafka_2.13-${kafkaVersion}.jar`))) {
    throw new Error(`reference Kafka ${kafkaVersion} is not installed (no ${kafkaLibsDir}): ${setupHint}`);
  }
  const size = options.brokers ?? 1;
  const heapMb = options.heapMb ?? 512;
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const root = mkdtempSync(join(tmpdir(), 'seqlog-reference-kafka-'));
  const log4jConfig = new URL('./log4j2.properties', import.meta.url).pathname;
  const java = javaArgs(options, log4jConfig, heapMb);
  const nodes: Node[] = [];
  let stopped = false;

  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const stopping = performance.now();
    await Promise.all(nodes.map((node) => (node.process ? stopGroup(node.process, options.stopTimeoutMs ?? 15_000) : Promise.resolve())));
    rmSync(root, { recursive: true, force: true });
    if (nodes.some((node) => node.process)) log(`reference Kafka: ${nodes.length} node(s) stopped in ${Math.round(performance.now() - stopping)} ms`);
  };

  try {
    const sasl = options.sasl;
    const portsPerNode = sasl === undefined ? 2 : 3;
    const ports = await freePorts(portsPerNode * size);
    for (let i = 0; i < size; i++) {
      const id = i + 1;
      const dir = join(root, `node-${id}`);
      mkdirSync(dir);
      const saslPort = sasl === undefined ? {} : { saslPort: ports[portsPerNode * i + 2] };
      nodes.push({ id, port: ports[portsPerNode * i], controllerPort: ports[portsPerNode * i + 1], ...saslPort, dir, configFile: join(dir, 'server.properties'), logFile: join(dir, 'broker.log'), process: undefined });
    }
    for (const node of nodes) {
      const security = sasl === undefined || node.saslPort === undefined ? {} : saslProperties(sasl, node.port, node.saslPort, node.controllerPort);
      writeFileSync(node.configFile, brokerProperties(node, nodes, join(node.dir, 'data'), { ...security, ...options.config }));
    }

    const clusterId = randomClusterId();
    const features = [
      ...Object.entries(options.features ?? {}).flatMap(([name, level]) => ['--feature', `${name}=${level}`]),
      ...(sasl?.scramUsers ?? []).flatMap(({ user, password, mechanism }) => ['--add-scram', `${mechanism}=[name=${user},password=${password}]`]),
    ];
    const formatStarted = performance.now();
    await Promise.all(
      nodes.map((node) =>
        runToCompletion([...java, 'kafka.tools.StorageTool', 'format', '--cluster-id', clusterId, '--config', node.configFile, ...features], node.logFile, `formatting node ${node.id}`),
      ),
    );
    const formatMs = performance.now() - formatStarted;

    const launch = (node: Node): void => {
      const out = createWriteStream(node.logFile, { flags: 'a' });
      const child = spawnReaped(javaExecutable(), [...java, `-Dkafka.logs.dir=${node.dir}`, 'kafka.Kafka', node.configFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
        dirs: [root],
      });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
      child.once('exit', () => out.end());
      node.process = child;
    };

    const waitForNodes = async (wanted: readonly Node[], count: number, timeoutMs: number): Promise<MetadataSnapshot> => {
      const deadline = Date.now() + timeoutMs;
      let lastProblem = 'no answer yet';
      for (;;) {
        const dead = wanted.find((node) => node.process && (node.process.exitCode !== null || node.process.signalCode !== null));
        if (dead) throw new Error(`reference Kafka node ${dead.id} exited during start-up:\n${tail(dead.logFile)}`);
        let snapshot: MetadataSnapshot | undefined;
        try {
          const answers = await Promise.all(wanted.map((node) => probeMetadata('127.0.0.1', node.port, 1000)));
          if (answers.every((answer) => answer.brokers.length === count)) snapshot = answers[0];
          else lastProblem = `brokers listed: ${answers.map((answer) => answer.brokers.map((b) => b.nodeId).join('+')).join(' / ')}`;
        } catch (error) {
          lastProblem = error instanceof Error ? error.message : String(error);
        }
        if (snapshot) return snapshot;
        if (Date.now() > deadline) {
          throw new Error(`reference Kafka not ready after ${timeoutMs} ms (${lastProblem}):\n${wanted.map((node) => `--- node ${node.id}\n${tail(node.logFile, 15)}`).join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    const started = performance.now();
    for (const node of nodes) launch(node);
    await waitForNodes(nodes, size, options.startTimeoutMs ?? 120_000);
    const startupMs = Math.round(performance.now() - started);
    log(`reference Kafka ${kafkaVersion}: ${size} node(s) ready in ${startupMs} ms (storage format ${Math.round(formatMs)} ms)`);

    const brokers: ReferenceBroker[] = nodes.map((node) => ({
      id: node.id,
      host: '127.0.0.1',
      port: node.port,
      ...(node.saslPort === undefined ? {} : { saslPort: node.saslPort }),
      controllerPort: node.controllerPort,
      logFile: node.logFile,
      get pid(): number {
        return node.process?.pid ?? -1;
      },
      get alive(): boolean {
        return node.process !== undefined && node.process.exitCode === null && node.process.signalCode === null;
      },
    }));
    const nodeById = (id: number): Node => {
      const node = nodes.find((n) => n.id === id);
      if (!node) throw new Error(`no reference broker with id ${id}`);
      return node;
    };
    const liveNodes = (): Node[] => nodes.filter((node) => node.process && node.process.exitCode === null && node.process.signalCode === null);

    return {
      bootstrap: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
      ...(options.sasl === undefined ? {} : { saslBootstrap: nodes.map((node) => `127.0.0.1:${node.saslPort}`).join(',') }),
      brokers,
      clusterId,
      dir: root,
      startupMs,
      stop: stopAll,
      async killBroker(id, signal = 'SIGKILL') {
        const node = nodeById(id);
        if (!node.process) return;
        signalGroup(node.process, signal);
        await exited(node.process);
      },
      async restartBroker(id) {
        const node = nodeById(id);
        if (node.process && node.process.exitCode === null && node.process.signalCode === null) {
          throw new Error(`reference broker ${id} is still running`);
        }
        launch(node);
        await waitForNodes(liveNodes(), liveNodes().length, options.startTimeoutMs ?? 120_000);
      },
      async waitForLiveBrokers(count, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        let last: MetadataSnapshot | undefined;
        while (Date.now() < deadline) {
          for (const node of liveNodes()) {
            try {
              last = await probeMetadata('127.0.0.1', node.port, 1000);
              if (last.brokers.length === count) return last;
              break;
            } catch {
              // Try the next live node.
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        throw new Error(`expected ${count} live brokers, metadata lists ${last?.brokers.map((b) => b.nodeId).join(',') ?? 'nothing'}`);
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
