// server.properties for a reference KRaft node: every node is a combined broker+controller on loopback, with a
// static controller quorum (controller.quorum.voters). The internal topics are sized for the cluster, which is
// the trap on one node: Kafka's defaults (replication factor 3 for __consumer_offsets and
// __transaction_state, min ISR 2) make group joins and initTransactions hang on a single broker.

export interface NodeAddress {
  id: number;
  port: number;
  controllerPort: number;
}

export function brokerProperties(node: NodeAddress, nodes: readonly NodeAddress[], dataDir: string, overrides: Readonly<Record<string, string>> = {}): string {
  const size = nodes.length;
  const replication = String(Math.min(size, 3));
  const minIsr = size >= 3 ? '2' : '1';
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': '1',
    'default.replication.factor': replication,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': minIsr,
    // One partition each instead of 50: creating 50 partitions (x3 replicas) costs seconds on a small machine and
    // changes nothing a test can observe about a single transactional id or group.
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.num.partitions': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'true',
    // A killed node is fenced (and dropped from ISRs) after this long; the defaults are 2 s / 9 s.
    'broker.heartbeat.interval.ms': '1000',
    'broker.session.timeout.ms': '6000',
    // Fewer threads than the defaults: the machines that run these tests have two cores.
    'num.network.threads': '2',
    'num.io.threads': '2',
    'background.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'log.cleaner.threads': '1',
    ...overrides,
  };
  return Object.entries(props).map(([key, value]) => `${key}=${value}`).join('\n') + '\n';
}
