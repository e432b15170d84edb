// Schemas for the audit log and tracing (src/telemetry, docs/observability.md).
import { z } from 'zod';

export const auditSchema = z
  .strictObject({
    destination: z.string().min(1).default('stdout').describe('"stdout", or a file path the audit lines are appended to (separate from operational logs).'),
    arguments: z.enum(['omit', 'hash', 'redact']).default('omit').describe('Tool / prompt arguments: left out, SHA-256 of their canonical JSON, or logged with the `redact` paths replaced.'),
    redact: z.array(z.string().min(1)).readonly().prefault([]).describe('JSON paths redacted when arguments is "redact", e.g. "$.password", "$.items[*].secret".'),
    sessionIdSalt: z.string().min(16).optional().describe('Key for session id hashes; give every replica the same one to follow a session across them (default: random per process). Or MCPGW_AUDIT_SALT.'),
  })
  .readonly();

export const tracingSchema = z
  .strictObject({
    otlpEndpoint: z.string().url().optional().describe('OTLP/HTTP collector base URL (e.g. http://otel-collector:4318). Without it tracing is off and costs nothing.'),
    serviceName: z.string().min(1).default('mcpgw').describe('service.name of the spans.'),
    sampleRatio: z.number().min(0).max(1).default(1).describe('Share of root traces sampled (a sampled parent is always followed).'),
  })
  .readonly();
