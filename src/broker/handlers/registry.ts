// Every API this broker serves. ApiVersions advertises exactly this list (see docs/api-support.md).
import type { AnyApiHandler } from './api-handler.ts';
import { produceHandler } from './00-produce.ts';
import { fetchHandler } from './01-fetch.ts';
import { listOffsetsHandler } from './02-list-offsets.ts';
import { metadataHandler } from './03-metadata.ts';
import { findCoordinatorHandler } from './10-find-coordinator.ts';
import { apiVersionsHandler } from './18-api-versions.ts';
import { createTopicsHandler } from './19-create-topics.ts';
import { deleteTopicsHandler } from './20-delete-topics.ts';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.ts';
import { describeConfigsHandler } from './32-describe-configs.ts';
import { createPartitionsHandler } from './37-create-partitions.ts';
import { describeClusterHandler } from './60-describe-cluster.ts';

export const brokerHandlers: readonly AnyApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  findCoordinatorHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  createPartitionsHandler,
  describeClusterHandler,
];

export function handlerMap(handlers: readonly AnyApiHandler[] = brokerHandlers): ReadonlyMap<number, AnyApiHandler> {
  return new Map(handlers.map((handler) => [handler.apiKey, handler]));
}
