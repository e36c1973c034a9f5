// AlterConfigs (key 33), versions 0-2, the pre-KIP-339 form: the configs sent replace every override of the
// resource (a config left out returns to its default). Validation and errors are IncrementalAlterConfigs'
// (see configs/alter-configs.ts); broker resources have no dynamic configs here.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf, errorMessageOf } from '../broker-error.ts';
import { AlterConfigOpType, alterResourceConfigs } from '../configs/alter-configs.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { configResourceDenial } from '../security/authorizer/authorize.ts';

export const alterConfigsHandler: ApiHandler<typeof ApiKey.AlterConfigs> = {
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, request, context) {
    const responses = [];
    for (const resource of request.resources) {
      const response = { errorCode: ErrorCode.NONE as number, errorMessage: null as string | null, resourceType: resource.resourceType, resourceName: resource.resourceName };
      const denied = configResourceDenial(broker, context, apiAuthorization.AlterConfigs, resource.resourceType, resource.resourceName);
      if (denied !== ErrorCode.NONE) {
        responses.push({ ...response, errorCode: denied });
        continue;
      }
      try {
        const alterations = resource.configs.map((config) => ({ name: config.name, operation: AlterConfigOpType.set, value: config.value }));
        await alterResourceConfigs(broker, { resourceType: resource.resourceType, resourceName: resource.resourceName, alterations, incremental: false }, request.validateOnly);
      } catch (error) {
        response.errorCode = errorCodeOf(error, broker.logger);
        response.errorMessage = errorMessageOf(error);
      }
      responses.push(response);
    }
    return { throttleTimeMs: 0, responses };
  },
};
