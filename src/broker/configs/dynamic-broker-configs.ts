// Dynamic broker configs (KIP-226): values set with AlterConfigs/IncrementalAlterConfigs on the BROKER resource,
// for this node (`<node id>`) or as the cluster-wide default (`""`), that take effect without a restart. Kafka
// keeps them in its metadata log; a single node keeps them in `<dataDir>/dynamic-broker-configs.json`, replaced
// atomically and fsynced before the request is answered. Only the configs Kafka marks dynamic and this broker
// applies at once (the log defaults of Kafka's `DynamicLogConfig`) can be set; any other is refused as Kafka's
// `DynamicBrokerConfig.validateConfigs` refuses a non-dynamic one, with INVALID_REQUEST (KAFKA-13609).
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BrokerError } from '../broker-error.ts';
import type { BrokerConfig } from '../config.ts';
import { readSmallFile, writeFileAtomic } from '../log/checkpoint-file.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import { logConfigFromBroker, logConfigWithOverrides, type LogConfig } from '../log/log-config.ts';
import { dynamicLogDefaults, isDynamicBrokerConfig, staticBrokerLayers, type BrokerConfigLayers } from './broker-configs.ts';

const FILE_NAME = 'dynamic-broker-configs.json';
const FORMAT_VERSION = 1;

/** Which dynamic layer an alteration targets. */
export type DynamicConfigScope = 'broker' | 'clusterDefault';

interface StoredDynamicConfigs {
  version: number;
  broker: Record<string, string>;
  clusterDefault: Record<string, string>;
}

export class DynamicBrokerConfigs {
  private broker: Record<string, string>;
  private clusterDefault: Record<string, string>;
  private readonly staticLayers: Pick<BrokerConfigLayers, 'static' | 'defaults'>;

  private constructor(
    private readonly fs: LogFileSystem,
    private readonly path: string,
    private readonly staticConfig: Readonly<BrokerConfig>,
    stored: StoredDynamicConfigs,
  ) {
    this.broker = { ...stored.broker };
    this.clusterDefault = { ...stored.clusterDefault };
    this.staticLayers = staticBrokerLayers(staticConfig);
  }

  /** Loads the stored dynamic configs of `config.dataDir` (none when the file does not exist). */
  static open(fs: LogFileSystem, config: Readonly<BrokerConfig>): DynamicBrokerConfigs {
    const path = join(config.dataDir, FILE_NAME);
    const bytes = readSmallFile(fs, path);
    let stored: StoredDynamicConfigs = { version: FORMAT_VERSION, broker: {}, clusterDefault: {} };
    if (bytes !== null) {
      const parsed = JSON.parse(bytes.toString('utf8')) as StoredDynamicConfigs;
      if (parsed.version !== FORMAT_VERSION) throw new Error(`${FILE_NAME}: unsupported format version ${String(parsed.version)}`);
      stored = parsed;
    }
    return new DynamicBrokerConfigs(fs, path, config, stored);
  }

  layers(): BrokerConfigLayers {
    return { dynamicBroker: this.broker, dynamicDefault: this.clusterDefault, ...this.staticLayers };
  }

  /** The broker-wide log defaults: the static settings under the dynamic ones. */
  logDefaults(): LogConfig {
    return DynamicBrokerConfigs.logDefaultsOf(this.staticConfig, this.broker, this.clusterDefault);
  }

  private static logDefaultsOf(staticConfig: Readonly<BrokerConfig>, broker: Readonly<Record<string, string>>, clusterDefault: Readonly<Record<string, string>>): LogConfig {
    const topicConfigs = dynamicLogDefaults({ dynamicBroker: broker, dynamicDefault: clusterDefault });
    return logConfigWithOverrides(logConfigFromBroker(staticConfig), topicConfigs);
  }

  /**
   * Replaces the configs of `scope` with `update(current)` after checking them as Kafka does; with `validateOnly`
   * nothing changes. The new values are durable when this returns.
   */
  update(scope: DynamicConfigScope, update: (current: Readonly<Record<string, string>>) => Record<string, string>, validateOnly: boolean): void {
    const current = scope === 'broker' ? this.broker : this.clusterDefault;
    const next = update(current);
    const broker = scope === 'broker' ? next : this.broker;
    const clusterDefault = scope === 'clusterDefault' ? next : this.clusterDefault;
    try {
      DynamicBrokerConfigs.logDefaultsOf(this.staticConfig, broker, clusterDefault);
    } catch (error) {
      // Kafka wraps a value the new config refuses in InvalidRequestException (ConfigAdminManager, KAFKA-13609).
      if (error instanceof BrokerError) throw new BrokerError(ErrorCode.INVALID_REQUEST, error.message);
      throw error;
    }
    if (validateOnly) return;
    const stored: StoredDynamicConfigs = { version: FORMAT_VERSION, broker, clusterDefault };
    writeFileAtomic(this.fs, this.path, Buffer.from(JSON.stringify(stored, null, 2) + '\n', 'utf8'), true);
    this.broker = broker;
    this.clusterDefault = clusterDefault;
  }
}

/** Refuses, all at once as Kafka lists them, the names that cannot be set dynamically here. */
export function checkDynamicallyUpdatable(names: readonly string[]): void {
  const refused = names.filter((name) => !isDynamicBrokerConfig(name));
  if (refused.length > 0) throw new BrokerError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${refused.join(', ')})`);
}
