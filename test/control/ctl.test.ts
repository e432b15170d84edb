// `mcpgw ctl` as a real process (bin/mcpgw.js) against a running mcpgw: tables for people, -o json /
// yaml for scripts, address and token from flags or environment, and exit statuses that say what
// went wrong.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { connectClient } from '../fixtures/index.js';
import { ADMIN_TOKEN, AFFINITY, pinningConfig } from '../e2e/pinning.js';
import { startStack, type Stack } from '../e2e/stack.js';
import { TestCerts } from '../support/certs.js';
import { TestCatalog } from './catalog.js';

const BIN = new URL('../../bin/mcpgw.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const { MCPGW_ADMIN_TOKEN: _t, MCPGW_ADDR: _a, ...inherited } = process.env;
    execFile(process.execPath, [BIN, 'ctl', ...args], { env: { ...inherited, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('mcpgw ctl', () => {
  let stack: Stack;
  let env: Record<string, string>;
  const files = new TestCerts();
  const catalog = new TestCatalog();
  before(async () => {
    stack = await startStack({
      configFor: (pods) => {
        const config = pinningConfig(pods, { top: { limits: [{ name: 'acme-quota', per: ['tenant'], match: { tenants: ['acme'] }, quota: { requests: 100, window: 'day' } }] } });
        catalog.load(config);
        return config;
      },
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
      service: { catalog },
    });
    env = { MCPGW_ADDR: stack.grpcTarget, MCPGW_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  after(async () => {
    await stack.close();
    files.remove();
  });

  // Each run is a whole CLI process, so the cases are few and independent ones run side by side.
  it('servers: ls (a table), apply -f, get -o json; a file server cannot be removed; a bad spec names the field', async () => {
    writeFileSync(files.path('extra.yaml'), 'name: extra\nmatch:\n  hosts: [extra.test]\n  pathPrefix: /mcp\ntools:\n  allow: [echo]\n');
    writeFileSync(files.path('bad.yaml'), 'name: bad\nmatch:\n  hosts: [3]\n');
    const [ls, apply, fileServer, bad] = await Promise.all([
      ctl(['servers', 'ls'], env),
      ctl(['servers', 'apply', '-f', files.path('extra.yaml')], env),
      ctl(['servers', 'rm', 'demo'], env),
      ctl(['servers', 'apply', '-f', files.path('bad.yaml')], env),
    ]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+SOURCE\s+REF\s+VERSION\s+HOSTS\n/);
    assert.match(ls.stdout, /\ndemo\s+file\s+/);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /^server extra applied \(version v\d+\)\n$/);
    assert.equal(fileServer.code, 1);
    assert.match(fileServer.stderr, /^mcpgw ctl: FAILED_PRECONDITION: /);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_ARGUMENT: spec\.match\.hosts\.0: /);

    const get = await ctl(['servers', 'get', 'extra', '-o', 'json'], env);
    assert.equal(get.code, 0, get.stderr);
    const server = JSON.parse(get.stdout) as { name: string; origin: { source: string }; spec: { tools: { allow: string[] } } };
    assert.equal(server.origin.source, 'CONFIG_SOURCE_API');
    assert.deepEqual(server.spec.tools.allow, ['echo']);
  });

  it('pods drain and ls; sessions ls -o yaml and end (again: not found)', async () => {
    const pod = stack.pods[0]?.hostKey as string;
    const { client, transport } = await connectClient(stack.url);
    const id = transport.sessionId as string;
    const [drain, sessions] = await Promise.all([ctl(['pods', 'drain', pod, '-o', 'json'], env), ctl(['sessions', 'ls', '--server', 'demo', '--limit', '500', '-o', 'yaml'], env)]);
    assert.equal(drain.code, 0, drain.stderr);
    assert.equal((JSON.parse(drain.stdout) as { draining: boolean }).draining, true);
    assert.equal(sessions.code, 0, sessions.stderr);
    const listed = YAML.parse(sessions.stdout) as { sessions: Array<{ id: string; kind: string }> };
    assert.ok(listed.sessions.some((s) => s.id === id && s.kind === 'SESSION_KIND_STREAMABLE'));

    const [pods, end] = await Promise.all([ctl(['pods', 'ls', '--server', 'demo'], env), ctl(['sessions', 'end', id], env)]);
    assert.match(pods.stdout, /^SERVER\s+POD\s+READY\s+IN LB\s+CONVERGING\s+DRAINING\s+SESSIONS\n/);
    assert.match(pods.stdout, new RegExp(`demo\\s+${pod.replace(/\./g, '\\.')}\\s+true\\s+true\\s+false\\s+admin\\s+\\d+`));
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, new RegExp(`^session ${id} of demo ended\n$`));
    const again = await ctl(['sessions', 'end', id], env);
    assert.equal(again.code, 4, 'already ended: not found');
    assert.match(again.stderr, /^mcpgw ctl: NOT_FOUND: /);
    await client.close().catch(() => undefined);
  });

  it('quota set -o json, then get (a table); config version with address and token from flags', async () => {
    const set = await ctl(['quota', 'set', 'acme', 'acme-quota=9', '-o', 'json'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((JSON.parse(set.stdout) as { limits: Array<{ override: string }> }).limits[0]?.override, '9');
    const [get, version] = await Promise.all([ctl(['quota', 'get', 'acme'], env), ctl(['--addr', stack.grpcTarget, '--token', ADMIN_TOKEN, 'config', 'version'])]);
    assert.match(get.stdout, /^tenant acme\nLIMIT\s+KIND\s+PER\s+CONFIGURED\s+OVERRIDE\s+EFFECTIVE/);
    assert.match(get.stdout, /\nacme-quota\s+quota\s+tenant\s+100\s+9\s+9/);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^version v\d+\nKIND\s+NAME\s+SOURCE\s+REF\s+VERSION\nserver\s+demo\s+file\s+/);
  });

  it('exit statuses: 3 without the token, 2 for a usage error, 5 when mcpgw is unreachable', async () => {
    const [noToken, usage, unreachable] = await Promise.all([
      ctl(['--addr', stack.grpcTarget, 'pods', 'ls']),
      ctl(['pods', 'frobnicate'], env),
      ctl(['--addr', '127.0.0.1:1', 'pods', 'ls'], env),
    ]);
    assert.equal(noToken.code, 3);
    assert.match(noToken.stderr, /^mcpgw ctl: UNAUTHENTICATED: admin credential required/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown command "pods frobnicate"/);
    assert.match(usage.stderr, /usage: mcpgw ctl/);
    assert.equal(unreachable.code, 5);
    assert.match(unreachable.stderr, /UNAVAILABLE/);
  });
});
