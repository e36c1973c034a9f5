// The client's prom-client registries against the seqlog broker: a producer's records, batches and requests, a
// retry after a retriable Produce error, transaction outcomes; a consumer's records consumed and per-partition lag.
// Each client has its own registry, so two producers in one process never collide.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Consumer, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';

async function sample(text: Promise<string>, key: string): Promise<number> {
  const line = (await text).split('\n').find((candidate) => candidate.startsWith(`${key} `));
  assert.ok(line !== undefined, `no sample ${key}`);
  return Number(line.slice(key.length + 1));
}

describe('client metrics', { timeout: 30_000 }, () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker({ topics: [{ name: 'client-metered', partitions: 2 }] });
  });

  after(async () => {
    await broker?.close();
  });

  it('counts what a producer sent, a retry, and its transaction outcomes', async () => {
    // The first Produce is answered NOT_LEADER_OR_FOLLOWER (retriable): the producer sends the batch again.
    let failed = false;
    const remove = broker.control(ApiKey.Produce, (request) => {
      if (failed) return;
      failed = true;
      return {
        response: {
          throttleTimeMs: 0,
          nodeEndpoints: [],
          responses: request.topicData.map((topic) => ({
            name: topic.name,
            partitionResponses: topic.partitionData.map((partition) => ({
              index: partition.index,
              errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
              baseOffset: -1n,
              logAppendTimeMs: -1n,
              logStartOffset: -1n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
            })),
          })),
        },
      };
    });
    const producer = new Producer({ bootstrap: broker.bootstrap, clientId: 'metered-producer', transactionalId: 'client-metered-txn', retryBackoffMs: 10 });
    const other = new Producer({ bootstrap: broker.bootstrap, clientId: 'other-producer' });
    try {
      await producer.beginTransaction();
      await producer.send(Array.from({ length: 8 }, (_, i) => ({ topic: 'client-metered', partition: i % 2, value: `v${i}` })));
      await producer.commitTransaction();
      await producer.beginTransaction();
      await producer.send({ topic: 'client-metered', partition: 0, value: 'dropped' });
      await producer.abortTransaction();
      remove();

      const labels = '{client_id="metered-producer"}';
      const text = () => producer.metricsPrometheus();
      assert.equal(await sample(text(), `kafka_producer_producer_metrics_record_send_total${labels}`), 9);
      assert.ok((await sample(text(), `kafka_producer_producer_metrics_record_retry_total${labels}`)) >= 1);
      assert.ok((await sample(text(), `seqlog_producer_batches_sent_total${labels}`)) >= 3);
      assert.ok((await sample(text(), `kafka_producer_producer_metrics_request_total${labels}`)) >= 3);
      assert.equal(await sample(text(), `kafka_producer_producer_metrics_requests_in_flight${labels}`), 0);
      assert.equal(await sample(text(), 'seqlog_producer_transactions_total{client_id="metered-producer",result="commit"}'), 1);
      assert.equal(await sample(text(), 'seqlog_producer_transactions_total{client_id="metered-producer",result="abort"}'), 1);
      assert.equal(await sample(other.metricsPrometheus(), 'kafka_producer_producer_metrics_record_send_total{client_id="other-producer"}'), 0);
    } finally {
      remove();
      await producer.close();
      await other.close();
    }
  });

  it("shows a consumer's records consumed and lag per partition", async () => {
    const consumer = new Consumer({ bootstrap: broker.bootstrap, clientId: 'metered-consumer', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, isolationLevel: 'read_committed' });
    try {
      consumer.assign([{ topic: 'client-metered', partition: 1 }]);
      let read = 0;
      while (read < 4) read += (await consumer.nextBatch())?.records.length ?? 0;
      const text = () => consumer.metricRegistry.metrics();
      assert.equal(await sample(text(), 'kafka_consumer_consumer_fetch_manager_metrics_records_consumed_total{client_id="metered-consumer"}'), 4);
      // The gauge is the consumer's own lag() (position or last consumed offset to the LSO).
      const [lag] = consumer.lag();
      assert.notEqual(lag.lag, null);
      assert.equal(await sample(text(), 'kafka_consumer_consumer_fetch_manager_metrics_records_lag{client_id="metered-consumer",topic="client-metered",partition="1"}'), Number(lag.lag));
      assert.equal(await sample(text(), 'kafka_consumer_consumer_fetch_manager_metrics_records_lag_max{client_id="metered-consumer"}'), Number(lag.lag));
    } finally {
      await consumer.close();
    }
  });
});
