// Offsets, timestamps and producer ids are int64 on the wire and `bigint` in this client, which `JSON.stringify`
// refuses ("Do not know how to serialize a BigInt"). Their JSON form is the decimal string: exact for every int64,
// which a JSON number is not past 2^53 (Kafka's own JSON tools, e.g. kafka-consumer-groups --output json, print
// offsets as numbers and lose that precision). The testkit's histories use the same form.

/** A `JSON.stringify` replacer writing every bigint as its decimal string: `JSON.stringify(metadata, bigintReplacer)`. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** `value` with every bigint (at any depth) turned into its decimal string, ready for `JSON.stringify` or a log. */
export type Jsonified<T> = T extends bigint
  ? string
  : T extends readonly (infer E)[]
    ? Jsonified<E>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/** Converts bigints to decimal strings throughout `value` (see `bigintReplacer`); `BigInt(text)` reads them back. */
export function toJsonSafe<T>(value: T): Jsonified<T> {
  return JSON.parse(JSON.stringify(value, bigintReplacer)) as Jsonified<T>;
}
