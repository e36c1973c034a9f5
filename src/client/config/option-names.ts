// Unknown option names are an error, not a silent default: Kafka's `AbstractConfig.logUnused` only warns, which
// is how `enable.auto.comit=false` goes unnoticed until offsets move on their own. A name that is close to a
// known one is named in the error so that a typo is a one-line fix.
import { KafkaClientError } from '../errors/kafka-client-error.ts';

/** Throws a configuration error naming every key of `options` that is not in `known`. */
export function rejectUnknownOptions(what: string, options: object, known: ReadonlySet<string>): void {
  const unknown = Object.keys(options).filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  const described = unknown.map((name) => {
    const near = closest(name, known);
    return near === null ? `'${name}'` : `'${name}' (did you mean '${near}'?)`;
  });
  throw KafkaClientError.config(`unknown ${what} option${unknown.length > 1 ? 's' : ''} ${described.join(', ')}`, what);
}

function closest(name: string, known: ReadonlySet<string>): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
