// The broker's persisted identity: `<dataDir>/meta.properties` holds the cluster id and node id, as Kafka's
// `meta.properties` does, so a restarted broker keeps its cluster id (clients compare it across metadata).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerError } from './broker-error.ts';

const META_FILE = 'meta.properties';
const INCONSISTENT_CLUSTER_ID = 104;

export interface BrokerIdentity {
  clusterId: string;
  nodeId: number;
}

/** Kafka's cluster ids are random UUIDs in URL-safe base64 without padding (`Uuid.randomUuid().toString()`). */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function parse(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at > 0 && !line.startsWith('#')) values[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return values;
}

export function loadOrCreateIdentity(dataDir: string, wanted: { clusterId: string | null; nodeId: number }): BrokerIdentity {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, META_FILE);
  let existing: Record<string, string> | null = null;
  try {
    existing = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing !== null && existing['cluster.id'] !== undefined) {
    if (wanted.clusterId !== null && wanted.clusterId !== existing['cluster.id']) {
      throw new BrokerError(INCONSISTENT_CLUSTER_ID, `data dir belongs to cluster ${existing['cluster.id']}, not ${wanted.clusterId}`);
    }
    return { clusterId: existing['cluster.id'], nodeId: wanted.nodeId };
  }
  const identity = { clusterId: wanted.clusterId ?? newClusterId(), nodeId: wanted.nodeId };
  const temp = `${path}.tmp`;
  writeFileSync(temp, `version=1\ncluster.id=${identity.clusterId}\nnode.id=${identity.nodeId}\n`);
  const fd = openSync(temp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temp, path);
  return identity;
}
