// Methods every caller may use unless a rule says otherwise. Without them a server with
// `defaultEffect: deny` and a few tool rules could not be connected to or listed at all, although the
// caller may use some of its tools. Lists are safe to open because their results are filtered per
// caller (src/mcp/listFilter.ts); a `methods` rule (allow with conditions, or deny) still governs them.
const OPEN_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
]);

export function isOpenMethod(method: string): boolean {
  return OPEN_METHODS.has(method) || method.startsWith('notifications/');
}
