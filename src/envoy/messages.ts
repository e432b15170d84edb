// Plain TypeScript shapes of the Envoy messages mcpgw reads and writes, as @grpc/proto-loader
// delivers them with PROTO_LOADER_OPTIONS (snake_case fields, oneof discriminators, bytes as Buffer).
// Only the fields mcpgw uses are typed; Envoy may send more.

export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer | Uint8Array;
}

export interface HeaderMap {
  headers?: HeaderValue[];
  /** mcpgw's own decoder (decode.ts) adds the names in order, each value decoded only when read. */
  list?: HeaderList;
}

/** A header map read by position: names as sent, values as headerValueText gives them. */
export interface HeaderList {
  readonly names: readonly string[];
  valueAt(i: number): string;
}

export interface HeaderValueOption {
  header: HeaderValue;
  append?: { value: boolean };
  append_action?: string;
}

/** google.protobuf.Struct as proto-loader represents it. */
export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}
export interface ProtoValue {
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
  nullValue?: string;
  kind?: string;
}

export interface Metadata {
  filter_metadata?: Record<string, ProtoStruct>;
}

// ---- ext_proc -------------------------------------------------------------------------------

export interface HttpHeaders {
  headers?: HeaderMap;
  end_of_stream?: boolean;
}
export interface HttpBody {
  body?: Buffer | Uint8Array;
  end_of_stream?: boolean;
}
export interface HttpTrailers {
  trailers?: HeaderMap;
}

export type BodySendMode = 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL' | 'FULL_DUPLEX_STREAMED' | 'GRPC';
export type HeaderSendMode = 'DEFAULT' | 'SEND' | 'SKIP';

export interface ProcessingMode {
  request_header_mode?: HeaderSendMode;
  response_header_mode?: HeaderSendMode;
  request_body_mode?: BodySendMode;
  response_body_mode?: BodySendMode;
  request_trailer_mode?: HeaderSendMode;
  response_trailer_mode?: HeaderSendMode;
}

export interface ProcessingRequest {
  request?: 'request_headers' | 'response_headers' | 'request_body' | 'response_body' | 'request_trailers' | 'response_trailers';
  request_headers?: HttpHeaders;
  response_headers?: HttpHeaders;
  request_body?: HttpBody;
  response_body?: HttpBody;
  request_trailers?: HttpTrailers;
  response_trailers?: HttpTrailers;
  metadata_context?: Metadata;
  attributes?: Record<string, ProtoStruct>;
  observability_mode?: boolean;
}

export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}

export interface CommonResponse {
  status?: 'CONTINUE' | 'CONTINUE_AND_REPLACE';
  header_mutation?: HeaderMutation;
  body_mutation?: { body?: Buffer | Uint8Array; clear_body?: boolean };
  clear_route_cache?: boolean;
}

export interface ImmediateResponse {
  status: { code: number | string };
  headers?: HeaderMutation;
  body?: Buffer | Uint8Array;
  details?: string;
}

export interface ProcessingResponse {
  response?: 'request_headers' | 'response_headers' | 'request_body' | 'response_body' | 'request_trailers' | 'response_trailers' | 'immediate_response';
  request_headers?: { response?: CommonResponse };
  response_headers?: { response?: CommonResponse };
  request_body?: { response?: CommonResponse };
  response_body?: { response?: CommonResponse };
  request_trailers?: { header_mutation?: HeaderMutation };
  response_trailers?: { header_mutation?: HeaderMutation };
  immediate_response?: ImmediateResponse;
  dynamic_metadata?: ProtoStruct;
  mode_override?: ProcessingMode;
}

// ---- ext_authz ------------------------------------------------------------------------------

export interface SocketAddress {
  address?: { socket_address?: { address?: string; port_value?: number } };
}

export interface CheckRequest {
  attributes?: {
    source?: SocketAddress & { principal?: string; service?: string };
    destination?: SocketAddress & { principal?: string };
    request?: {
      http?: {
        id?: string;
        method?: string;
        headers?: Record<string, string>;
        /** mcpgw's own decoder (decode.ts) adds a lookup of `headers` that decodes a value only when read. */
        header?: (name: string) => string | undefined;
        path?: string;
        host?: string;
        scheme?: string;
        size?: string | number;
        protocol?: string;
        body?: string;
        raw_body?: Buffer | Uint8Array;
      };
    };
    context_extensions?: Record<string, string>;
    metadata_context?: Metadata;
  };
}

export interface CheckResponse {
  status: { code: number; message?: string };
  http_response?: 'ok_response' | 'denied_response' | 'error_response';
  ok_response?: {
    headers?: HeaderValueOption[];
    headers_to_remove?: string[];
    response_headers_to_add?: HeaderValueOption[];
  };
  denied_response?: {
    status?: { code: number | string };
    headers?: HeaderValueOption[];
    body?: string;
  };
  dynamic_metadata?: ProtoStruct;
}
