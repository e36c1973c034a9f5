// Steps shared by the group differential scenarios (KIP-848 heartbeats, online migration).
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { Step, TargetContext } from './differential.ts';

/** The scenario's group id: unique per scenario and target (built from the topic prefix). */
export const group = (ctx: TargetContext) => ctx.topic('group');

/**
 * A client finds the group's coordinator before its first request; Kafka answers NOT_COORDINATOR until its
 * __consumer_offsets partition is created and loaded. Both targets answer this step with the same constant.
 */
export function waitForCoordinatorStep(): Step {
  const retriable = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
  return {
    kind: 'request',
    title: 'find the coordinator and wait until it serves the group',
    apiKey: ApiKey.FindCoordinator,
    fixedVersion: 4,
    allow: [],
    async run(connection, _version, ctx) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const found = await connection.send(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group(ctx)] });
        const described = await connection.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [group(ctx)], includeAuthorizedOperations: false });
        const foundError = found.coordinators[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        const describeError = described.groups[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (foundError === ErrorCode.NONE && !retriable.has(describeError)) return { ready: true };
        if (Date.now() > deadline) throw new Error(`the coordinator never became ready: ${foundError}/${describeError}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}
