// DescribeLogDirs (key 35), versions 1-4 (v0 is deprecated by KIP-896 and not served). One log directory: the
// broker's data directory. Partition sizes are the bytes of the partition's segments; offset lag is 0 (there is no
// future replica); total/usable bytes (v4, KIP-827) come from the file system, -1 when it cannot say.
// `topics: null` describes every partition.
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { DescribeLogDirsResponseDescribeLogDirsTopic } from '../../protocol/messages/generated/35-describe-log-dirs.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

async function fileSystemBytes(directory: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const stats = await statfs(directory, { bigint: true });
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

function describePartitions(broker: BrokerContext, topic: string, partitions: readonly number[] | null): DescribeLogDirsResponseDescribeLogDirsTopic | null {
  const metadata = broker.logs.topic(topic);
  if (metadata === undefined) return null;
  const indexes = partitions ?? Array.from({ length: metadata.partitions }, (_, index) => index);
  const described = [];
  for (const partitionIndex of indexes) {
    const log = broker.logs.getLog(topic, partitionIndex);
    if (log === undefined) continue;
    described.push({ partitionIndex, partitionSize: BigInt(log.size), offsetLag: 0n, isFutureKey: false });
  }
  return described.length === 0 ? null : { name: topic, partitions: described };
}

export const describeLogDirsHandler: ApiHandler<typeof ApiKey.DescribeLogDirs> = {
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 1,
  maxVersion: 4,
  async handle(broker, request, context) {
    if (!authorizeCluster(broker, context, apiAuthorization.DescribeLogDirs.cluster)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = [];
    const requested = request.topics === null
      ? broker.logs.listTopics().map((topic) => ({ topic: topic.name, partitions: null }))
      : request.topics;
    for (const { topic, partitions } of requested) {
      const described = describePartitions(broker, topic, partitions);
      if (described !== null) topics.push(described);
    }
    const logDir = resolve(broker.config.dataDir);
    const { totalBytes, usableBytes } = await fileSystemBytes(logDir);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{ errorCode: ErrorCode.NONE, logDir, topics, totalBytes, usableBytes }],
    };
  },
};
