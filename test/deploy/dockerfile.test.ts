// The image recipe reviewed against what docs/deployment.md promises (multi-stage, production
// dependencies only, non-root, nothing secret baked in, a .dockerignore), and envoy/compose.yaml's
// references checked, since no Docker engine runs in CI to try them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { at, oneObject } from './manifests.js';
import { readText, readYaml, repoPath } from './repo.js';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** A stage's name: `FROM image AS name`. */
const stageName = (stage: Instruction[]): string | undefined => /\sAS\s+(\S+)$/i.exec(stage[0]?.args ?? '')?.[1];

/** Instructions grouped by stage (each FROM starts one). */
function stages(all: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of all) {
    if (i.op === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|AUTH/i;
const SECRET_FILE = /(^|\/)(\.npmrc|\.env[^/]*|id_rsa[^/]*|[^/]*\.pem|[^/]*\.key)$/;

describe('Dockerfile', () => {
  const all = instructions(readText('Dockerfile'));
  const byStage = stages(all);
  // The shipped image is the `runtime` stage; the default target (the last stage) is that image unchanged.
  const final = byStage.find((st) => stageName(st) === 'runtime') ?? [];
  const bridge = byStage.find((st) => stageName(st) === 'bridge') ?? [];

  test('the default target is the runtime image unchanged; the bridge target is that image with `mcpgw bridge` as its command', () => {
    assert.deepEqual(byStage.at(-1), [{ op: 'FROM', args: 'runtime' }]);
    assert.equal(bridge[0]?.args, 'runtime AS bridge');
    const bin = (JSON.parse(readText('package.json')) as { bin: Record<string, string> }).bin['mcpgw'];
    const entrypoint = JSON.parse(bridge.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    assert.deepEqual(entrypoint.slice(0, 3), ['node', bin, 'bridge']);
    const port = entrypoint[entrypoint.indexOf('--port') + 1];
    assert.ok(bridge.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes(port ?? '')), `the bridge port ${port} is exposed`);
    // The inherited `serve` command is dropped: the server's command line comes as the container's args.
    assert.deepEqual(JSON.parse(bridge.find((i) => i.op === 'CMD')?.args ?? 'null'), []);
    assert.ok(!bridge.some((i) => i.op === 'USER' || i.op === 'RUN'), 'the bridge target keeps the runtime user (10001) and adds nothing');
    assert.ok(readText('docs/bridge.md').includes('--target bridge'), 'docs/bridge.md says how to build it');
  });

  test('is multi-stage and the final stage takes only build output from the build stage', () => {
    assert.ok(byStage.length >= 2, 'one stage compiles, another ships');
    assert.ok(final.some((i) => (i.op === 'COPY' && i.args.startsWith('--from='))), 'the final stage copies the compiled output');
    assert.ok(!final.some((i) => i.op === 'RUN' && /\btsc\b/.test(i.args)), 'no compiler in the shipped stage');
  });

  test('installs production dependencies only, from the lockfile, without install scripts', () => {
    const installs = final.filter((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
    assert.equal(installs.length, 1);
    assert.match(installs[0]!.args, /npm ci\b.*--omit=dev/);
    assert.match(installs[0]!.args, /--ignore-scripts/);
  });

  test('runs as the numeric non-root user the Deployment requires', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args;
    assert.ok(user, 'no USER in the final stage');
    const uid = Number(user.split(':')[0]);
    assert.ok(Number.isInteger(uid) && uid > 0, `USER ${user} must be a numeric non-root uid (runAsNonRoot cannot check names)`);
    const pod = oneObject('istio/base', 'Deployment', 'mcpgw');
    assert.equal(at(pod, 'spec.template.spec.securityContext.runAsUser'), uid);
  });

  test('bakes in no secrets: no secret-looking ENV/ARG, no credential files copied', () => {
    for (const i of all) {
      if (i.op === 'ENV' || i.op === 'ARG') assert.doesNotMatch(i.args.split(/[=\s]/)[0] ?? '', SECRET_NAME, `${i.op} ${i.args}`);
      if (i.op === 'COPY' || i.op === 'ADD') {
        for (const src of i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1)) assert.doesNotMatch(src, SECRET_FILE, `${i.op} ${i.args}`);
      }
      if (i.op === 'RUN') assert.doesNotMatch(i.args, /--mount=type=secret|_authToken|NPM_TOKEN/, 'registry credentials belong to the build machine');
    }
  });

  test('its entrypoint is the package\'s mcpgw bin, and the Deployment passes serve --config', () => {
    const bin = (JSON.parse(readText('package.json')) as { bin: Record<string, string> }).bin['mcpgw'];
    const entrypoint = final.find((i) => i.op === 'ENTRYPOINT')?.args;
    assert.deepEqual(JSON.parse(entrypoint ?? '[]'), ['node', bin]);
    const args = at(oneObject('istio/base', 'Deployment', 'mcpgw'), 'spec.template.spec.containers') as Array<{ args: string[]; image: string }>;
    assert.equal(args[0]?.args[0], 'serve');
    assert.match(args[0]?.image ?? '', /^ghcr\.io\/mcp-mesh-gateway\/mcpgw:\d+\.\d+\.\d+$/, 'a pinned release tag, never latest');
  });

  test('.dockerignore exists and keeps the context to what the Dockerfile copies', () => {
    assert.ok(existsSync(repoPath('.dockerignore')));
    const lines = readText('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const allowList = lines[0] === '*';
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    if (allowList) {
      for (const i of all.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from='))) {
        for (const src of i.args.split(/\s+/).slice(0, -1)) {
          const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
          assert.ok(allowed.some((a) => clean === a || clean.startsWith(`${a}/`)), `COPY ${src} is excluded by .dockerignore`);
        }
      }
      for (const a of allowed) assert.doesNotMatch(a, /^(node_modules|\.git|\.env|dist)/);
    } else {
      for (const must of ['node_modules', '.git', '.env']) assert.ok(lines.some((l) => l.startsWith(must)), `.dockerignore must exclude ${must}`);
    }
  });

  test('docs/deployment.md describes the same image', () => {
    const docs = readText('docs/deployment.md');
    for (const phrase of ['multi-stage', 'npm ci --omit=dev', '10001', '.dockerignore']) assert.ok(docs.includes(phrase), `docs/deployment.md does not mention ${phrase}`);
  });
});

/** Whether a Node version satisfies an npm `engines.node` range (the forms packages use: ||, spaces, >= > <= < ^ ~, X, X.x, *). */
function satisfies(version: [number, number, number], range: string): boolean {
  const cmp = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const parts = (v: string) => {
    const [major = 0, minor = 0, patch = 0] = v.split('.').map((x) => (x === 'x' || x === '*' ? 0 : Number(x)));
    return [major, minor, patch];
  };
  const one = (c: string): boolean => {
    const m = /^(>=|<=|>|<|\^|~|=)?v?(.*)$/.exec(c.trim())!;
    const op = m[1] ?? '';
    const spec = m[2]!;
    if (spec === '*' || spec === '') return true;
    const p = parts(spec);
    const d = cmp(version, p);
    const given = spec.split('.').filter((x) => x !== 'x' && x !== '*').length;
    switch (op) {
      case '>=': return d >= 0;
      case '>': return d > 0;
      case '<=': return d <= 0;
      case '<': return d < 0;
      case '^': return d >= 0 && version[0] === p[0];
      case '~': return d >= 0 && version[0] === p[0] && (given < 2 || version[1] === p[1]);
      default: return version[0] === p[0] && (given < 2 || version[1] === p[1]) && (given < 3 || version[2] === p[2]);
    }
  };
  // ">= 10.16.0": an operator may stand apart from its version.
  return range.split('||').some((alt) => alt.trim().replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1').split(/\s+/).every(one));
}

describe('the supported Node.js runtime', () => {
  const all = instructions(readText('Dockerfile'));
  const pkg = JSON.parse(readText('package.json')) as { engines: { node: string } };
  const image = /^ARG NODE_IMAGE=(.+)$/m.exec(readText('Dockerfile'))?.[1] ?? '';
  const imageMajor = Number(/^node:(\d+)-/.exec(image)?.[1]);

  test('both stages build on the one NODE_IMAGE: a Node LTS line, by tag or pinned by digest', () => {
    const bases = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    // The other stages (bridge, the default target) build on the runtime stage.
    assert.deepEqual(bases.filter((b) => b !== 'runtime'), ['${NODE_IMAGE}', '${NODE_IMAGE}']);
    assert.match(image, /^node:\d+-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/);
    assert.equal(imageMajor % 2, 0, 'even majors become LTS; odd ones never do');
    assert.ok(imageMajor >= 22, `Node ${imageMajor} is past its end of life`);
    assert.ok(satisfies([imageMajor, 0, 0], pkg.engines.node), `the image's Node ${imageMajor} is outside engines ${pkg.engines.node}`);
  });

  // Runtime dependencies run on every supported line; devDependencies only in the build stage, on the image's line.
  test('every runtime dependency accepts every supported Node line, every dev dependency the image line (no EBADENGINE there)', () => {
    const lock = JSON.parse(readText('package-lock.json')) as { packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }> };
    const minimum = Number(/^>=(\d+)$/.exec(pkg.engines.node)?.[1]);
    assert.ok(minimum >= 22, `engines.node ${pkg.engines.node}: the oldest supported line must be an LTS still maintained`);
    const lines: Array<[number, number, number]> = [];
    for (let major = minimum; major <= imageMajor; major += 2) lines.push([major, 0, 0]);
    const refusing = Object.entries(lock.packages).flatMap(([name, p]) => {
      const range = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      const checked = p.dev ? lines.filter((v) => v[0] === imageMajor) : lines;
      return range ? checked.filter((v) => !satisfies(v, range)).map((v) => `${name || '(root)'} needs ${range}, not ${v[0]}`) : [];
    });
    assert.deepEqual(refusing, []);
  });

  test('the range check reads the forms the lockfile uses', () => {
    assert.equal(satisfies([22, 0, 0], '^18.19.0 || >=20.6.0'), true);
    assert.equal(satisfies([20, 5, 0], '^18.19.0 || >=20.6.0'), false);
    assert.equal(satisfies([21, 0, 0], '20 || >=22'), false);
    assert.equal(satisfies([24, 0, 0], '^16 || ^18 || >=20'), true);
    assert.equal(satisfies([22, 0, 0], '>=18 <22'), false);
    assert.equal(satisfies([22, 0, 0], '>= 10.16.0'), true);
  });

  test('docs/deployment.md says how to pin and refresh the base image', () => {
    const docs = readText('docs/deployment.md');
    assert.ok(docs.includes('scripts/pin-node-image.sh'));
    assert.ok(docs.includes(`Node.js ${imageMajor}`));
  });
});

describe('envoy/compose.yaml', () => {
  const [compose] = readYaml('envoy/compose.yaml') as Array<{ services: Record<string, Record<string, unknown>> }>;
  const services = compose!.services;

  test('runs Envoy, mcpgw, Redis and two MCP servers', () => {
    assert.deepEqual(Object.keys(services).sort(), ['envoy', 'mcp-server-a', 'mcp-server-b', 'mcpgw', 'redis']);
  });

  test('pins Envoy to a v1.3x release of the official image', () => {
    assert.match(String(services['envoy']?.['image']), /^envoyproxy\/envoy:v1\.3\d\.\d+$/);
  });

  test('every build context and mounted file exists', () => {
    const base = repoPath('envoy');
    for (const [name, svc] of Object.entries(services)) {
      const build = svc['build'] as string | { context: string; dockerfile?: string } | undefined;
      if (build !== undefined) {
        const context = path.resolve(base, typeof build === 'string' ? build : build.context);
        const dockerfile = typeof build === 'string' ? 'Dockerfile' : build.dockerfile ?? 'Dockerfile';
        assert.ok(existsSync(path.join(context, dockerfile)), `${name}: no ${dockerfile} in ${context}`);
      }
      for (const volume of (svc['volumes'] as string[] | undefined) ?? []) {
        const [source] = volume.split(':');
        assert.ok(existsSync(path.resolve(base, source ?? '')), `${name}: ${source} does not exist`);
      }
    }
  });

  test('mcpgw gets envoy/gateway.yaml at the path its command passes to --config', () => {
    const mcpgw = services['mcpgw']!;
    const command = mcpgw['command'] as string[];
    const configPath = command[command.indexOf('--config') + 1];
    assert.ok((mcpgw['volumes'] as string[]).includes(`./gateway.yaml:${configPath}:ro`));
  });

  test('Envoy gets envoy.yaml, and its hostnames are the compose service names', () => {
    assert.ok((services['envoy']!['volumes'] as string[]).some((v) => v.startsWith('./envoy.yaml:')));
    const text = readText('envoy/envoy.yaml');
    for (const host of ['mcpgw', 'mcp-server-a', 'mcp-server-b']) assert.match(text, new RegExp(`address: ${host}, port_value`));
  });
});
