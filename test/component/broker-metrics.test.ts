// The broker's Prometheus endpoint scraped over HTTP while a workload runs: request counts and latency histograms
// per API, bytes and messages in per topic, bytes out, a retried batch answered from the dedup window, errors by
// code, fsyncs, offsets per partition, producer ids, transaction outcomes, a rebalance and a group's lag all move
// as the workload says they must. Two brokers in one process keep separate registries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startMetricsServer, type MetricsServer, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, BrokerConnection, Consumer, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';
import { errorName } from '../../src/protocol/errors/index.ts';

/** One scrape, parsed into `name{labels}` -> value (labels as Prometheus prints them). */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

function value(samples: Map<string, number>, key: string): number {
  const found = samples.get(key);
  assert.notEqual(found, undefined, `no sample ${key}; have: ${[...samples.keys()].filter((k) => k.startsWith(key.split('{')[0])).join(', ')}`);
  return found as number;
}

describe('broker metrics at /metrics', { timeout: 60_000 }, () => {
  let broker: RunningBroker;
  let server: MetricsServer;

  before(async () => {
    broker = await startBroker({ topics: [{ name: 'metered', partitions: 2 }, { name: 'txn-metered' }] });
    server = await startMetricsServer(broker.metricRegistry, { port: 0 });
  });

  after(async () => {
    await server?.close();
    await broker?.close();
  });

  it('counts requests, bytes in and out, and the offsets of every partition', async () => {
    const before = await scrape(server.url);
    assert.equal(before.get('kafka_server_brokertopicmetrics_bytesin_total{topic="metered"}'), undefined);
    const producer = new Producer({ bootstrap: broker.bootstrap });
    try {
      await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic: 'metered', partition: i % 2, value: `value-${i}` })));
    } finally {
      await producer.close();
    }
    const consumer = new Consumer({ bootstrap: broker.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
    try {
      consumer.assign([{ topic: 'metered', partition: 0 }]);
      let read = 0;
      while (read < 15) read += (await consumer.nextBatch())?.records.length ?? 0;
    } finally {
      await consumer.close();
    }

    const after = await scrape(server.url);
    assert.ok(value(after, 'kafka_network_requestmetrics_requests_total{request="Produce"}') >= 1);
    assert.ok(value(after, 'kafka_network_requestmetrics_requests_total{request="Metadata"}') >= 1);
    assert.ok(value(after, 'kafka_network_requestmetrics_requests_total{request="Fetch"}') >= 1);
    assert.equal(
      value(after, 'kafka_network_requestmetrics_totaltimems_count{request="Produce"}'),
      value(after, 'kafka_network_requestmetrics_requests_total{request="Produce"}'),
    );
    assert.ok(value(after, 'kafka_network_requestmetrics_totaltimems_bucket{le="+Inf",request="Produce"}') >= 1);
    // Kafka's split of TotalTimeMs: every request is timed in each part, and the parts add up to the total.
    for (const part of ['requestqueuetimems', 'localtimems', 'responsesendtimems']) {
      assert.equal(
        value(after, `kafka_network_requestmetrics_${part}_count{request="Produce"}`),
        value(after, 'kafka_network_requestmetrics_requests_total{request="Produce"}'),
        part,
      );
    }
    const parts = ['requestqueuetimems', 'localtimems', 'responsesendtimems'].reduce((sum, part) => sum + value(after, `kafka_network_requestmetrics_${part}_sum{request="Fetch"}`), 0);
    const total = value(after, 'kafka_network_requestmetrics_totaltimems_sum{request="Fetch"}');
    assert.ok(Math.abs(parts - total) < 1e-6 * Math.max(1, total), `parts ${parts} vs total ${total}`);
    assert.equal(value(after, 'kafka_server_brokertopicmetrics_messagesin_total{topic="metered"}'), 30);
    assert.ok(value(after, 'kafka_server_brokertopicmetrics_bytesin_total{topic="metered"}') > 30 * 'value-0'.length);
    assert.ok(value(after, 'kafka_server_brokertopicmetrics_bytesout_total{topic="metered"}') > 0);
    assert.equal(value(after, 'kafka_log_log_logendoffset{topic="metered",partition="0"}'), 15);
    assert.equal(value(after, 'kafka_log_log_logendoffset{topic="metered",partition="1"}'), 15);
    assert.equal(value(after, 'seqlog_log_highwatermark{topic="metered",partition="0"}'), 15);
    assert.equal(value(after, 'seqlog_log_laststableoffset{topic="metered",partition="0"}'), 15);
    // fsync 'always': every acknowledged append was fsynced.
    assert.ok(value(after, 'kafka_log_logflushstats_logflushrateandtimems_count') >= 2);
    assert.ok(value(after, 'kafka_server_replicamanager_produceridcount') >= 2);
  });

  it('moves monotonically while scraped during a running workload', async () => {
    const key = 'kafka_server_brokertopicmetrics_messagesin_total{topic="metered"}';
    const start = value(await scrape(server.url), key);
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
    let done = false;
    const workload = (async () => {
      try {
        for (let round = 0; round < 20; round++) await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'metered', partition: i % 2, value: `w-${round}-${i}` })));
      } finally {
        done = true;
        await producer.close();
      }
    })();
    const seen: number[] = [];
    while (!done) {
      seen.push(value(await scrape(server.url), key) - start);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await workload;
    seen.push(value(await scrape(server.url), key) - start);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'a counter never goes down');
    assert.equal(seen.at(-1), 200);
    assert.ok(seen.length >= 2);
  });

  it('counts a retried batch answered from the dedup window, and errors by code', async () => {
    const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
    try {
      const before = await scrape(server.url);
      const duplicatesBefore = before.get('seqlog_server_duplicate_batches_total{topic="metered"}') ?? 0;
      const messagesBefore = value(before, 'kafka_server_brokertopicmetrics_messagesin_total{topic="metered"}');
      const { producerId } = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('once'), timestamp: BigInt(Date.now()) }], producerId, producerEpoch: 0, baseSequence: 0 });
      const produce = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'metered', partitionData: [{ index: 0, records }] }] };
      // The same batch twice: what a producer sends again when the first answer was lost.
      const first = await connection.send(ApiKey.Produce, 9, produce);
      const retry = await connection.send(ApiKey.Produce, 9, produce);
      assert.equal(retry.responses[0].partitionResponses[0].baseOffset, first.responses[0].partitionResponses[0].baseOffset);
      // A batch for a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION, counted under its name.
      await connection.send(ApiKey.Produce, 9, { ...produce, topicData: [{ name: 'metered', partitionData: [{ index: 7, records }] }] });

      const after = await scrape(server.url);
      assert.equal(value(after, 'seqlog_server_duplicate_batches_total{topic="metered"}'), duplicatesBefore + 1);
      assert.equal(value(after, 'kafka_server_brokertopicmetrics_messagesin_total{topic="metered"}'), messagesBefore + 1);
      assert.ok(value(after, 'kafka_network_requestmetrics_errors_total{request="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"}') >= 1);
      // Kafka counts NONE too: one per partition answered without an error.
      const noneBefore = before.get('kafka_network_requestmetrics_errors_total{request="Produce",error="NONE"}') ?? 0;
      assert.equal(value(after, 'kafka_network_requestmetrics_errors_total{request="Produce",error="NONE"}'), noneBefore + 2);
    } finally {
      connection.close();
    }
  });

  it('counts the error codes of every API, top level and per resource', async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      const before = await scrape(server.url);
      const existsBefore = before.get('kafka_network_requestmetrics_errors_total{request="CreateTopics",error="TOPIC_ALREADY_EXISTS"}') ?? 0;
      await assert.rejects(admin.createTopics([{ name: 'metered', partitions: 1 }]), /TOPIC_ALREADY_EXISTS/);
      const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
      try {
        // A top-level error code (Heartbeat of a member no group knows) and a per-resource one (DeleteGroups).
        const heartbeat = await connection.send(ApiKey.Heartbeat, 4, { groupId: 'no-such-group', generationId: 1, memberId: 'nobody', groupInstanceId: null });
        const heartbeatError = errorName(heartbeat.errorCode);
        const deleted = await connection.send(ApiKey.DeleteGroups, 2, { groupsNames: ['no-such-group'] });
        const deleteError = errorName(deleted.results[0].errorCode);
        assert.notEqual(heartbeatError, 'NONE');
        assert.notEqual(deleteError, 'NONE');
        const count = (samples: Map<string, number>, request: string, error: string) => samples.get(`kafka_network_requestmetrics_errors_total{request="${request}",error="${error}"}`) ?? 0;
        const after = await scrape(server.url);
        assert.equal(count(after, 'CreateTopics', 'TOPIC_ALREADY_EXISTS'), existsBefore + 1);
        assert.equal(count(after, 'Heartbeat', heartbeatError), count(before, 'Heartbeat', heartbeatError) + 1);
        assert.equal(count(after, 'DeleteGroups', deleteError), count(before, 'DeleteGroups', deleteError) + 1);
      } finally {
        connection.close();
      }
    } finally {
      await admin.close();
    }
  });

  it('counts committed and aborted transactions with their durations, and shows open ones as Ongoing', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'metered-txn' });
    try {
      await producer.beginTransaction();
      await producer.send({ topic: 'txn-metered', partition: 0, value: 'committed' });
      const open = await scrape(server.url);
      assert.equal(value(open, 'seqlog_transactions{state="Ongoing"}'), 1);
      // The open transaction pins the LSO at its first offset.
      assert.equal(value(open, 'seqlog_log_laststableoffset{topic="txn-metered",partition="0"}'), 0);
      await producer.commitTransaction();
      await producer.beginTransaction();
      await producer.send({ topic: 'txn-metered', partition: 0, value: 'aborted' });
      await producer.abortTransaction();
    } finally {
      await producer.close();
    }
    // Completion (markers, then CompleteCommit/CompleteAbort) finishes after EndTxn is answered.
    let samples = await scrape(server.url);
    for (let i = 0; i < 100 && (samples.get('seqlog_transactions_completed_total{result="abort"}') ?? 0) < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      samples = await scrape(server.url);
    }
    assert.equal(value(samples, 'seqlog_transactions_completed_total{result="commit"}'), 1);
    assert.equal(value(samples, 'seqlog_transactions_completed_total{result="abort"}'), 1);
    assert.equal(value(samples, 'seqlog_transaction_duration_ms_count{result="commit"}'), 1);
    assert.equal(value(samples, 'seqlog_transactions{state="Ongoing"}'), 0);
    assert.equal(value(samples, 'seqlog_transactions{state="CompleteAbort"}'), 1);
    // Two data batches and two markers.
    assert.equal(value(samples, 'kafka_log_log_logendoffset{topic="txn-metered",partition="0"}'), 4);
    assert.equal(value(samples, 'seqlog_log_laststableoffset{topic="txn-metered",partition="0"}'), 4);
  });

  it("counts a group's rebalance and shows its lag", async () => {
    const consumer = new Consumer({ bootstrap: broker.bootstrap, groupId: 'metered-group', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, enableAutoCommit: false });
    try {
      consumer.subscribe('metered');
      let read = 0;
      while (read < 5) read += (await consumer.nextBatch())?.records.length ?? 0;
    } finally {
      await consumer.close();
    }
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.alterConsumerGroupOffsets('metered-group', [{ topic: 'metered', partition: 1, offset: 5n }]);
    } finally {
      await admin.close();
    }
    const samples = await scrape(server.url);
    assert.ok(value(samples, 'kafka_server_group_coordinator_metrics_group_rebalance_count{protocol="classic"}') >= 1);
    assert.equal(value(samples, 'kafka_server_group_coordinator_metrics_group_count{protocol="classic"}'), 1);
    assert.equal(value(samples, 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_count'), 0);
    // Committed 5 on metered-1: the lag is the rest of the partition.
    const end = value(samples, 'seqlog_log_highwatermark{topic="metered",partition="1"}');
    assert.ok(end > 5);
    assert.equal(value(samples, 'kafka_consumergroup_lag{consumergroup="metered-group",topic="metered",partition="1"}'), end - 5);
  });

  it('counts a consumer group (KIP-848) epoch bump as a rebalance', async () => {
    const key = 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_count';
    const before = value(await scrape(server.url), key);
    const consumer = new Consumer({ bootstrap: broker.bootstrap, groupId: 'metered-848', groupProtocol: 'consumer', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
    try {
      consumer.subscribe('metered');
      let read = 0;
      while (read < 5) read += (await consumer.nextBatch())?.records.length ?? 0;
      // The member joining bumped the group epoch once.
      assert.equal(value(await scrape(server.url), key), before + 1);
    } finally {
      await consumer.close();
    }
    const samples = await scrape(server.url);
    assert.equal(value(samples, 'kafka_server_group_coordinator_metrics_group_count{protocol="consumer"}'), 1);
  });

  it("drops a deleted topic's metrics", async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    const producer = new Producer({ bootstrap: broker.bootstrap });
    try {
      await admin.createTopics([{ name: 'short-lived', partitions: 1 }]);
      await producer.send({ topic: 'short-lived', partition: 0, value: 'gone soon' });
      assert.equal(value(await scrape(server.url), 'kafka_server_brokertopicmetrics_messagesin_total{topic="short-lived"}'), 1);
      await admin.deleteTopics(['short-lived']);
      const after = await scrape(server.url);
      assert.deepEqual([...after.keys()].filter((key) => key.includes('"short-lived"')), []);
    } finally {
      await producer.close();
      await admin.close();
    }
  });

  it('keeps the metrics of two brokers in one process apart', async () => {
    const other = await startBroker({ topics: [{ name: 'metered' }] });
    try {
      const text = await other.metricRegistry.metrics();
      assert.match(text, /kafka_log_log_logendoffset\{topic="metered",partition="0"\} 0/);
      assert.doesNotMatch(text, /kafka_server_brokertopicmetrics_bytesin_total\{topic="metered"\}/);
    } finally {
      await other.close();
    }
  });

  it("registers the log cleaner's statistics under Kafka's LogCleaner names", async () => {
    const compacting = await startBroker({
      logCleanerBackoffMs: 20,
      topics: [{ name: 'compacted', configs: { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' } }],
    });
    const producer = new Producer({ bootstrap: compacting.bootstrap, lingerMs: 0 });
    try {
      for (let round = 0; round < 10; round++) {
        await producer.send(Array.from({ length: 10 }, (_, key) => ({ topic: 'compacted', partition: 0, key: `key-${key}`, value: `round-${round}`.repeat(4) })));
      }
      let text = await compacting.metricRegistry.metrics();
      for (let i = 0; i < 300 && !/seqlog_log_cleaner_last_run_bytes_read\{topic="compacted",partition="0"\} [1-9]/.test(text); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        text = await compacting.metricRegistry.metrics();
      }
      assert.match(text, /seqlog_log_cleaner_last_run_bytes_read\{topic="compacted",partition="0"\} [1-9]/);
      // Only the latest value of each key is kept: less is written than read.
      const recopy = Number(/^kafka_log_logcleaner_cleaner_recopy_percent (\S+)$/m.exec(text)?.[1]);
      assert.ok(recopy > 0 && recopy < 100, `recopy ${recopy}`);
      assert.match(text, /^kafka_log_logcleanermanager_max_dirty_percent [1-9]/m);
      // The gauges the cleaner keeps itself (RunningBroker.cleanerStats()).
      assert.match(text, /^kafka_log_logcleaner_max_buffer_utilization_percent [0-9.e-]*[1-9]/m);
      assert.match(text, /^kafka_log_logcleaner_deadthreadcount 0$/m);
      assert.match(text, /^kafka_log_logcleanermanager_uncleanable_partitions_count 0$/m);
      assert.match(text, /^kafka_log_logcleanermanager_time_since_last_run_ms \d/m);
      assert.equal(compacting.cleanerStats().partitions.find((entry) => entry.topic === 'compacted')?.lastRun !== null, true);
    } finally {
      await producer.close();
      await compacting.close();
    }
  });

  it('answers 404 off /metrics', async () => {
    const response = await fetch(server.url.replace('/metrics', '/'));
    assert.equal(response.status, 404);
    await response.text();
  });
});
