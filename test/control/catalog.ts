// A small in-test ConfigCatalog: the file's servers plus API-applied ones, each change validated as a
// whole gateway config (parseConfig) and given the next version. Stands in for the live-config
// runtime, which supplies the real one.
import { parseConfig, type GatewayConfig, type ServerConfig } from '../../src/config/index.js';
import { ConfigRejected, type ConfigCatalog, type ServerEntry } from '../../src/liveconfig/index.js';

export class TestCatalog implements ConfigCatalog {
  private n = 1;
  private readonly entries = new Map<string, ServerEntry>();

  /** The file's servers, as the catalog starts with them. */
  load(config: GatewayConfig, file = '/etc/mcpgw/gateway.yaml'): this {
    for (const spec of config.servers) this.entries.set(spec.name, { name: spec.name, origin: { source: 'file', ref: file, version: 'v1' }, spec });
    return this;
  }

  version(): string {
    return `v${this.n}`;
  }

  servers(): ServerEntry[] {
    return [...this.entries.values()];
  }

  server(name: string): ServerEntry | undefined {
    return this.entries.get(name);
  }

  async applyServer(spec: unknown): Promise<ServerEntry> {
    const others = this.servers().filter((e) => e.name !== (spec as { name?: unknown }).name).map((e) => e.spec);
    const result = parseConfig(JSON.stringify({ servers: [spec, ...others] }));
    if (!result.ok) {
      const mine = result.problems.filter((p) => p.startsWith('servers.0.') || !p.startsWith('servers.'));
      throw new ConfigRejected((mine.length ? mine : result.problems).map((p) => {
        const at = p.indexOf(': ');
        return { path: p.slice(0, at).replace(/^servers\.0\.?/, ''), message: p.slice(at + 2) };
      }));
    }
    const parsed = result.config.servers[0] as ServerConfig;
    this.n += 1;
    const entry: ServerEntry = { name: parsed.name, origin: { source: 'api', ref: 'api', version: this.version() }, spec: parsed };
    this.entries.set(parsed.name, entry);
    return entry;
  }

  async deleteServer(name: string): Promise<boolean> {
    const e = this.entries.get(name);
    if (!e) return false;
    if (e.origin.source !== 'api') throw new ConfigRejected([{ path: 'name', message: `comes from the ${e.origin.source} (${e.origin.ref}); remove it there` }]);
    this.entries.delete(name);
    this.n += 1;
    return true;
  }
}
