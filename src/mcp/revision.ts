// MCP protocol revisions and what each one allows (reference/mcp.md §1).

export const KNOWN_REVISIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
export type KnownRevision = (typeof KNOWN_REVISIONS)[number];

/** Absent `MCP-Protocol-Version` on a non-initialize request means this revision (spec, 2025-06-18). */
export const DEFAULT_REVISION: KnownRevision = '2025-03-26';
export const MODERN_REVISION: KnownRevision = '2026-07-28';

export interface Revision {
  /** The revision as the client named it (or the default). */
  value: string;
  known: boolean;
  /** JSON-RPC batches: only 2025-03-26 (and earlier) allow them; unknown revisions are judged by shape. */
  batchesAllowed: boolean;
  /** 2026-07-28 requires `Mcp-Method` / `Mcp-Name` to mirror the body. */
  requiresMirroredHeaders: boolean;
}

const known = new Set<string>(KNOWN_REVISIONS);

export function revisionOf(headerValue: string | undefined): Revision {
  const value = headerValue?.trim() || DEFAULT_REVISION;
  const isKnown = known.has(value);
  return {
    value,
    known: isKnown,
    // An unknown revision is passed to the server, which decides: never block an upgrade here.
    batchesAllowed: !isKnown || value <= '2025-03-26',
    requiresMirroredHeaders: isKnown && value >= MODERN_REVISION,
  };
}
