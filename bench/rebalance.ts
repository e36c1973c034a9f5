// Rebalance time by group protocol: how long from a member joining a group of five until every one of the six
// members consumes again, with seqlog's consumer under the classic protocol with an eager assignor (`range`),
// the classic protocol with `cooperative-sticky`, and KIP-848's consumer group protocol (server-side `uniform`),
// against Apache Kafka 4.4 (one node) and seqlog's broker (`seqlog serve` in a child process) in the same run.
//
// One trial: a fresh topic of 24 partitions receives a record per partition every `tickMs`; five members join
// and settle; then a sixth member is created and subscribes (time zero). The group is back to consuming when
// each of the six owns 4 partitions and has received, from every partition it owns, a record delivered after it
// was given that partition. Members that keep their partitions (cooperative, KIP-848) count as consuming all
// along. The MEDIAN over `repeats` trials is reported, trials of the brokers interleaved.
//
// The six consumers run in this one process (the machine this was written on has 2 cores: six Node processes
// plus a broker would mostly measure the scheduler). Heartbeat settings are the defaults of both sides (classic:
// heartbeat.interval.ms 3000 on the client; KIP-848: group.consumer.heartbeat.interval.ms 5000 on the broker).
// The members already in the group learn of the newcomer only at their next heartbeat, so most of a trial is
// the wait for it, and that wait is set by where in the heartbeat period the sixth member starts: a fixed delay
// after the five settle lands at a different point of the period on each broker (the five heartbeat together,
// one interval after their last assignment, and settling takes longer on one broker than on the other). So the
// sixth member starts a planned `lead` before the five members' next heartbeat (counted from their last
// assignment), the same leads on every broker, spread over the period; for the classic protocol the table also
// gives the time past that heartbeat, which is what the broker and the rebalance protocol decide. (A KIP-848
// member's heartbeats are not timed from its last assignment, so there the leads only spread the start times.)
//   npm run bench -- rebalance                                  (needs `npm run setup` for the Kafka jars)
//   npm run bench -- rebalance --repeats 1 --brokers seqlog --protocols consumer
import { Command } from 'commander';
import Table from 'cli-table3';
import { Admin, Consumer, Producer } from '../src/client/index.ts';
import type { ConsumerOptions } from '../src/client/index.ts';
import { median } from './harness.ts';
import { startBenchKafka, startSeqlogServe, type BenchBroker } from './bench-brokers.ts';

const PARTITIONS = 24;
const MEMBERS = 6;
/** The sixth member starts at least this long before the next heartbeat: time to find the coordinator and join. */
const MIN_LEAD_MS = 1_000;

interface Protocol {
  readonly name: string;
  readonly label: string;
  readonly options: Partial<ConsumerOptions>;
  /** How often members heartbeat (client default for classic, broker default for KIP-848; the same on both brokers). */
  readonly heartbeatIntervalMs: number;
  /** Whether members heartbeat every interval from their last assignment (classic), so "past the heartbeat" holds. */
  readonly heartbeatsFromAssignment: boolean;
}

const allProtocols: readonly Protocol[] = [
  { name: 'eager', label: 'classic, eager (range)', options: { groupProtocol: 'classic', partitionAssignors: ['range'] }, heartbeatIntervalMs: 3_000, heartbeatsFromAssignment: true },
  { name: 'cooperative', label: 'classic, cooperative-sticky', options: { groupProtocol: 'classic', partitionAssignors: ['cooperative-sticky'] }, heartbeatIntervalMs: 3_000, heartbeatsFromAssignment: true },
  { name: 'consumer', label: 'KIP-848 consumer protocol (uniform)', options: { groupProtocol: 'consumer' }, heartbeatIntervalMs: 5_000, heartbeatsFromAssignment: false },
];

type Target = BenchBroker;

/** One member and what it has seen: the partitions it owns, and those it has received a record from since. */
class Member {
  readonly owned = new Set<number>();
  readonly fresh = new Set<number>();
  /** When this member last got an assignment: its heartbeats are timed from there. */
  lastAssignedAt = 0;
  private readonly controller = new AbortController();
  private running: Promise<void> | null = null;
  readonly consumer: Consumer;

  constructor(bootstrap: string, groupId: string, protocol: Protocol) {
    this.consumer = new Consumer({ bootstrap, groupId, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, ...protocol.options });
  }

  start(topic: string): void {
    this.consumer.subscribe(topic, {
      onPartitionsAssigned: (tps) => {
        this.lastAssignedAt = performance.now();
        for (const { partition } of tps) {
          this.owned.add(partition);
          this.fresh.delete(partition);
        }
      },
      onPartitionsRevoked: (tps) => this.drop(tps.map((tp) => tp.partition)),
      onPartitionsLost: (tps) => this.drop(tps.map((tp) => tp.partition)),
    });
    this.running = this.consumer
      .run({
        signal: this.controller.signal,
        eachRecord: (record) => {
          if (this.owned.has(record.partition)) this.fresh.add(record.partition);
        },
      })
      .catch((error: unknown) => {
        if (!this.controller.signal.aborted) process.stderr.write(`rebalance bench: a member failed: ${String(error)}\n`);
      });
  }

  /** Consuming every partition it owns (all of them fresh since assigned). */
  consuming(): boolean {
    return this.owned.size > 0 && this.fresh.size === this.owned.size;
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
    await this.consumer.close();
  }

  private drop(partitions: number[]): void {
    for (const partition of partitions) {
      this.owned.delete(partition);
      this.fresh.delete(partition);
    }
  }
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settled = (members: readonly Member[], counts: (member: Member) => boolean): boolean =>
  members.reduce((n, member) => n + member.owned.size, 0) === PARTITIONS && members.every((member) => member.consuming() && counts(member));

let trialCount = 0;

/**
 * One trial: milliseconds from the sixth member's creation until all six consume again (`ms`). The sixth member
 * starts about `leadMs` before the five members' next heartbeat; `pastHeartbeatMs` is the time after that heartbeat.
 */
async function trial(bootstrap: string, protocol: Protocol, tickMs: number, leadMs: number): Promise<{ ms: number; pastHeartbeatMs: number }> {
  const id = `rebalance-${protocol.name}-${process.pid}-${trialCount++}`;
  const admin = new Admin({ bootstrap });
  try {
    await admin.createTopics([{ name: id, partitions: PARTITIONS }]);
  } finally {
    await admin.close();
  }
  // The load is produced without idempotence: what is measured is the consumers, and seqlog's idempotent
  // producer was seen to stall a few of the 24 partitions against Apache Kafka for ~2 minutes under this pattern
  // (reported separately), which would be timed as a rebalance.
  const producer = new Producer({ bootstrap, lingerMs: 1, idempotent: false, acks: 1 });
  let producing = true;
  let sequence = 0;
  const ticker = (async () => {
    while (producing) {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        producer.send({ topic: id, partition, value: `${sequence++}` }).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  })();
  const members: Member[] = [];
  try {
    for (let i = 0; i < MEMBERS - 1; i++) {
      const member = new Member(bootstrap, id, protocol);
      members.push(member);
      member.start(id);
    }
    const floor = Math.floor(PARTITIONS / (MEMBERS - 1));
    await waitUntil(() => settled(members, (member) => member.owned.size >= floor), 'five members to settle', 120_000);
    // The five heartbeat every interval from their last assignment; start the sixth `leadMs` before one of those
    // heartbeats, at least a second from now.
    const anchor = Math.max(...members.map((member) => member.lastAssignedAt));
    const period = protocol.heartbeatIntervalMs;
    const earliest = performance.now() + 1_000 + leadMs;
    const nextHeartbeat = anchor + period * Math.max(1, Math.ceil((earliest - anchor) / period));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextHeartbeat - leadMs - performance.now())));
    const started = performance.now();
    const joining = new Member(bootstrap, id, protocol);
    members.push(joining);
    joining.start(id);
    await waitUntil(() => settled(members, (member) => member.owned.size === PARTITIONS / MEMBERS), 'six members consuming again', 120_000);
    const ended = performance.now();
    // From the planned heartbeat, not from `started + leadMs`: a late timer shortens the lead.
    return { ms: ended - started, pastHeartbeatMs: ended - nextHeartbeat };
  } finally {
    producing = false;
    await ticker;
    await Promise.all(members.map((member) => member.stop()));
    await producer.close();
  }
}

export async function runRebalanceBench(argv: readonly string[]): Promise<void> {
  const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const program = new Command()
    .name('bench rebalance')
    .option('--repeats <n>', 'trials per broker and protocol (median reported)', (v) => Number.parseInt(v, 10), 3)
    .option('--tick-ms <ms>', 'one record per partition this often', (v) => Number.parseInt(v, 10), 20)
    .option('--brokers <list>', 'kafka and/or seqlog', list, ['kafka', 'seqlog'])
    .option('--protocols <list>', 'eager, cooperative and/or consumer', list, allProtocols.map((p) => p.name))
    .parse(['node', 'rebalance', ...argv]);
  const options = program.opts<{ repeats: number; tickMs: number; brokers: string[]; protocols: string[] }>();
  const protocols = allProtocols.filter((p) => options.protocols.includes(p.name));
  if (protocols.length === 0) throw new Error(`--protocols names none of ${allProtocols.map((p) => p.name).join(', ')}`);
  const brokerNames: Record<string, string> = { kafka: 'Apache Kafka 4.4', seqlog: 'seqlog serve' };
  for (const broker of options.brokers) if (!(broker in brokerNames)) throw new Error(`--brokers: unknown broker ${broker} (kafka, seqlog)`);

  const targets = new Map<string, Target>();
  const times = new Map<string, number[]>();
  /** Per trial, the time past the five members' heartbeat that told them: what the broker and protocol decide. */
  const pastHeartbeat = new Map<string, number[]>();
  try {
    for (const broker of options.brokers) targets.set(broker, broker === 'kafka' ? await startBenchKafka() : await startSeqlogServe('never'));
    for (let round = 0; round < options.repeats; round++) {
      for (const protocol of protocols) {
        for (const broker of round % 2 === 0 ? options.brokers : [...options.brokers].reverse()) {
          const target = targets.get(broker) as Target;
          // The same leads on every broker, evenly spread over the part of the heartbeat period left after MIN_LEAD_MS.
          const leadMs = MIN_LEAD_MS + ((round + 0.5) / options.repeats) * (protocol.heartbeatIntervalMs - MIN_LEAD_MS);
          const { ms, pastHeartbeatMs } = await trial(target.bootstrap, protocol, options.tickMs, leadMs);
          const past = protocol.heartbeatsFromAssignment ? `, ${pastHeartbeatMs.toFixed(0)} ms past the heartbeat` : '';
          process.stderr.write(`rebalance bench: ${broker} ${protocol.name} round ${round + 1}: ${ms.toFixed(0)} ms${past} (lead ${leadMs.toFixed(0)} ms)\n`);
          times.set(`${broker}/${protocol.name}`, [...(times.get(`${broker}/${protocol.name}`) ?? []), ms]);
          pastHeartbeat.set(`${broker}/${protocol.name}`, [...(pastHeartbeat.get(`${broker}/${protocol.name}`) ?? []), pastHeartbeatMs]);
        }
      }
    }
  } finally {
    for (const target of targets.values()) await target.stop();
  }

  const table = new Table({ head: ['protocol (seqlog client, 6 members, 24 partitions)', ...options.brokers.map((b) => `${brokerNames[b]}: ms (min-max); past the heartbeat`)] });
  for (const protocol of protocols) {
    table.push([
      protocol.label,
      ...options.brokers.map((broker) => {
        const samples = times.get(`${broker}/${protocol.name}`) ?? [];
        const past = pastHeartbeat.get(`${broker}/${protocol.name}`) ?? [];
        const range = `${median(samples).toFixed(0)} (${Math.min(...samples).toFixed(0)}-${Math.max(...samples).toFixed(0)})`;
        return protocol.heartbeatsFromAssignment ? `${range}; ${median(past).toFixed(0)}` : `${range}; -`;
      }),
    ]);
  }
  console.log(`time from a sixth member joining until all six consume again; median of ${options.repeats}, the sixth starting the same`);
  console.log(`planned leads before the five members' next heartbeat on every broker; "past the heartbeat": the time after it`);
  console.log(table.toString());
}
