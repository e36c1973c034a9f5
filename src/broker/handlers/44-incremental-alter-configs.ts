// IncrementalAlterConfigs (key 44), versions 0-1 (KIP-339). Topic resources: SET, DELETE, and APPEND/SUBTRACT for
// list configs, validated as a whole and applied at once to the topic's logs (persisted in topics.json). Broker
// resources: this broker has no dynamic broker configs, so any alteration is INVALID_REQUEST (Kafka's answer for
// a non-dynamic config); an empty one succeeds. Other resource types are INVALID_REQUEST.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf, errorMessageOf } from '../broker-error.ts';
import { alterResourceConfigs } from '../configs/alter-configs.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { configResourceDenial } from '../security/authorizer/authorize.ts';

export const incrementalAlterConfigsHandler: ApiHandler<typeof ApiKey.IncrementalAlterConfigs> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, request, context) {
    const responses = [];
    for (const resource of request.resources) {
      const response = { errorCode: ErrorCode.NONE as number, errorMessage: null as string | null, resourceType: resource.resourceType, resourceName: resource.resourceName };
      const denied = configResourceDenial(broker, context, apiAuthorization.IncrementalAlterConfigs, resource.resourceType, resource.resourceName);
      if (denied !== ErrorCode.NONE) {
        responses.push({ ...response, errorCode: denied });
        continue;
      }
      try {
        const alterations = resource.configs.map((config) => ({ name: config.name, operation: config.configOperation, value: config.value }));
        await alterResourceConfigs(broker, { resourceType: resource.resourceType, resourceName: resource.resourceName, alterations, incremental: true }, request.validateOnly);
      } catch (error) {
        response.errorCode = errorCodeOf(error, broker.logger);
        response.errorMessage = errorMessageOf(error);
      }
      responses.push(response);
    }
    return { throttleTimeMs: 0, responses };
  },
};
