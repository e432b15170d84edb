// One row per kind of mistake, with the exact problem lines a config author sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.js';

const SERVER = 'servers:\n  - name: files\n    match: { hosts: [mcp.example.com] }\n';

const rows: Array<{ name: string; yaml: string; problems: string[] }> = [
  {
    name: 'unknown field (typo) in a server',
    yaml: 'servers:\n  - name: files\n    match: { hosts: [mcp.example.com] }\n    tools: { denny: [delete_*] }\n',
    problems: ['servers.0.tools.denny: unknown field'],
  },
  {
    name: 'unknown top-level field',
    yaml: `lisen: { grpc: 0.0.0.0:1 }\n${SERVER}`,
    problems: ['lisen: unknown field'],
  },
  {
    name: 'wrong type',
    yaml: `shutdown: { graceSeconds: 8s }\n${SERVER}`,
    problems: ['shutdown.graceSeconds: expected an integer, got string "8s"'],
  },
  {
    name: 'non-integer number',
    yaml: `requests: { maxJsonDepth: 1.5 }\n${SERVER}`,
    problems: ['requests.maxJsonDepth: expected an integer, got number 1.5'],
  },
  {
    name: 'mapping where a list belongs',
    yaml: 'servers: { name: files }\n',
    problems: ['servers: expected a list, got a mapping'],
  },
  {
    name: 'out of range',
    yaml: `shutdown: { graceSeconds: 60 }\nrequests: { maxJsonDepth: 1 }\n${SERVER}`,
    problems: ['shutdown.graceSeconds: must be at most 30', 'requests.maxJsonDepth: must be at least 2'],
  },
  {
    name: 'bad enum',
    yaml: `log: { level: verbose }\nunmatchedRequests: drop\n${SERVER}`,
    problems: [
      'log.level: must be one of fatal, error, warn, info, debug, trace, silent',
      'unmatchedRequests: must be one of reject, pass',
    ],
  },
  {
    name: 'unknown store kind',
    yaml: `store: { kind: etcd }\n${SERVER}`,
    problems: ['store.kind: must be one of memory, redis'],
  },
  {
    name: 'affinity header Envoy would refuse to mutate',
    yaml: `${SERVER}    affinity: { header: x-envoy-hash }\n`,
    problems: ['servers.0.affinity.header: must not start with "x-envoy-": Envoy rejects ext_proc mutations of its own headers'],
  },
  {
    name: 'maglev table size that is not prime',
    yaml: `${SERVER}    affinity: { loadBalancer: maglev, tableSize: 65536 }\n`,
    problems: ['servers.0.affinity.tableSize: must be a prime number (Envoy rejects other Maglev table sizes)'],
  },
  {
    name: 'static endpoint that is not ip:port',
    yaml: `${SERVER}    endpoints: { static: [pod-a:8080] }\n`,
    problems: ['servers.0.endpoints.static.0: must be an endpoint "ip:port" as Envoy keys hosts (IPv6 as "[addr]:port"), got "pod-a:8080"'],
  },
  {
    name: 'admin token in plain text',
    yaml: `admin: { tokenSha256: hunter2 }\n${SERVER}`,
    problems: ['admin.tokenSha256: must be the hex SHA-256 of the admin token (64 lower-case hex digits)'],
  },
  {
    name: 'duplicate server names',
    yaml: `${SERVER}  - name: files\n    match: { hosts: [other.example.com] }\n`,
    problems: ['servers.1.name: duplicate server name "files"'],
  },
  {
    name: 'same host and path prefix claimed twice (case-insensitive)',
    yaml: `${SERVER}  - name: other\n    match: { hosts: [MCP.example.com] }\n`,
    problems: ['servers.1.match.hosts.0: host "mcp.example.com" with pathPrefix "/" is already claimed by server "files"'],
  },
  {
    name: 'bad listen addresses',
    yaml: `listen: { grpc: "9001", http: "[::]:70000" }\n${SERVER}`,
    problems: [
      'listen.grpc: must be host:port with port 0..65535 (IPv6 as [::]:9001), got "9001"',
      'listen.http: must be host:port with port 0..65535 (IPv6 as [::]:9001), got "[::]:70000"',
    ],
  },
  {
    name: 'bad hosts',
    yaml: 'servers:\n  - name: files\n    match: { hosts: ["a b", "x.com:443", "api.*.com"] }\n',
    problems: [
      'servers.0.match.hosts.0: must be a host name like "mcp.example.com" or a wildcard like "*.example.com", got "a b"',
      'servers.0.match.hosts.1: must not include a port (ports are ignored when matching)',
      'servers.0.match.hosts.2: a wildcard must be a leading "*." (e.g. "*.example.com")',
    ],
  },
  {
    name: 'empty hosts list',
    yaml: 'servers:\n  - name: files\n    match: { hosts: [] }\n',
    problems: ['servers.0.match.hosts: list at least one host'],
  },
  {
    name: 'bad server name and path prefix',
    yaml: 'servers:\n  - name: Files_1\n    match: { hosts: [a.example.com], pathPrefix: mcp }\n',
    problems: [
      'servers.0.name: must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, got "Files_1"',
      'servers.0.match.pathPrefix: must start with "/" and contain no spaces, "?" or "#", got "mcp"',
    ],
  },
  {
    name: 'maxStringBytes above maxBodyBytes',
    yaml: `requests: { maxBodyBytes: 1000, maxStringBytes: 2000 }\n${SERVER}`,
    problems: ['requests.maxStringBytes: must be at most requests.maxBodyBytes (1000)'],
  },
  { name: 'missing servers', yaml: 'log: { level: info }\n', problems: ['servers: required (list at least one server)'] },
  { name: 'empty servers list', yaml: 'servers: []\n', problems: ['servers: list at least one server'] },
  {
    name: 'missing required field in a server',
    yaml: 'servers:\n  - name: files\n',
    problems: ['servers.0.match: required'],
  },
  { name: 'empty file', yaml: '# nothing yet\n', problems: ['(root): config is empty; expected a mapping with at least "servers"'] },
  { name: 'a list at the top', yaml: '- name: files\n', problems: ['(root): expected a mapping, got a list'] },
  {
    name: 'YAML syntax error',
    yaml: 'servers:\n  - name: files\n   match: x\n',
    problems: ['(root): YAML syntax error at 3:1: Sequence item without - indicator'],
  },
  {
    name: 'unquoted wildcard read as a YAML alias',
    yaml: 'servers:\n  - name: files\n    match: { hosts: [*.example.com] }\n',
    problems: ['(root): YAML syntax error at 3:22: *.example.com reads as an alias to an undefined anchor; quote values that start with "*", e.g. "*.example.com"'],
  },
  {
    name: 'duplicate YAML key',
    yaml: `log: { level: info }\nlog: { level: debug }\n${SERVER}`,
    problems: ['(root): YAML syntax error at 2:1: Map keys must be unique'],
  },
  {
    name: 'several problems are all reported at once',
    yaml: `log: { level: loud }\n${SERVER}  - name: files\n    match: { hosts: [b.example.com] }\n    tools: { alow: [] }\n`,
    problems: ['log.level: must be one of fatal, error, warn, info, debug, trace, silent', 'servers.1.tools.alow: unknown field', 'servers.1.name: duplicate server name "files"'],
  },
];

for (const row of rows) {
  test(`rejects: ${row.name}`, () => {
    assert.deepEqual(parseConfig(row.yaml), { ok: false, problems: row.problems });
  });
}

test('every problem is one line of the form "path: message"', () => {
  for (const row of rows) {
    const r = parseConfig(row.yaml);
    assert.equal(r.ok, false);
    if (r.ok) continue;
    for (const p of r.problems) assert.match(p, /^(\(root\)|[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*): [^\n]+$/, p);
  }
});
