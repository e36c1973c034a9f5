// Kafka's `ProducerIdAndEpoch`: an immutable value. The producer replaces it as a whole (InitProducerId, a local
// epoch bump); partitions compare theirs against the current one to notice a change (DESIGN: await rules).

export interface ProducerIdAndEpoch {
  readonly producerId: bigint;
  readonly epoch: number;
}

/** Largest epoch (Short.MAX_VALUE); bumping past it takes a new producer id instead (KIP-360). */
export const MAX_PRODUCER_EPOCH = 32767;

export function producerIdAndEpoch(producerId: bigint, epoch: number): ProducerIdAndEpoch {
  return Object.freeze({ producerId, epoch });
}

export function sameProducerIdAndEpoch(a: ProducerIdAndEpoch | null, b: ProducerIdAndEpoch | null): boolean {
  if (a === null || b === null) return a === b;
  return a.producerId === b.producerId && a.epoch === b.epoch;
}
