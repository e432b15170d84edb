// Envoy's official API protos as protobufjs reflection types, for checking shipped Envoy YAML.
// The same proto tree mcpgw serves from (src/envoy: @grpc/grpc-js-xds deps), never a vendored copy.
// Types are loaded on demand by package: `envoy.extensions.filters.http.ext_proc.v3.X` loads every
// .proto in envoy/extensions/filters/http/ext_proc/v3/, so any `@type` in a config can be resolved
// without a hand-kept list of files.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';
import { envoyProtoIncludeDirs } from '../../src/envoy/index.js';

const require = createRequire(import.meta.url);
// descriptor.proto and friends are not among protobufjs's built-in common types; it ships them as files.
const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
const includeDirs = [...envoyProtoIncludeDirs(), protobufjsDir];

export type ProtoType = protobuf.Type;

export class EnvoyProtoRoot {
  private readonly root = new protobuf.Root();
  private readonly loadedPackages = new Set<string>();

  constructor() {
    // google/protobuf/{any,duration,struct,...}.proto are protobufjs built-ins: an unresolved name
    // falls through to them.
    this.root.resolvePath = (_origin, target) => {
      for (const dir of includeDirs) {
        const candidate = path.join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
  }

  /** The message type with this full name (no leading dot), loading its package if needed; undefined if none. */
  lookupMessage(fullName: string): ProtoType | undefined {
    const found = this.tryLookup(fullName);
    if (found) return found;
    const pkg = fullName.split('.').slice(0, -1);
    // Nested messages (Pkg.Outer.Inner): try the shorter package paths too.
    for (let n = pkg.length; n > 0; n--) {
      if (this.loadPackage(pkg.slice(0, n).join('/'))) {
        const again = this.tryLookup(fullName);
        if (again) return again;
      }
    }
    return undefined;
  }

  /** Resolves a `type.googleapis.com/<name>` Any URL to its message type. */
  lookupTypeUrl(url: string): ProtoType | undefined {
    const slash = url.lastIndexOf('/');
    if (slash < 0) return undefined;
    return this.lookupMessage(url.slice(slash + 1));
  }

  private tryLookup(fullName: string): ProtoType | undefined {
    try {
      return this.root.lookupType(fullName);
    } catch {
      return undefined;
    }
  }

  /** Loads every .proto of a package directory; false if no include dir has it. */
  private loadPackage(dir: string): boolean {
    if (this.loadedPackages.has(dir)) return false;
    this.loadedPackages.add(dir);
    const files = includeDirs.flatMap((inc) => {
      const full = path.join(inc, dir);
      return existsSync(full) ? readdirSync(full).filter((f) => f.endsWith('.proto')).map((f) => `${dir}/${f}`) : [];
    });
    if (files.length === 0) return false;
    this.root.loadSync(files, { keepCase: true });
    this.root.resolveAll();
    return true;
  }
}
