// `seqlog serve`: configuration precedence is defaults < --config file < SEQLOG_* environment < flags.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startBroker } from '../broker/index.ts';
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
  port?: string;
  data?: string;
  config?: string;
  set?: string[];
  fsync?: string;
  authorizer?: string;
  logLevel: string;
}

function flagProperties(options: ServeOptions): Record<string, string> {
  const properties: Record<string, string> = {};
  if (options.port !== undefined) properties.listeners = `PLAINTEXT://127.0.0.1:${options.port}`;
  if (options.listeners !== undefined) properties.listeners = options.listeners;
  if (options.advertisedListeners !== undefined) properties['advertised.listeners'] = options.advertisedListeners;
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
  log.info({ bootstrap: broker.bootstrap, dataDir: config.dataDir, fsync: config.fsync }, 'seqlog broker ready');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await broker.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
