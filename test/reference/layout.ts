// Where scripts/setup-peers.sh puts the reference Kafka and the peer programs. Everything it builds lives under
// `.cache/` in the repository (git-ignored); the version numbers here and in the setup script must agree.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const kafkaVersion = '4.4.0';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cacheDir = join(repoRoot, '.cache');

/** Every jar of the broker, its tools (ProducerPerformance) and the Java client, resolved from Maven Central. */
export const kafkaLibsDir = join(cacheDir, `kafka-${kafkaVersion}`, 'libs');
export const kafkaClasspath = `${kafkaLibsDir}/*`;

export const javaPeerClassesDir = join(cacheDir, 'peers', 'java');
export const binDir = join(cacheDir, 'bin');
export const venvPython = join(cacheDir, 'venv', 'bin', 'python');

export const setupHint = 'run `bash scripts/setup-peers.sh` first (.ci/run does)';

export function javaExecutable(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}
