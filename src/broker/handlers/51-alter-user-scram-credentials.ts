// AlterUserScramCredentials (key 51), version 0 (KIP-554): upserts and deletes SCRAM credentials. The client
// sends the salt and the salted password; the broker keeps only the salt, iterations, StoredKey and ServerKey
// (RFC 5802), durably, before answering. Per-user checks as Kafka's `ScramControlManager`: the same user and
// mechanism twice in one request is DUPLICATE_RESOURCE, an empty name or an iteration count outside 4096..16384
// UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM, deleting a credential that does not
// exist RESOURCE_NOT_FOUND. A user's changes apply only if all of that user's changes are valid.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import {
  credentialFromSaltedPassword,
  scramMechanismByType,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  type ScramCredential,
  type ScramMechanismName,
} from '../../protocol/sasl/scram.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

type Change = { user: string; mechanism: ScramMechanismName; credential: ScramCredential | null };
type Failure = { errorCode: number; errorMessage: string };

export const alterUserScramCredentialsHandler: ApiHandler<typeof ApiKey.AlterUserScramCredentials> = {
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request, context) {
    if (!authorizeCluster(broker, context, apiAuthorization.AlterUserScramCredentials.cluster)) {
      const users = [...new Set([...request.deletions, ...request.upsertions].map(({ name }) => name))];
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    }
    const store = broker.security.scramCredentials;
    const users = new Set<string>();
    const pairs = new Map<string, number>();
    for (const { name, mechanism } of [...request.deletions, ...request.upsertions]) {
      users.add(name);
      const pair = JSON.stringify([name, mechanism]);
      pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
    }
    const failures = new Map<string, Failure>();
    const changes: Change[] = [];
    const refuse = (user: string, errorCode: number, errorMessage: string): void => {
      if (!failures.has(user)) failures.set(user, { errorCode, errorMessage });
    };
    for (const [pair, count] of pairs) {
      if (count > 1) refuse((JSON.parse(pair) as [string, number])[0], ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    }
    for (const deletion of request.deletions) {
      const mechanism = scramMechanismByType(deletion.mechanism);
      if (deletion.name === '') refuse(deletion.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (mechanism === null) refuse(deletion.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (store.get(deletion.name, mechanism) === undefined) refuse(deletion.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
      else changes.push({ user: deletion.name, mechanism, credential: null });
    }
    for (const upsertion of request.upsertions) {
      const mechanism = scramMechanismByType(upsertion.mechanism);
      if (upsertion.name === '') refuse(upsertion.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (mechanism === null) refuse(upsertion.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (upsertion.iterations < SCRAM_MIN_ITERATIONS) refuse(upsertion.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
      else if (upsertion.iterations > SCRAM_MAX_ITERATIONS) refuse(upsertion.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
      else changes.push({ user: upsertion.name, mechanism, credential: credentialFromSaltedPassword(mechanism, upsertion.saltedPassword, upsertion.salt, upsertion.iterations) });
    }
    try {
      store.apply(changes.filter((change) => !failures.has(change.user)));
    } catch (error) {
      broker.logger.error({ err: (error as Error).message }, 'cannot write SCRAM credentials');
      for (const user of users) refuse(user, ErrorCode.UNKNOWN_SERVER_ERROR, 'cannot write the credentials to disk');
    }
    const results = [...users].map((user) => {
      const failure = failures.get(user);
      return { user, errorCode: failure?.errorCode ?? ErrorCode.NONE, errorMessage: failure?.errorMessage ?? null };
    });
    return { throttleTimeMs: 0, results };
  },
};
