// Renders kustomizations with the real renderer, `kubectl kustomize` (kustomize v5 built into kubectl).
// No fallback: a machine without kubectl fails these tests with the reason and the fix.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseYamlDocuments, repoPath } from './repo.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const KUBECTL_MISSING =
  'kubectl is not installed, and these tests render every kustomization with `kubectl kustomize`. ' +
  'Install it (kubectl 1.27+ bundles kustomize v5): on Debian, `apt-get install kubectl` from the ' +
  'Kubernetes apt repository (pkgs.k8s.io) or the google-cloud-cli repository; Debian main only has ' +
  'kubernetes-client 1.20, whose kustomize is too old.';

let checked: string | undefined;

/** The kubectl version line, or a thrown error that says how to install it. */
export function kubectlVersion(): string {
  if (checked) return checked;
  let out: string;
  try {
    out = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${KUBECTL_MISSING}\n(${(err as Error).message})`);
  }
  const kustomize = /Kustomize Version: v(\d+)/.exec(out);
  if (!kustomize || Number(kustomize[1]) < 5) throw new Error(`kubectl's bundled kustomize must be v5 or newer; kubectl says:\n${out}`);
  checked = out.trim();
  return checked;
}

/** The `kind` of a directory's kustomization.yaml: Kustomization (applied) or Component (included). */
export function kustomizationKind(relativeDir: string): string {
  const [doc] = parseYamlDocuments(readFileSync(repoPath(relativeDir, 'kustomization.yaml'), 'utf8'), relativeDir) as Array<{ kind?: string }>;
  return doc?.kind ?? 'Kustomization';
}

/**
 * Every directory under `relativeRoot` whose kustomization.yaml has this kind, sorted. Components
 * render only as part of a Kustomization that includes them, so they are validated through those.
 */
export function findKustomizations(relativeRoot: string, kind = 'Kustomization'): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir);
    if (entries.includes('kustomization.yaml') && kustomizationKind(path.relative(repoPath(), dir)) === kind) found.push(path.relative(repoPath(), dir));
    for (const e of entries) {
      const full = path.join(dir, e);
      if (statSync(full).isDirectory()) walk(full);
    }
  };
  walk(repoPath(relativeRoot));
  return found.sort();
}

const rendered = new Map<string, K8sObject[]>();

// kubectl takes ~0.3 s of mostly waiting per render; rendering all directories at once, in parallel
// background jobs of one shell, keeps the suite fast. Each job leaves its output, stderr and status.
const PARALLEL_RENDER = 'out=$1; shift; i=0; for d in "$@"; do (kubectl kustomize "$d" >"$out/$i.yaml" 2>"$out/$i.err"; echo $? >"$out/$i.rc") & i=$((i+1)); done; wait';

/** Renders several kustomizations in parallel into the cache; errors surface in renderKustomization. */
export function renderKustomizations(relativeDirs: string[]): void {
  const todo = relativeDirs.filter((d) => !rendered.has(d));
  if (todo.length < 2) return;
  kubectlVersion();
  const out = mkdtempSync(path.join(tmpdir(), 'mcpgw-kustomize-'));
  try {
    execFileSync('bash', ['-c', PARALLEL_RENDER, 'render', out, ...todo.map((d) => repoPath(d))], { stdio: 'ignore' });
    todo.forEach((dir, i) => {
      if (readFileSync(path.join(out, `${i}.rc`), 'utf8').trim() !== '0') return; // renderKustomization reports it
      rendered.set(dir, parseYamlDocuments(readFileSync(path.join(out, `${i}.yaml`), 'utf8'), `kubectl kustomize ${dir}`) as K8sObject[]);
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `kubectl kustomize <dir>` parsed into objects (cached per directory: rendering costs ~100 ms). */
export function renderKustomization(relativeDir: string): K8sObject[] {
  // The first render of a process renders every kustomization under istio/ at once (all are wanted).
  if (rendered.size === 0) renderKustomizations(findKustomizations('istio'));
  const cachedObjects = rendered.get(relativeDir);
  if (cachedObjects) return cachedObjects;
  kubectlVersion();
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', repoPath(relativeDir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl kustomize ${relativeDir} failed:\n${stderr || (err as Error).message}`);
  }
  const objects = parseYamlDocuments(out, `kubectl kustomize ${relativeDir}`) as K8sObject[];
  rendered.set(relativeDir, objects);
  return objects;
}
