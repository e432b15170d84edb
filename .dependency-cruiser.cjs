// The module layering of src/ (docs/architecture.md, "Layers"), enforced by
// test/unit/architecture.test.ts. Type-only imports count: a type cycle is still a cycle.
const ADAPTERS = '(authz|extproc|control)';
/** Built on the control service (a view of it, like its gRPC and HTTP ones): above the adapters, below the wiring. */
const CONTROL_VIEWS = '(management|provision)';
/** Libraries that do I/O or start machinery: the core must not pull them in, even indirectly. */
const IO_PACKAGES = 'node_modules/(ioredis|@kubernetes/client-node|prom-client|@opentelemetry|pino|@grpc)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form layers; a cycle through another module (type imports included) means one of them is in the wrong place.',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^src/$1/' },
    },
    {
      name: 'no-cycles-in-core',
      severity: 'error',
      comment: 'The core reads top-down: its files form no cycle either.',
      from: { path: '^src/core/' },
      to: { circular: true },
    },
    {
      name: 'through-index-only',
      severity: 'error',
      comment: "A module's public face is its index.ts: import another module only through it.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'The core depends on the pure modules (mcp, policy) and config types, and owns the interfaces for everything else.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/(core|mcp|policy|config)/' },
    },
    {
      name: 'core-reads-config-types-only',
      severity: 'error',
      comment: 'The core is handed the configuration; it never parses or loads it.',
      from: { path: '^src/core/' },
      to: { path: '^src/config/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-loads-no-io',
      severity: 'error',
      comment: 'Importing the core loads no I/O library (test/unit/core-imports.test.ts checks it at run time too).',
      from: { path: '^src/core/' },
      to: { path: IO_PACKAGES, reachable: true },
    },
    {
      name: 'pure-stays-pure',
      severity: 'error',
      comment: 'mcp and policy are the bottom layer: they import only each other.',
      from: { path: '^src/(mcp|policy)/' },
      to: { path: '^src/', pathNot: '^src/(mcp|policy)/' },
    },
    {
      name: 'adapters-are-independent',
      severity: 'error',
      comment: 'Adapters translate one protocol each to the core and back; what they share belongs in src/envoy or the core.',
      from: { path: `^src/${ADAPTERS}/` },
      to: { path: `^src/${ADAPTERS}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'only-server-wires-adapters',
      severity: 'error',
      comment: 'Adapters sit on top: only src/server (and the CLI above it) uses them.',
      from: { path: '^src/', pathNot: [`^src/${ADAPTERS}/`, `^src/${CONTROL_VIEWS}/`, '^src/(server|cli)/'] },
      to: { path: `^src/${ADAPTERS}/` },
    },
    {
      name: 'only-server-wires-control-views',
      severity: 'error',
      comment: 'The management endpoint and provisioning use the control service; only src/server (and the CLI) uses them in turn.',
      from: { path: '^src/', pathNot: [`^src/${CONTROL_VIEWS}/`, '^src/(server|cli)/'] },
      to: { path: `^src/${CONTROL_VIEWS}/` },
    },
    {
      name: 'nothing-imports-the-wiring',
      severity: 'error',
      comment: 'src/server wires everything and src/cli starts it: nothing below may depend on them.',
      from: { path: '^src/', pathNot: '^src/(server|cli)/' },
      to: { path: '^src/(server|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
