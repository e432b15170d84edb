// Schemas for limits (src/limits, docs/limits.md): rates, quotas, concurrency, session caps and cost
// budgets keyed by tenant, principal, server, method and tool.
import { z } from 'zod';
import { integer } from './fields.js';

const positive = z.number().positive();
const windowLength = z
  .union([z.enum(['second', 'minute', 'hour', 'day']), z.strictObject({ seconds: integer(1, 31_536_000).describe('Window length in seconds.') })])
  .describe('Window: second, minute, hour, day, or {seconds: N}. Fixed windows align to the Unix epoch (UTC).');
const globs = z.array(z.string().min(1)).min(1);

export const limitSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1-64 letters, digits, "_", "." or "-"' })
      .refine((n) => n !== 'anomaly', { error: '"anomaly" is reserved' })
      .describe('Shown in 429 answers, RateLimit headers and the limit metric label.'),
    per: z.array(z.enum(['tenant', 'principal', 'server', 'method', 'tool'])).describe('Counted per distinct combination of these; [] is one global counter.'),
    match: z
      .strictObject({
        servers: globs.optional().describe('Server name globs.'),
        methods: globs.optional().describe('JSON-RPC method globs.'),
        tools: globs.optional().describe('Tool / resource / prompt name globs.'),
        tenants: globs.optional().describe('Tenant globs.'),
        principals: globs.optional().describe('Principal id globs.'),
      })
      .optional()
      .describe('Which requests count (all listed globs must match); default every request.'),
    rate: z
      .strictObject({ requests: integer(1, 1e9).describe('Requests …'), perSeconds: positive.describe('… per this many seconds.'), burst: integer(1, 1e9).optional().describe('Requests allowed at once (default: requests).') })
      .optional()
      .describe('Smooth rate with bursts (GCRA).'),
    quota: z
      .strictObject({ requests: integer(1, 1e12).describe('Requests per window.'), window: windowLength, sliding: z.boolean().default(false).describe('Weighted two-window sliding count instead of fixed windows.') })
      .optional()
      .describe('Requests per fixed or sliding window.'),
    concurrency: z
      .strictObject({ max: integer(1, 1e9).describe('Calls in flight.'), leaseSeconds: integer(1, 86_400).default(300).describe('A slot a crashed replica never released stops counting after this.') })
      .optional()
      .describe('Calls in flight, released when the response ends.'),
    sessions: z.strictObject({ max: integer(1, 1e9).describe('Live sessions.') }).optional().describe('Live MCP sessions (per principal, tenant or server).'),
    cost: z
      .strictObject({
        budget: positive.describe('Cost units per window.'),
        window: windowLength,
        sliding: z.boolean().default(false).describe('Weighted two-window sliding count.'),
        costs: z.record(z.string(), z.number().min(0)).default({}).describe('Tool glob → cost units.'),
        defaultCost: z.number().min(0).default(1).describe('Cost of a call no entry matches.'),
      })
      .optional()
      .describe('A budget of cost units per window, with per-tool costs.'),
    whenUnavailable: z.enum(['fail-open', 'fail-closed']).default('fail-open').describe('Redis down: fail-open counts locally at limit / replicas; fail-closed answers 503.'),
  })
  .refine((l) => [l.rate, l.quota, l.concurrency, l.sessions, l.cost].filter((k) => k !== undefined).length === 1, {
    error: 'set exactly one of rate, quota, concurrency, sessions, cost',
  });

export const limitsSchema = z.array(limitSchema).superRefine((limits, ctx) => {
  const seen = new Set<string>();
  limits.forEach((l, i) => {
    if (seen.has(l.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate limit name ${JSON.stringify(l.name)}` });
    seen.add(l.name);
  });
});

export const limitingSchema = z
  .strictObject({
    replicas: integer(1, 1000).default(1).describe('mcpgw replicas sharing Redis: the fail-open fallback allows limit / replicas locally.'),
    headers: z.boolean().default(false).describe('Also send RateLimit-Policy / RateLimit on allowed responses.'),
    memoryCounters: integer(1000, 10_000_000)
      .default(100_000)
      .describe('Most limit counters kept in process (memory store, and the fail-open fallback with Redis); beyond it the least recently used is dropped.'),
    anomaly: z
      .strictObject({
        factor: z.number().gt(1).describe('A minute this many times above the baseline is flagged.'),
        minBaseline: z.number().min(0).default(20).describe('Baseline floor, so quiet principals are not flagged for a handful of calls.'),
        throttle: z.boolean().default(false).describe('Hold a flagged principal to its baseline rate.'),
        baselineMinutes: integer(1, 10_080).default(60).describe('Span of the moving baseline (EWMA).'),
      })
      .optional()
      .describe('Flag (and optionally throttle) principals whose tools/call rate jumps far above their baseline.'),
  })
  .describe('Settings shared by all limits.');
