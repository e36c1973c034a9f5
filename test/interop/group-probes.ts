// Probes the consumer-group interop tests poll while real clients rebalance: a condition awaited with a deadline
// that reports the last value seen, and the sum of a group's committed offsets.
import type { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';

export async function waitFor<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await probe();
  }
  return last;
}

/** The sum of the group's committed offsets over `partitions` partitions of `topic` (OffsetFetch v8). */
export async function committedOffsetTotal(connection: BrokerConnection, group: string, topic: string, partitions: number): Promise<bigint> {
  const response = await connection.send(ApiKey.OffsetFetch, 8, {
    groupId: '',
    topics: [],
    groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [...Array(partitions).keys()] }] }],
    requireStable: false,
  });
  let total = 0n;
  for (const entry of response.groups[0].topics) for (const partition of entry.partitions) if (partition.committedOffset > 0n) total += partition.committedOffset;
  return total;
}
