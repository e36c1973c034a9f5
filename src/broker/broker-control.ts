// The broker's control hook (modelled on franz-go kfake's `ControlKey`): a function registered for one API key
// sees every decoded request of that key before its handler runs. It either answers the request itself
// (`{ response }`) or returns nothing, and the request — possibly changed in place — goes on to the handler.
// This is how the testkit injects broker faults (a broker that ignores idempotence, a request answered with an
// error) without any test-only switch in the broker's options or domain code. With no control registered a
// request costs one map lookup more.
import type { ApiKey, RequestByApiKey, ResponseByApiKey } from '../protocol/messages/generated/index.ts';
import type { AnyApiHandler, ApiHandler, HandlerResult, RequestContext } from './handlers/api-handler.ts';

/** What a control function returns: an answer that replaces the handler's, or nothing to let the request through. */
export type ControlResult<K extends ApiKey> = { readonly response: ResponseByApiKey[K] } | undefined | void;

/**
 * Runs synchronously before the handler. A Produce request's record batches lie in memory the broker reuses for later
 * requests: read them during the call, copy what is kept.
 */
export type ControlFunction<K extends ApiKey> = (request: RequestByApiKey[K], context: RequestContext) => ControlResult<K>;

export class BrokerControl {
  private readonly controls = new Map<number, ControlFunction<ApiKey>[]>();

  /** Registers `control` for `apiKey` (after any already registered); returns a function that removes it. */
  add<K extends ApiKey>(apiKey: K, control: ControlFunction<K>): () => void {
    const list = this.controls.get(apiKey) ?? [];
    const entry = control as unknown as ControlFunction<ApiKey>;
    list.push(entry);
    this.controls.set(apiKey, list);
    return () => {
      const index = list.indexOf(entry);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** The handlers with the controls of their API key consulted first. */
  wrap(handlers: ReadonlyMap<number, AnyApiHandler>): ReadonlyMap<number, AnyApiHandler> {
    const wrapped = new Map<number, AnyApiHandler>();
    for (const [apiKey, handler] of handlers) wrapped.set(apiKey, this.wrapHandler(handler as ApiHandler<ApiKey>) as AnyApiHandler);
    return wrapped;
  }

  private wrapHandler<K extends ApiKey>(handler: ApiHandler<K>): ApiHandler<K> {
    const controls = this.controls;
    return {
      ...handler,
      handle(broker, request, context): HandlerResult<K> | Promise<HandlerResult<K>> {
        const list = controls.get(handler.apiKey);
        if (list !== undefined) {
          for (const control of [...list]) {
            const result = (control as unknown as ControlFunction<K>)(request, context);
            if (result !== undefined) return result.response;
          }
        }
        return handler.handle(broker, request, context);
      },
    };
  }
}
