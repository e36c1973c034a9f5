// load -> model -> emit: returns every generated file as (path relative to the output folder, contents).
import { loadSpecs } from './load.ts';
import { buildModel } from './model.ts';
import type { MessageModel } from './model.ts';
import { emitApiFile, emitSingleFile } from './emit-file.ts';
import type { ApiPair } from './emit-file.ts';
import { emitIndex } from './emit-index.ts';
import { apiName, kebabCase } from './names.ts';

export interface GeneratedApi {
  readonly apiKey: number;
  readonly name: string;
  readonly file: string;
  readonly pair: ApiPair;
}

export interface GeneratedSingle {
  readonly file: string;
  readonly message: MessageModel;
}

export function generate(specRoot: string): Map<string, string> {
  const models = loadSpecs(specRoot).map(buildModel);
  const requests = new Map<number, MessageModel>();
  const responses = new Map<number, MessageModel>();
  const singles: GeneratedSingle[] = [];
  for (const m of models) {
    if (m.kind === 'request' || m.kind === 'response') {
      if (m.apiKey === null) throw new Error(`${m.file}: ${m.kind} without apiKey`);
      const map = m.kind === 'request' ? requests : responses;
      if (map.has(m.apiKey)) throw new Error(`${m.file}: duplicate ${m.kind} for API key ${m.apiKey}`);
      map.set(m.apiKey, m);
    } else {
      const folder = m.kind === 'header' ? '' : m.internal ? 'internal/' : 'data/';
      singles.push({ file: `${folder}${kebabCase(m.name)}.ts`, message: m });
    }
  }
  const apis: GeneratedApi[] = [];
  for (const [apiKey, request] of [...requests].sort((a, b) => a[0] - b[0])) {
    const response = responses.get(apiKey);
    if (response === undefined) throw new Error(`${request.file}: no response for API key ${apiKey}`);
    const name = apiName(request.name);
    if (response.name !== `${name}Response`) throw new Error(`${response.file}: expected ${name}Response`);
    apis.push({ apiKey, name, file: `${String(apiKey).padStart(2, '0')}-${kebabCase(name)}.ts`, pair: { request, response } });
  }
  for (const apiKey of responses.keys()) {
    if (!requests.has(apiKey)) throw new Error(`no request for API key ${apiKey}`);
  }
  const out = new Map<string, string>();
  for (const api of apis) out.set(api.file, emitApiFile(api.pair));
  for (const s of singles) out.set(s.file, emitSingleFile(s.message, s.file.split('/').length - 1));
  out.set('index.ts', emitIndex(apis, singles));
  return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
