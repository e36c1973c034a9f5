// A closed range of protocol versions, mirroring Kafka's `org.apache.kafka.message.Versions`
// (generator/src/main/java/org/apache/kafka/message/Versions.java): "3+", "0-7", "5" or "none".

/** Kafka encodes "N+" as N..Short.MAX_VALUE. */
export const OPEN_END = 0x7fff;

export class Versions {
  static readonly NONE = new Versions(1, 0);
  static readonly ALL = new Versions(0, OPEN_END);

  readonly lowest: number;
  readonly highest: number;

  constructor(lowest: number, highest: number) {
    this.lowest = lowest;
    this.highest = highest;
  }

  static parse(text: string | undefined, fallback: Versions): Versions {
    if (text === undefined) return fallback;
    const s = text.trim();
    if (s === 'none') return Versions.NONE;
    let m = /^(\d+)\+$/.exec(s);
    if (m) return new Versions(Number(m[1]), OPEN_END);
    m = /^(\d+)-(\d+)$/.exec(s);
    if (m) {
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      if (hi < lo) throw new Error(`invalid version range '${text}'`);
      return new Versions(lo, hi);
    }
    m = /^(\d+)$/.exec(s);
    if (m) return new Versions(Number(m[1]), Number(m[1]));
    throw new Error(`invalid version range '${text}'`);
  }

  get empty(): boolean {
    return this.lowest > this.highest;
  }

  contains(version: number): boolean {
    return version >= this.lowest && version <= this.highest;
  }

  /** True when every version of `other` is in this range (an empty `other` is always covered). */
  covers(other: Versions): boolean {
    return other.empty || (!this.empty && this.lowest <= other.lowest && this.highest >= other.highest);
  }

  intersect(other: Versions): Versions {
    const lo = Math.max(this.lowest, other.lowest);
    const hi = Math.min(this.highest, other.highest);
    return lo > hi ? Versions.NONE : new Versions(lo, hi);
  }

  /** The smallest range holding both (a hull, not a set union). */
  hull(other: Versions): Versions {
    if (this.empty) return other;
    if (other.empty) return this;
    return new Versions(Math.min(this.lowest, other.lowest), Math.max(this.highest, other.highest));
  }

  equals(other: Versions): boolean {
    return (this.empty && other.empty) || (this.lowest === other.lowest && this.highest === other.highest);
  }

  toString(): string {
    if (this.empty) return 'none';
    if (this.highest === OPEN_END) return `${this.lowest}+`;
    if (this.lowest === this.highest) return `${this.lowest}`;
    return `${this.lowest}-${this.highest}`;
  }
}
