// Upstream credentials from the environment or from files (e.g. mounted Kubernetes Secrets). Files
// are re-read periodically, so a rotated Secret is picked up without a restart; the request path only
// reads the current values.
import { readFile } from 'node:fs/promises';
import type { GatewayConfig } from '../config/index.js';
import type { HeaderToSet, UpstreamCredentials } from '../core/index.js';
import type { Logger } from '../telemetry/index.js';

const REFRESH_MS = 30_000;

export class InjectedCredentials implements UpstreamCredentials {
  private values = new Map<string, HeaderToSet[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly servers: GatewayConfig['servers'],
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  headersFor(server: string): readonly HeaderToSet[] {
    return this.values.get(server) ?? [];
  }

  /** The secret values, so logs can be checked never to contain them. */
  secrets(): string[] {
    return [...this.values.values()].flat().map((h) => h.value);
  }

  async start(): Promise<void> {
    await this.load();
    if (this.servers.some((s) => s.upstream.headers.some((h) => h.fromFile))) {
      this.timer = setInterval(() => void this.load(), REFRESH_MS);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    const next = new Map<string, HeaderToSet[]>();
    for (const s of this.servers) {
      const headers: HeaderToSet[] = [];
      for (const h of s.upstream.headers) {
        const value = await this.read(s.name, h);
        // A missing credential is logged (without any value) and the header left out: the upstream
        // then refuses, which is clearer than sending an empty credential.
        if (value !== undefined) headers.push({ name: h.name, value: `${h.prefix}${value}` });
      }
      if (headers.length) next.set(s.name, headers);
    }
    this.values = next;
  }

  private async read(server: string, h: GatewayConfig['servers'][number]['upstream']['headers'][number]): Promise<string | undefined> {
    try {
      const raw = h.fromEnv !== undefined ? this.env[h.fromEnv] : await readFile(h.fromFile as string, 'utf8');
      const value = raw?.trim();
      if (!value) throw new Error('empty or unset');
      return value;
    } catch (err) {
      this.logger.warn({ server, header: h.name, source: h.fromEnv ? `env ${h.fromEnv}` : `file ${h.fromFile}`, err: (err as Error).message }, 'upstream credential unavailable');
      return undefined;
    }
  }
}
