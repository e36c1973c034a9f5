// Admin operations on SCRAM credentials (KIP-554): DescribeUserScramCredentials and AlterUserScramCredentials.
// The password never leaves the client: it is salted and hashed here (a fresh random salt per upsert, as Kafka's
// `Admin.alterUserScramCredentials` does) and only the salt and salted password are sent.
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ScramMechanism, saltedPassword, scramMechanismByType, type ScramMechanismName } from '../../protocol/sasl/scram.ts';
import { brokerError, type AdminNetwork } from './admin-network.ts';
import { adminConfigError } from './admin-options.ts';

/** Kafka's `ScramCredentialInfo`'s default iteration count for new credentials. */
const DEFAULT_ITERATIONS = 4096;

export interface ScramCredentialInfo {
  readonly mechanism: ScramMechanismName;
  readonly iterations: number;
}

export interface UserScramCredentials {
  readonly user: string;
  readonly credentials: readonly ScramCredentialInfo[];
}

export type ScramCredentialAlteration =
  | { readonly type: 'upsert'; readonly user: string; readonly mechanism: ScramMechanismName; readonly password: string; readonly iterations?: number }
  | { readonly type: 'delete'; readonly user: string; readonly mechanism: ScramMechanismName };

export async function describeUserScramCredentials(network: AdminNetwork, users?: readonly string[]): Promise<UserScramCredentials[]> {
  return network.retrying('describeUserScramCredentials', async () => {
    const { response } = await network.send(null, ApiKey.DescribeUserScramCredentials, 0, 0, () => ({
      users: users === undefined || users.length === 0 ? null : users.map((name) => ({ name })),
    }));
    if (response.errorCode !== ErrorCode.NONE) throw brokerError(response.errorCode, response.errorMessage, 'describeUserScramCredentials');
    return response.results.map((result) => {
      if (result.errorCode !== ErrorCode.NONE) throw brokerError(result.errorCode, result.errorMessage, `describeUserScramCredentials ${result.user}`, true);
      return {
        user: result.user,
        credentials: result.credentialInfos.map((info) => ({ mechanism: scramMechanismByType(info.mechanism) ?? (`unknown(${info.mechanism})` as ScramMechanismName), iterations: info.iterations })),
      };
    });
  });
}

/** Applies the alterations; the first user refused fails the call with that user's error (others may have applied). */
export async function alterUserScramCredentials(network: AdminNetwork, alterations: readonly ScramCredentialAlteration[]): Promise<void> {
  if (!Array.isArray(alterations as unknown) || alterations.length === 0) throw adminConfigError('alterUserScramCredentials needs at least one alteration');
  const deletions: { name: string; mechanism: number }[] = [];
  const upsertions: { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[] = [];
  for (const alteration of alterations) {
    if (!Object.hasOwn(ScramMechanism, alteration.mechanism)) throw adminConfigError(`unknown SCRAM mechanism ${String(alteration.mechanism)} (SCRAM-SHA-256, SCRAM-SHA-512)`);
    const type = ScramMechanism[alteration.mechanism].type;
    if (alteration.type === 'delete') deletions.push({ name: alteration.user, mechanism: type });
    else {
      const iterations = alteration.iterations ?? DEFAULT_ITERATIONS;
      const salt = randomBytes(32);
      upsertions.push({ name: alteration.user, mechanism: type, iterations, salt, saltedPassword: saltedPassword(alteration.mechanism, alteration.password, salt, iterations) });
    }
  }
  // Not retried: a retry after a lost answer would find deletions already done (RESOURCE_NOT_FOUND).
  const { response } = await network.send(null, ApiKey.AlterUserScramCredentials, 0, 0, () => ({ deletions, upsertions }));
  for (const result of response.results) {
    if (result.errorCode !== ErrorCode.NONE) throw brokerError(result.errorCode, result.errorMessage, `alterUserScramCredentials ${result.user}`, true);
  }
}
