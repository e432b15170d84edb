// HTTP status enums arrive by name (enums: String); map them back to codes via Envoy's own proto.
import * as protoLoader from '@grpc/proto-loader';
import { EXT_AUTHZ_PROTO, EXT_PROC_PROTO, PROTO_LOADER_OPTIONS } from '../../src/envoy/protos.js';

let statusByName: Map<string, number> | undefined;

function statusNames(): Map<string, number> {
  if (statusByName) return statusByName;
  const def = protoLoader.loadSync([EXT_AUTHZ_PROTO, EXT_PROC_PROTO], PROTO_LOADER_OPTIONS);
  const e = def['envoy.type.v3.StatusCode'] as unknown as { type: { value: Array<{ name: string; number: number }> } };
  statusByName = new Map(e.type.value.map((v) => [v.name, v.number]));
  return statusByName;
}

/** envoy.type.v3.HttpStatus.code as a number (0 when unset or 'Empty'). */
export function httpStatusCode(code: number | string | undefined | null): number {
  if (code === undefined || code === null) return 0;
  if (typeof code === 'number') return code;
  if (/^\d+$/.test(code)) return Number(code);
  return statusNames().get(code) ?? 0;
}
