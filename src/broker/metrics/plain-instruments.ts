// Hot-path instruments that are plain numbers, exported through prom-client when Prometheus scrapes. A prom-client
// label child hashes its labels on every `inc`/`observe` (about 0.3 us for a counter, 1.5 us for a histogram); a
// cell here costs an addition (and a scan of at most 16 bucket bounds), so the per-request price of metrics stays
// in the tens of nanoseconds.
import { Counter, type Registry } from 'prom-client';

/** One label set's running total. */
export class CountCell {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
}

/** A counter whose label sets are `CountCell`s bumped directly; prom-client sees the totals at collection. */
export class PlainCounter<L extends string> {
  private readonly cells: CountCell[] = [];

  constructor(options: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    const cells = this.cells;
    new Counter({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: [options.registry],
      collect() {
        this.reset();
        for (const cell of cells) this.labels(cell.labels as Record<L, string>).inc(cell.value);
      },
    });
  }

  /** A new cell for one label set; the caller keeps it (resolve once, bump many times). */
  cell(labels: Readonly<Record<L, string>>): CountCell {
    const cell = new CountCell(labels);
    this.cells.push(cell);
    return cell;
  }

  /** Drops a cell: its label set disappears from the next scrape. */
  remove(cell: CountCell): void {
    const at = this.cells.indexOf(cell);
    if (at >= 0) this.cells.splice(at, 1);
  }

  /** The sum over the cells whose labels match `filter`. */
  total(filter: Readonly<Record<string, string>> = {}): number {
    let total = 0;
    for (const cell of this.cells) {
      if (Object.entries(filter).every(([name, wanted]) => cell.labels[name] === wanted)) total += cell.value;
    }
    return total;
  }
}

/** One label set's bucket counts (not cumulative), sum and count. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

interface SampleValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram in Prometheus's layout (`_bucket{le}` cumulative, `_sum`, `_count`), registered with a prom-client
 * `Registry` as a metric object of its own: the registry formats whatever `get()` returns.
 */
export class PlainHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells: HistogramCell[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    // The registry reads `name`, `help`, `type` and `get()`; its typings name only its own metric classes.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  cell(labels: Readonly<Record<L, string>>): HistogramCell {
    const cell = new HistogramCell(labels, this.bounds);
    this.cells.push(cell);
    return cell;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SampleValue[] }> {
    const values: SampleValue[] = [];
    for (const cell of this.cells) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i], ...cell.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...cell.labels }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...cell.labels }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...cell.labels }, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** prom-client's `Registry.resetMetrics` calls it; the counts are the broker's since start and are kept. */
  reset(): void {}
}
