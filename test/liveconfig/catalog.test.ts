// The API source through the catalog the control API codes against, on one replica (memory store):
// an applied server serves the next request, a refused one changes nothing and says which field, a
// removal ends the server's sessions, and every change moves the configuration version.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigRejected, type ConfigCatalog } from '../../src/liveconfig/index.js';
import { startGateway, testConfig, type RunningGateway } from '../grpc/harness.js';
import { metricVersion, server, statusOf } from './support.js';

describe('live configuration: the API source', () => {
  let gw: RunningGateway;
  let catalog: ConfigCatalog;
  before(async () => {
    gw = await startGateway(testConfig());
    catalog = gw.service.catalog!;
  });
  after(() => gw.close());

  it('lists the file\'s servers with their origin and the running version', async () => {
    const [files] = catalog.servers();
    assert.equal(files?.name, 'files');
    assert.equal(files?.origin.source, 'file');
    assert.equal(files?.origin.version, catalog.version());
    assert.equal(await metricVersion(gw.httpBase), catalog.version());
  });

  it('applies a server: the next request is served, the version moves, the file\'s server is untouched', async () => {
    const before = catalog.version();
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp'), 404);
    const entry = await catalog.applyServer(server('wiki', 'wiki.test', { tools: { deny: ['erase_*'] } }));
    assert.equal(entry.origin.source, 'api');
    assert.notEqual(catalog.version(), before);
    assert.equal(entry.origin.version, catalog.version());
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp'), 200);
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp', 'erase_all'), 403);
    assert.equal(catalog.server('files')?.origin.version, before, 'an unchanged server keeps the version it last changed in');
    assert.equal(await metricVersion(gw.httpBase), catalog.version());
  });

  it('changes a tool rule of an applied server for the next request', async () => {
    await catalog.applyServer(server('wiki', 'wiki.test', { tools: { deny: ['echo'] } }));
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp'), 403);
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp', 'erase_all'), 200);
  });

  it('refuses an invalid server with every problem, relative to the server, and keeps serving', async () => {
    const before = catalog.version();
    await assert.rejects(catalog.applyServer(server('wiki', 'wiki.test', { tools: { allow: [''] }, colour: 'blue' })), (err: unknown) => {
      assert.ok(err instanceof ConfigRejected);
      assert.deepEqual(err.problems.map((p) => p.path).sort(), ['colour', 'tools.allow.0']);
      return true;
    });
    await assert.rejects(catalog.applyServer(server('clash', 'mcp.test')), (err: unknown) => {
      assert.ok(err instanceof ConfigRejected);
      assert.deepEqual(err.problems, [{ path: 'match.hosts.0', message: 'host "mcp.test" with pathPrefix "/mcp" is already claimed by server "files"' }]);
      return true;
    });
    await assert.rejects(catalog.applyServer('wiki'), ConfigRejected);
    assert.equal(catalog.version(), before);
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp', 'erase_all'), 200);
    assert.match(gw.logs.join(''), /configuration change refused; still serving version/);
  });

  it('removes an API server (404 for the next request); a file server is removed in the file, not here', async () => {
    assert.equal(await catalog.deleteServer('wiki'), true);
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp'), 404);
    assert.equal(await catalog.deleteServer('wiki'), false);
    await assert.rejects(catalog.deleteServer('files'), (err: unknown) => err instanceof ConfigRejected && /comes from file/.test(err.message));
    assert.equal(await statusOf(gw, 'mcp.test', '/mcp'), 200);
  });

  it('a file change to a restart-only setting is logged and ignored; the rest of it applies', async () => {
    const changed = testConfig({ listen: { grpc: '127.0.0.1:1', http: '127.0.0.1:2' }, servers: [{ name: 'files', match: { hosts: ['mcp.test'], pathPrefix: '/mcp' }, tools: { deny: ['echo'] } }] });
    assert.equal(await gw.service.reloadFile({ ok: true, config: changed }), 'applied');
    assert.match(gw.logs.join(''), /"settings":\["listen"\].*these settings only change on restart/);
    assert.equal(await statusOf(gw, 'mcp.test', '/mcp'), 403);
    assert.equal(await gw.service.reloadFile({ ok: true, config: changed }), 'unchanged');
    assert.equal(await gw.service.reloadFile({ ok: false, problems: ['servers.0.name: required'] }), 'rejected');
    assert.equal(await gw.service.reloadFile({ ok: true, config: testConfig() }), 'applied');
    assert.equal(await statusOf(gw, 'mcp.test', '/mcp'), 200);
  });

  it('an API server of a file server\'s name takes precedence until it is deleted', async () => {
    await catalog.applyServer(server('files', 'mcp.test', { tools: { deny: ['echo'] } }));
    assert.equal(catalog.server('files')?.origin.source, 'api');
    assert.equal(await statusOf(gw, 'mcp.test', '/mcp'), 403);
    await catalog.deleteServer('files');
    assert.equal(catalog.server('files')?.origin.source, 'file');
    assert.equal(await statusOf(gw, 'mcp.test', '/mcp'), 200);
  });
});
