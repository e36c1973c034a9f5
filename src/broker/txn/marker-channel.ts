// How the transaction coordinator's markers reach the partitions (Kafka's `TransactionMarkerChannelManager`):
// Kafka's coordinator sends a WriteTxnMarkers request to each partition's leader, itself included, and that
// request goes through `KafkaApis` like any other. This single node does the same in-process: the marker becomes a
// WriteTxnMarkers request handed to the broker's own handler, so whatever sees requests (the control hook,
// `RunningBroker.control`) sees the coordinator's markers too. No bytes are encoded: the request is built as the
// decoded object the handler expects.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { WriteTxnMarkersResponse } from '../../protocol/messages/generated/27-write-txn-markers.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { ApiHandler, RequestContext } from '../handlers/api-handler.ts';
import type { TxnMarker, TxnMarkerResult } from '../log/txn-markers.ts';
import { ConnectionSession } from '../security/connection-session.ts';
import { BROKER_PRINCIPAL } from '../security/principal.ts';

/**
 * The request context of marker requests: no client connection behind them. Kafka sends them as the broker's own
 * principal over the inter-broker listener (CLUSTER_ACTION, a super user); here that is `BROKER_PRINCIPAL`, which
 * the authorizer lets through by identity, or no transaction would ever complete.
 */
const COORDINATOR_SESSION = new ConnectionSession({ name: 'in-process', securityProtocol: 'PLAINTEXT', host: '', port: 0 }, BROKER_PRINCIPAL);
const COORDINATOR_REQUEST: RequestContext = {
  apiVersion: 1,
  correlationId: 0,
  clientId: 'transaction-coordinator',
  connection: { id: -1, remoteAddress: 'in-process', clientHost: 'in-process', session: COORDINATOR_SESSION },
  principal: BROKER_PRINCIPAL,
  clientHost: 'in-process',
};

/**
 * Sends `marker` through the broker's WriteTxnMarkers handler; resolves with one result per partition of the
 * marker. Rejects when the handler gives no answer (the coordinator retries).
 */
export async function sendMarkersToSelf(broker: BrokerContext, marker: TxnMarker): Promise<TxnMarkerResult[]> {
  const handler = broker.handlers.get(ApiKey.WriteTxnMarkers) as ApiHandler<typeof ApiKey.WriteTxnMarkers> | undefined;
  if (handler === undefined) throw new Error('no WriteTxnMarkers handler is registered');
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of marker.partitions) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  const response = await handler.handle(
    broker,
    {
      markers: [
        {
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch,
          transactionResult: marker.commit,
          coordinatorEpoch: marker.coordinatorEpoch,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        },
      ],
    },
    COORDINATOR_REQUEST,
  );
  if (response === null || typeof response !== 'object') throw new Error('WriteTxnMarkers gave no answer');
  return resultsOf(response, marker);
}

/** One result per partition of `marker`, in its order; a partition the answer leaves out is retried. */
function resultsOf(response: WriteTxnMarkersResponse, marker: TxnMarker): TxnMarkerResult[] {
  const codes = new Map<string, number>();
  for (const answered of response.markers) {
    if (answered.producerId !== marker.producerId) continue;
    for (const topic of answered.topics) {
      for (const partition of topic.partitions) codes.set(`${topic.name}\u0000${partition.partitionIndex}`, partition.errorCode);
    }
  }
  return marker.partitions.map(({ topic, partition }) => ({ topic, partition, errorCode: codes.get(`${topic}\u0000${partition}`) ?? ErrorCode.REQUEST_TIMED_OUT }));
}
