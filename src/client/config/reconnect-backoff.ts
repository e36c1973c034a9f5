// `reconnect.backoff.ms` and `reconnect.backoff.max.ms` (Kafka's CommonClientConfigs), which the producer and the
// consumer take alike: how soon a connection that failed is tried again, doubling from the first to the second.
// The connection pool adds ±20% jitter, as Kafka's ExponentialBackoff does.

export interface ReconnectBackoffOptions {
  /** First wait before reconnecting to a broker after a failed attempt (`reconnect.backoff.ms`). Default 50. */
  reconnectBackoffMs?: number;
  /** Longest wait between reconnection attempts, growing exponentially with jitter (`reconnect.backoff.max.ms`). Default 1000. */
  reconnectBackoffMaxMs?: number;
  'reconnect.backoff.ms'?: number;
  'reconnect.backoff.max.ms'?: number;
}

export const reconnectBackoffOptionNames = ['reconnectBackoffMs', 'reconnectBackoffMaxMs', 'reconnect.backoff.ms', 'reconnect.backoff.max.ms'] as const satisfies readonly (keyof ReconnectBackoffOptions)[];

/** The two settings, each checked by the client's own `number(name, value, fallback)` rule. */
export function resolveReconnectBackoff(
  options: ReconnectBackoffOptions,
  number: (name: string, value: number | undefined, fallback: number) => number,
): { reconnectBackoffMs: number; reconnectBackoffMaxMs: number } {
  return {
    reconnectBackoffMs: number('reconnect.backoff.ms', options.reconnectBackoffMs ?? options['reconnect.backoff.ms'], 50),
    reconnectBackoffMaxMs: number('reconnect.backoff.max.ms', options.reconnectBackoffMaxMs ?? options['reconnect.backoff.max.ms'], 1000),
  };
}
