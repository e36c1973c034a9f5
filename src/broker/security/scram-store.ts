// SCRAM credentials, durable in `<dataDir>/scram-credentials.json`: per user and mechanism the salt, iteration
// count, StoredKey and ServerKey (RFC 5802), never the password or the salted password — what Kafka keeps in its
// metadata log as `UserScramCredentialRecord`. Every change is written to a temp file, fsynced and renamed over
// the old one before AlterUserScramCredentials is answered, so an answered change survives a crash.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScramCredential, ScramMechanismName } from '../../protocol/sasl/scram.ts';

const FILE = 'scram-credentials.json';

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

type StoredFile = { version: 1; users: Record<string, Partial<Record<ScramMechanismName, StoredCredential>>> };

export class ScramCredentialStore {
  private readonly users = new Map<string, Map<ScramMechanismName, ScramCredential>>();

  private constructor(private readonly path: string | null) {}

  /** Loads the store of a data dir (empty when the file does not exist yet). */
  static open(dataDir: string): ScramCredentialStore {
    const store = new ScramCredentialStore(join(dataDir, FILE));
    let text: string;
    try {
      text = readFileSync(store.path as string, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw error;
    }
    const parsed = JSON.parse(text) as StoredFile;
    for (const [user, mechanisms] of Object.entries(parsed.users)) {
      const entries = new Map<ScramMechanismName, ScramCredential>();
      for (const [mechanism, stored] of Object.entries(mechanisms) as [ScramMechanismName, StoredCredential][]) {
        entries.set(mechanism, {
          salt: Buffer.from(stored.salt, 'base64'),
          storedKey: Buffer.from(stored.storedKey, 'base64'),
          serverKey: Buffer.from(stored.serverKey, 'base64'),
          iterations: stored.iterations,
        });
      }
      store.users.set(user, entries);
    }
    return store;
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** Every user with at least one credential, and their mechanisms with iteration counts. */
  list(): Map<string, { mechanism: ScramMechanismName; iterations: number }[]> {
    const out = new Map<string, { mechanism: ScramMechanismName; iterations: number }[]>();
    for (const [user, mechanisms] of this.users) out.set(user, [...mechanisms].map(([mechanism, credential]) => ({ mechanism, iterations: credential.iterations })));
    return out;
  }

  /** Applies upserts and deletes together and makes them durable before returning. */
  apply(changes: readonly ({ user: string; mechanism: ScramMechanismName; credential: ScramCredential | null })[]): void {
    if (changes.length === 0) return;
    for (const change of changes) {
      let mechanisms = this.users.get(change.user);
      if (change.credential === null) {
        mechanisms?.delete(change.mechanism);
        if (mechanisms?.size === 0) this.users.delete(change.user);
        continue;
      }
      if (mechanisms === undefined) this.users.set(change.user, (mechanisms = new Map()));
      mechanisms.set(change.mechanism, change.credential);
    }
    this.persist();
  }

  private persist(): void {
    if (this.path === null) return;
    const file: StoredFile = { version: 1, users: {} };
    for (const [user, mechanisms] of this.users) {
      const entry: Partial<Record<ScramMechanismName, StoredCredential>> = {};
      for (const [mechanism, credential] of mechanisms) {
        entry[mechanism] = {
          salt: credential.salt.toString('base64'),
          storedKey: credential.storedKey.toString('base64'),
          serverKey: credential.serverKey.toString('base64'),
          iterations: credential.iterations,
        };
      }
      file.users[user] = entry;
    }
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(file), { mode: 0o600 });
    const fd = openSync(temp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
  }
}
