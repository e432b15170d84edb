// mcpgw's own protos (proto/mcpgw/v1), loaded at runtime like Envoy's. The proto/ folder ships beside
// src/ and dist/ (package.json "files", the image), found by walking up from this file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const CONTROL_PROTO = 'mcpgw/v1/control.proto';
export const METADATA_PROTO = 'mcpgw/v1/metadata.proto';
export const CONTROL_PACKAGE = 'mcpgw.v1';
export const CONTROL_SERVICE = `${CONTROL_PACKAGE}.Control`;

/** The folder holding mcpgw/v1/*.proto: <package root>/proto, from src/control or dist/src/control. */
export function protoDir(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'proto', CONTROL_PROTO))) return path.join(dir, 'proto');
    if (path.dirname(dir) === dir) throw new Error(`cannot find proto/${CONTROL_PROTO} above ${from}`);
  }
}

/**
 * lowerCamelCase names, int64 as strings and enums as names: proto-loader's objects then read like
 * the proto3 JSON mapping except for well-known types, which ProtoJson converts.
 */
export const CONTROL_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: false, oneofs: false };

export interface ControlProtos {
  definition: protoLoader.PackageDefinition;
  service: grpc.ServiceDefinition;
  client: grpc.ServiceClientConstructor;
  /** RPC name → the full names of its request and response messages. */
  messages: Map<string, { request: string; response: string }>;
}

let cached: ControlProtos | undefined;

export function loadControlProtos(): ControlProtos {
  if (cached) return cached;
  const definition = protoLoader.loadSync([CONTROL_PROTO, METADATA_PROTO], { ...CONTROL_LOADER_OPTIONS, includeDirs: [protoDir()] });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { mcpgw: { v1: { Control: grpc.ServiceClientConstructor } } };
  const methods = definition[CONTROL_SERVICE] as protoLoader.ServiceDefinition;
  const full = (t: protoLoader.MessageTypeDefinition<object, object>) => `${CONTROL_PACKAGE}.${(t.type as { name: string }).name}`;
  const messages = new Map(Object.entries(methods).map(([name, m]) => [name, { request: full(m.requestType), response: full(m.responseType) }]));
  cached = { definition, service: pkg.mcpgw.v1.Control.service, client: pkg.mcpgw.v1.Control, messages };
  return cached;
}
