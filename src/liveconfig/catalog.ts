// The seam between live configuration and the control API: what the API may read and change.
// Implemented by the live-config runtime; the control service (gRPC, HTTP /v1, `mcpgw ctl`) codes
// against it only.
import type { ServerConfig } from '../config/index.js';

/** Where a piece of configuration came from; precedence is file < kubernetes < api (docs/control-plane.md). */
export type ConfigSourceKind = 'file' | 'kubernetes' | 'api';

export interface ConfigOrigin {
  source: ConfigSourceKind;
  /** The file path, the MCPServer's `namespace/name`, or `api`. */
  ref: string;
  /** The configuration version in which this item last changed. */
  version: string;
}

export interface ServerEntry {
  name: string;
  origin: ConfigOrigin;
  spec: ServerConfig;
}

/** One field-level reason a change was refused; `path` is dotted from the changed object's root. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** A change that would make the configuration invalid; nothing was applied. */
export class ConfigRejected extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    this.name = 'ConfigRejected';
  }
}

export interface ConfigCatalog {
  /** The version every decision made now is traced to. */
  version(): string;
  servers(): ServerEntry[];
  server(name: string): ServerEntry | undefined;
  /** Adds or replaces one server (the `servers[]` item shape of gateway.yaml) from the API source;
   *  validates the whole resulting configuration and throws ConfigRejected when it is invalid. */
  applyServer(spec: unknown): Promise<ServerEntry>;
  /** Removes an API-applied server; false when no such server exists. Throws ConfigRejected when
   *  the server comes from another source (it is removed there, not through the API). */
  deleteServer(name: string): Promise<boolean>;
}
