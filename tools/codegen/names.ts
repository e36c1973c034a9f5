// Naming rules for generated code (documented in README.md).

/** Kafka's own rule (FieldSpec.camelCaseName): lower-case the first letter only. `ProducerId` -> `producerId`. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Nested struct type names are prefixed by the message name so that they are unique across the whole protocol
 * surface: `ProduceRequest` + `TopicProduceData` -> `ProduceRequestTopicProduceData`. A struct whose spec name
 * already starts with the message name (`MetadataRequestTopic` in `MetadataRequest`) keeps it unchanged.
 */
export function structTypeName(messageName: string, structName: string): string {
  return structName.startsWith(messageName) ? structName : messageName + structName;
}

/** `ProduceRequest` -> `produce`, `ApiVersionsRequest` -> `api-versions`, `TransactionLogKey` -> `transaction-log-key`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The API name Kafka uses in `ApiKeys`: the request message name without `Request`. */
export function apiName(requestName: string): string {
  return requestName.replace(/Request$/, '');
}

/** `produce` -> `Produce`... used for function names: `encode` + `ProduceRequest`. */
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await', 'arguments',
  'eval', 'undefined', 'NaN', 'Infinity',
]);

/** A local variable name for a field that cannot clash with keywords or the generated code's own locals. */
export function localName(property: string): string {
  return RESERVED.has(property) || /^(r|w|m|version|i|n|e|tag|size|end|tagged|tw|tb)$|^[a-z]\d+$/.test(property) ? `${property}_` : property;
}
