// `seqlog serve`: configuration precedence is defaults < --config file < SEQLOG_* environment < flags.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { startBroker, startMetricsServer } from '../broker/index.ts';
import { startConsoleServer } from '../console/console-server.ts';
import {
  applyKafkaProperties,
  defaultBrokerConfig,
  parsePropertiesText,
  propertiesFromEnv,
  ConfigError,
} from '../broker/config.ts';
import { CliError } from './cli-failure.ts';

export interface ServeOptions {
  listeners?: string;
  advertisedListeners?: string;
  saslPlainUsers?: string;
  port?: string;
  data?: string;
  config?: string;
  set?: string[];
  fsync?: string;
  authorizer?: string;
  /** Serve Prometheus metrics at http://127.0.0.1:<port>/metrics (off by default). */
  metricsPort?: string;
  /** Serve the web console at http://127.0.0.1:<port>/ (off by default). */
  consolePort?: string;
  logLevel: string;
}

function portOption(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${flag} expects a port number (0-65535), got '${value}'`);
  return port;
}

function flagProperties(options: ServeOptions): Record<string, string> {
  const properties: Record<string, string> = {};
  if (options.port !== undefined) properties.listeners = `PLAINTEXT://127.0.0.1:${options.port}`;
  if (options.listeners !== undefined) properties.listeners = options.listeners;
  if (options.advertisedListeners !== undefined) properties['advertised.listeners'] = options.advertisedListeners;
  if (options.saslPlainUsers !== undefined) properties['sasl.plain.users'] = options.saslPlainUsers;
  if (options.data !== undefined) properties['log.dirs'] = options.data;
  if (options.fsync !== undefined) properties['log.flush.policy'] = options.fsync;
  if (options.authorizer !== undefined) properties['authorizer.class.name'] = options.authorizer;
  for (const pair of options.set ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError(`--set expects name=value, got '${pair}'`);
    properties[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return properties;
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the config file ${path}: ${(error as Error).message}`, 2);
  }
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  const log = pino({ level: options.logLevel });
  let config = { ...defaultBrokerConfig, port: 9092, dataDir: './data' };
  if (options.config !== undefined) config = applyKafkaProperties(config, parsePropertiesText(readConfigFile(options.config)));
  config = applyKafkaProperties(config, propertiesFromEnv(process.env));
  config = applyKafkaProperties(config, flagProperties(options));
  config.dataDir = resolve(config.dataDir);

  const broker = await startBroker({ ...config, logger: log });
  log.info({ bootstrap: broker.bootstrap, listeners: broker.listeners.map((listener) => `${listener.name}://${listener.bootstrap}`), dataDir: config.dataDir, fsync: config.fsync }, 'seqlog broker ready');
  const sidecars: { close(): Promise<void> }[] = [];
  if (options.metricsPort !== undefined) {
    // The process's own metrics (CPU, heap, event-loop lag, GC) next to the broker's, as the JMX exporter adds the JVM's.
    collectDefaultMetrics({ register: broker.metricRegistry });
    const metrics = await startMetricsServer(broker.metricRegistry, { host: config.host, port: portOption(options.metricsPort, '--metrics-port') });
    sidecars.push(metrics);
    log.info({ url: metrics.url }, 'serving Prometheus metrics');
  }
  if (options.consolePort !== undefined) {
    const console = await startConsoleServer({ host: config.host, port: portOption(options.consolePort, '--console-port'), readState: () => broker.describeState() });
    sidecars.push(console);
    log.info({ url: console.url }, 'serving the web console');
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await Promise.all(sidecars.map((sidecar) => sidecar.close()));
    await broker.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
