// Option-name checking shared by the broker's `startBroker` and the client's constructors (this directory is the
// one both may import). A misspelt option (`lingerMS`, `numPartitons`) silently keeping its default is the kind of
// mistake that costs an afternoon; like Kafka's ConfigDef, which warns about unknown configs, and seqlog's own
// `--set`, which refuses them, the API rejects a name it does not know and suggests the nearest one.

/** Edit distance between two short names (case-insensitive). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length];
}

/** The known name closest to `name`, when one is close enough to be a likely typo. */
export function nearestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/**
 * A sentence naming the first key of `options` that is not in `known` (with the nearest known name), or null when
 * every key is known. Keys whose value is undefined count too: `{ lingerMS: undefined }` is still a typo.
 */
export function unknownOptionMessage(options: object, known: ReadonlySet<string>, what: string): string | null {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const nearest = nearestName(key, [...known]);
    return `unknown ${what} option '${key}'${nearest === null ? '' : `; did you mean '${nearest}'?`}`;
  }
  return null;
}
