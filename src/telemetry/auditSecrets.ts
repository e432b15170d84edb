// Keeps secrets out of every log line, operational and audit alike, in two layers:
//  1. pino `redact` on the fields and headers that carry credentials, whatever their value
//     (a client's bearer token is never known in advance);
//  2. a last-moment scrub of each serialized line for the secrets mcpgw itself holds (injected
//     upstream credentials, store passwords), wherever they appear, even inside a message string.
import type { LoggerOptions } from 'pino';

export const CENSOR = '[REDACTED]';

/** Request headers whose values are credentials (RFC 9110 Authorization, RFC 9449 DPoP proofs, cookies). */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'dpop'];

/** Field names that hold credentials in mcpgw's own log objects. */
const SECRET_FIELDS: readonly string[] = ['token', 'accessToken', 'apiKey', 'password', 'secret', 'clientSecret', 'credentials'];

/** Shorter strings would scrub ordinary words out of every line; real credentials are longer. */
export const MIN_SECRET_LENGTH = 8;

const prop = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);

/**
 * pino redact paths for the secret headers (plus `extraHeaders`, e.g. a configured API key header) as
 * top-level fields, under `headers`, and one level deeper (`req.headers`, `request.headers`).
 */
export function secretRedactPaths(extraHeaders: readonly string[] = []): string[] {
  const headers = [...new Set([...SECRET_HEADERS, ...extraHeaders.map((h) => h.toLowerCase())])];
  const names = [...headers, ...SECRET_FIELDS];
  const paths = names.flatMap((n) => [prop(n).replace(/^\./, ''), `*${prop(n)}`]);
  for (const h of headers) paths.push(`headers${prop(h)}`, `*.headers${prop(h)}`);
  return paths;
}

export class SecretsGuard {
  private readonly forms = new Set<string>();

  constructor(private readonly extraHeaders: readonly string[] = []) {}

  /** Adds a secret to scrub from every later line; throws for strings too short to scrub safely. */
  register(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH) throw new RangeError(`a secret to keep out of logs must have at least ${MIN_SECRET_LENGTH} characters`);
    this.forms.add(secret);
    // As it appears inside a JSON string, when it holds quotes, backslashes or control characters.
    this.forms.add(JSON.stringify(secret).slice(1, -1));
  }

  /** The line with every registered secret replaced; the same string when none occurs (the usual case). */
  scrub(line: string): string {
    for (const f of this.forms) if (line.includes(f)) line = line.split(f).join(CENSOR);
    return line;
  }

  /** The field names `redact` censors (as top-level fields and one level down). */
  redactedFields(): ReadonlySet<string> {
    return new Set([...SECRET_HEADERS, ...this.extraHeaders.map((h) => h.toLowerCase()), ...SECRET_FIELDS, 'headers']);
  }

  /** Options to merge into a pino logger: field redaction plus the scrub of each written line. */
  loggerOptions(): Pick<LoggerOptions, 'redact' | 'hooks'> {
    return {
      redact: { paths: secretRedactPaths(this.extraHeaders), censor: CENSOR },
      hooks: { streamWrite: (s) => this.scrub(s) },
    };
  }
}
