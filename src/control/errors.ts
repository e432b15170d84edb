// Why a control call failed, as one gRPC status code; HTTP /v1 answers with the status Google's
// API mapping gives that code. `field` names the request field at fault (dotted, from the request root).
import * as grpc from '@grpc/grpc-js';
import { StoreUnavailableError } from '../sessions/index.js';
import { JsonInputError } from './json.js';

export type ControlCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'UNIMPLEMENTED' | 'INTERNAL';

/** One request field at fault (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  field: string;
  description: string;
}

export class ControlError extends Error {
  constructor(
    readonly code: ControlCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'ControlError';
  }

  /** INVALID_ARGUMENT for one field; the message starts with the field's name. */
  static invalid(field: string, description: string): ControlError {
    return new ControlError('INVALID_ARGUMENT', `${field}: ${description}`, [{ field, description }]);
  }
}

export const GRPC_CODE: Record<ControlCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
  INTERNAL: grpc.status.INTERNAL,
};

/** google.rpc.Code → HTTP, as in google/rpc/code.proto (FAILED_PRECONDITION is 400 there, not 409). */
export const HTTP_STATUS: Record<ControlCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  UNAVAILABLE: 503,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
};

/** What every view answers for an error, or undefined for a bug (logged, INTERNAL). */
export function controlErrorOf(err: unknown): ControlError | undefined {
  if (err instanceof ControlError) return err;
  if (err instanceof JsonInputError) return ControlError.invalid(err.field || 'body', err.description);
  if (err instanceof StoreUnavailableError) return new ControlError('UNAVAILABLE', 'store unavailable; retry shortly');
  return undefined;
}
