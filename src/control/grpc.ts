// The Control service on the gRPC port: every call proves it is an admin first (bearer token in the
// `authorization` metadata, or an admin identity in its verified client certificate).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../telemetry/index.js';
import type { ControlMethodName, ControlMethods } from './api.js';
import { requireAdmin, type AdminCredentials } from './auth.js';
import { ControlError, GRPC_CODE, controlErrorOf } from './errors.js';
import { ProtoJson } from './json.js';
import { loadControlProtos } from './protos.js';

export interface ControlGrpcDeps {
  methods: ControlMethods;
  credentials: AdminCredentials;
  /** The names (SANs) of the caller's verified client certificate; empty without TLS. */
  peerNames: (call: grpc.ServerUnaryCall<unknown, unknown>) => string[];
  logger: Logger;
}

/** The implementation to add under loadControlProtos().service. */
export function controlGrpcService(deps: ControlGrpcDeps): grpc.UntypedServiceImplementation {
  const { service, definition, messages } = loadControlProtos();
  const json = new ProtoJson(definition);
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service)) {
    const rpc = name as ControlMethodName;
    const types = messages.get(name);
    if (!types || !(name in deps.methods)) throw new Error(`control.proto has ${method.path}, which mcpgw does not implement`);
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const run = async () => {
        const auth = call.metadata.get('authorization')[0];
        requireAdmin(deps.credentials, typeof auth === 'string' ? auth : undefined, deps.peerNames(call));
        const request = json.toJson(types.request, call.request);
        return json.fromJson(types.response, await deps.methods[rpc](request));
      };
      run().then(
        (response) => callback(null, response),
        (err: unknown) => {
          const known = controlErrorOf(err);
          if (!known) deps.logger.error({ method: name, err: (err as Error).message }, 'control call failed');
          // Per call, like other refusals: debug, so a caller without the token cannot flood the log.
          else if (known.code === 'UNAUTHENTICATED' || known.code === 'PERMISSION_DENIED') deps.logger.debug({ method: name, code: known.code }, 'control call refused');
          const e = known ?? new ControlError('INTERNAL', 'internal error');
          callback({ code: GRPC_CODE[e.code], details: e.message });
        },
      );
    };
  }
  return impl;
}
