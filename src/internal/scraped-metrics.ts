// Prometheus metrics whose values are read when the registry is collected, not pushed as things happen: the broker
// and the clients keep their own numbers (plain fields, running totals, their objects' state) and pay nothing for
// Prometheus until it scrapes. One declaration for each shape, shared by the broker's and the clients' registries.
import { Counter, Gauge, type Registry } from 'prom-client';

export type MetricLabels = Readonly<Record<string, string>>;

/** A gauge with one series, `labels` (none by default), set to `read()` at each collection. */
export function scrapedGauge(registers: Registry[], name: string, help: string, read: () => number, labels: MetricLabels = {}): Gauge {
  const labelled = Object.keys(labels).length > 0;
  return scrapedGaugeSeries(registers, name, help, Object.keys(labels), (gauge) => (labelled ? gauge.labels(labels).set(read()) : gauge.set(read())));
}

/** A counter with one series, `labels` (none by default), mirroring a running total kept elsewhere. */
export function scrapedCounter(registers: Registry[], name: string, help: string, read: () => number, labels: MetricLabels = {}): Counter {
  const labelled = Object.keys(labels).length > 0;
  return scrapedCounterSeries(registers, name, help, Object.keys(labels), (counter) => (labelled ? counter.labels(labels).inc(read()) : counter.inc(read())));
}

/** A counter with a series per label set, emptied and set again from running totals by `fill` at each collection. */
export function scrapedCounterSeries<L extends string>(registers: Registry[], name: string, help: string, labelNames: readonly L[], fill: (counter: Counter<L>) => void): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      fill(this);
    },
  });
}

/**
 * A gauge with a series per row of some state (partitions, groups, transaction states), emptied and filled again by
 * `fill` at each collection, so a row that went away leaves no stale series.
 */
export function scrapedGaugeSeries<L extends string>(registers: Registry[], name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>) => void | Promise<void>): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      return fill(this);
    },
  });
}
