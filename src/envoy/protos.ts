// Envoy's official API protos, loaded from the copy that @grpc/grpc-js-xds ships (never vendored here).
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeCheckRequest, decodeProcessingRequest } from './decode.js';
import { replyEncoder } from './encode.js';

const require = createRequire(import.meta.url);

/** Include directories of Envoy's API and its dependencies inside node_modules. */
export function envoyProtoIncludeDirs(): string[] {
  const root = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  return ['deps/envoy-api', 'deps/xds', 'deps/googleapis', 'deps/protoc-gen-validate'].map((d) => path.join(root, d));
}

/**
 * keepCase keeps proto field names (snake_case) so messages read like Envoy's docs; oneofs adds the
 * virtual oneof field (e.g. `request: 'request_body'`) the adapters switch on. Struct/Value fields still
 * arrive as `fields` → `{stringValue | …}` (reference/envoy.md §1.15.9).
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: envoyProtoIncludeDirs(),
};

export const EXT_AUTHZ_PROTO = 'envoy/service/auth/v3/external_auth.proto';
export const EXT_PROC_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

export interface EnvoyServices {
  authorization: grpc.ServiceClientConstructor;
  externalProcessor: grpc.ServiceClientConstructor;
}

let cached: EnvoyServices | undefined;
let definition: protoLoader.PackageDefinition | undefined;
let statusNumbers: Map<string, number> | undefined;

/** Loads the ext_authz and ext_proc service definitions once per process. */
export function loadEnvoyServices(): EnvoyServices {
  if (cached) return cached;
  const def = (definition = protoLoader.loadSync([EXT_AUTHZ_PROTO, EXT_PROC_PROTO], PROTO_LOADER_OPTIONS));
  const statusEnum = def['envoy.type.v3.StatusCode'] as unknown as { type: { value: Array<{ name: string; number: number }> } };
  statusNumbers = new Map(statusEnum.type.value.map((v) => [v.name, v.number]));
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } }; ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
  };
  cached = {
    authorization: pkg.envoy.service.auth.v3.Authorization,
    externalProcessor: pkg.envoy.service.ext_proc.v3.ExternalProcessor,
  };
  return cached;
}

export interface EnvoyServiceDefinitions {
  authorization: grpc.ServiceDefinition;
  externalProcessor: grpc.ServiceDefinition;
}

/**
 * What mcpgw serves: proto-loader's definitions with decode.ts's request decoders (only the fields the
 * adapters read) and encode.ts's reply encoders for Check and Process. Clients and the bench's bare
 * servers keep proto-loader's.
 */
export function envoyServiceDefinitions(): EnvoyServiceDefinitions {
  const { authorization, externalProcessor } = loadEnvoyServices();
  const def = definition as protoLoader.PackageDefinition;
  const a = authorization.service;
  const p = externalProcessor.service;
  const check = a.Check as grpc.MethodDefinition<unknown, unknown>;
  const process = p.Process as grpc.MethodDefinition<unknown, unknown>;
  return {
    authorization: { ...a, Check: { ...check, requestDeserialize: decodeCheckRequest, responseSerialize: replyEncoder(def, 'envoy.service.auth.v3.CheckResponse', check.responseSerialize) } },
    externalProcessor: {
      ...p,
      Process: { ...process, requestDeserialize: decodeProcessingRequest, responseSerialize: replyEncoder(def, 'envoy.service.ext_proc.v3.ProcessingResponse', process.responseSerialize) },
    },
  };
}

/**
 * `envoy.type.v3.HttpStatus.code` arrives as the enum name with `enums: String` ("Forbidden");
 * this gives the number back. Numbers pass through.
 */
export function httpStatusNumber(code: number | string | undefined): number | undefined {
  if (code === undefined) return undefined;
  if (typeof code === 'number') return code;
  loadEnvoyServices();
  return statusNumbers?.get(code) ?? (Number.isInteger(Number(code)) ? Number(code) : undefined);
}
