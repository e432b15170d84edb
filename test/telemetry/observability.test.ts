// istio/observability against the metrics mcpgw really registers: every metric and label a dashboard
// panel or an alert uses must exist, every metric mcpgw defines must be on the dashboard and in
// docs/observability.md, and the manifests must render and match their schemas.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { LimitMetrics } from '../../src/limits/index.js';
import { ConfigMetrics } from '../../src/liveconfig/index.js';
import { createLogger, ExtProcCoverage, GatewayMetrics } from '../../src/telemetry/index.js';
import { validateObject } from '../deploy/k8sSchema.js';
import { promqlRefs } from './promql.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

/** Labels Prometheus adds to every scraped series (PodMonitor target labels), and what a clash renames. */
const TARGET_LABELS = ['job', 'instance', 'pod', 'namespace', 'container', 'endpoint'];
/** Series Prometheus itself produces. */
const PROMETHEUS_SERIES: Record<string, string[]> = { up: [] };

interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { uid: string }; targets?: Array<{ refId: string; expr: string }> }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; definition?: string }> } }
interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface PrometheusRule { apiVersion: string; kind: string; metadata: { name: string }; spec: { groups: Array<{ name: string; rules: Rule[] }> } }

const dashboard = JSON.parse(read('istio/observability/mcpgw-dashboard.json')) as Dashboard;
const rule = parseAllDocuments(read('istio/observability/prometheusrule.yaml'))[0]!.toJS() as PrometheusRule;

const dashboardExprs = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr }))),
  ...dashboard.templating.list.filter((v) => v.definition).map((v) => ({ where: `variable $${v.name}`, expr: v.definition!.replace(/^label_values\((.*),\s*\w+\)$/, '$1') })),
];
const ruleExprs = rule.spec.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));

/** Every series name the registry serves → the labels it carries. Histograms serve _bucket/_sum/_count. */
let served: Map<string, Set<string>>;
let defined: string[];

before(async () => {
  const metrics = new GatewayMetrics();
  metrics.registerLiveSessions(async () => []);
  metrics.registerReadiness(async () => true);
  new LimitMetrics(metrics.registry);
  new ConfigMetrics(metrics.registry);
  new ExtProcCoverage(metrics.registry, createLogger('silent'));
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix: 'mcpgw_' });
  const defaultNames = new Set((await defaults.getMetricsAsJSON()).map((m) => m.name));
  served = new Map(Object.entries(PROMETHEUS_SERIES).map(([n, l]) => [n, new Set(l)]));
  defined = [];
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const labels = new Set<string>((metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? []);
    for (const v of m.values) for (const l of Object.keys(v.labels)) labels.add(l);
    if (!defaultNames.has(m.name)) defined.push(m.name);
    const type = String(m.type);
    if (type === 'histogram') {
      served.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      for (const s of ['_sum', '_count']) served.set(`${m.name}${s}`, labels);
    } else {
      served.set(m.name, labels);
      if (type === 'summary') for (const s of ['_sum', '_count']) served.set(`${m.name}${s}`, labels);
    }
  }
});

function problemsOf(exprs: Array<{ where: string; expr: string }>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of exprs) {
    const refs = promqlRefs(expr);
    const known = new Set(TARGET_LABELS);
    for (const metric of refs.metrics) {
      const labels = served.get(metric);
      if (!labels) {
        problems.push(`${where}: ${metric} is not served by mcpgw`);
        continue;
      }
      for (const l of labels) known.add(l);
    }
    for (const { metric, labels } of refs.matchers) {
      const own = served.get(metric);
      for (const l of labels) if (own && !own.has(l) && !TARGET_LABELS.includes(l)) problems.push(`${where}: ${metric} has no label "${l}"`);
    }
    for (const l of refs.grouping) if (!known.has(l)) problems.push(`${where}: groups by "${l}", which none of its metrics carries`);
  }
  return problems;
}

describe('PromQL reading', () => {
  test('finds metrics, matcher labels and grouping labels, and skips functions, ranges and strings', () => {
    const refs = promqlRefs('histogram_quantile(0.99, sum by (le, hook) (rate(mcpgw_x_bucket{job="$job", hook=~"a|b"}[$__rate_interval]))) > 1e3 and on (pod) up == 0');
    assert.deepEqual([...refs.metrics].sort(), ['mcpgw_x_bucket', 'up']);
    assert.deepEqual(refs.matchers, [{ metric: 'mcpgw_x_bucket', labels: ['job', 'hook'] }]);
    assert.deepEqual([...refs.grouping].sort(), ['hook', 'le', 'pod']);
    assert.throws(() => promqlRefs('sum(rate(x[5m])'), /unbalanced/);
  });

  test('the check catches a misspelt metric, a wrong label and a histogram used without _bucket', () => {
    assert.deepEqual(problemsOf([{ where: 'w', expr: 'sum by (reason) (rate(mcpgw_request_total{job="mcpgw"}[5m]))' }]), [
      'w: mcpgw_request_total is not served by mcpgw',
      'w: groups by "reason", which none of its metrics carries',
    ]);
    assert.deepEqual(problemsOf([{ where: 'w', expr: 'rate(mcpgw_requests_total{tool="x"}[5m])' }]), ['w: mcpgw_requests_total has no label "tool"']);
    assert.deepEqual(problemsOf([{ where: 'w', expr: 'mcpgw_decision_duration_seconds' }]), ['w: mcpgw_decision_duration_seconds is not served by mcpgw']);
  });
});

describe('dashboard', () => {
  test('every metric and label it queries is served by mcpgw', () => {
    assert.ok(dashboardExprs.length > 20);
    assert.deepEqual(problemsOf(dashboardExprs), []);
  });

  test('every metric mcpgw defines has a panel', () => {
    const used = new Set(dashboardExprs.flatMap(({ expr }) => [...promqlRefs(expr).metrics].map((m) => m.replace(/_(bucket|sum|count)$/, ''))));
    assert.deepEqual(defined.filter((m) => !used.has(m)), []);
  });

  test('panels are well formed: unique ids and refIds, the datasource variable, inside the 24-column grid', () => {
    assert.equal(dashboard.uid, 'mcpgw-overview');
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.ok(refIds.length > 0 && new Set(refIds).size === refIds.length, p.title);
    }
  });
});

describe('alert rules', () => {
  const rules = rule.spec.groups.flatMap((g) => g.rules);

  test('every metric and label they use is served by mcpgw', () => {
    assert.deepEqual(problemsOf(ruleExprs), []);
  });

  test('cover readiness, decision latency, Redis, lost sessions and pinning', () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const m of ['up{', 'mcpgw_ready', 'mcpgw_decision_duration_seconds_bucket', 'mcpgw_store_errors_total', 'mcpgw_sessions_ended_total', 'mcpgw_session_pinning_corrections_total']) {
      assert.ok(exprs.includes(m), m);
    }
  });

  test('each alert is named once, has a duration, a severity and a summary and description', () => {
    const names = rules.map((r) => r.alert);
    assert.equal(new Set(names).size, names.length);
    for (const r of rules) {
      assert.match(r.alert ?? '', /^Mcpgw[A-Z]\w+$/);
      assert.match(r.for ?? '', /^\d+[smh]$/, r.alert);
      assert.ok(['critical', 'warning'].includes(r.labels?.['severity'] ?? ''), r.alert);
      assert.ok(r.annotations?.['summary'] && r.annotations['description'], r.alert);
      assert.deepEqual(Object.keys(r.annotations!).sort(), ['description', 'summary'], r.alert);
    }
  });
});

describe('manifests', () => {
  const rendered = parseAllDocuments(execFileSync('kubectl', ['kustomize', path.join(root, 'istio/observability')], { encoding: 'utf8' })).map(
    (d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; data?: Record<string, string> },
  );

  test('kubectl kustomize renders the dashboard ConfigMap, the PodMonitor and the PrometheusRule', () => {
    assert.deepEqual(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['ConfigMap/mcpgw-dashboard', 'PodMonitor/mcpgw', 'PrometheusRule/mcpgw']);
    for (const o of rendered) assert.equal(o.metadata.namespace, 'mcpgw-system');
    const cm = rendered.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(cm.metadata.labels?.['grafana_dashboard'], '1');
    assert.equal(cm.data?.['mcpgw-dashboard.json'], read('istio/observability/mcpgw-dashboard.json'));
  });

  test('the PodMonitor scrapes the ops port the Deployment names, with job="mcpgw"', () => {
    const pm = rendered.find((o) => o.kind === 'PodMonitor') as unknown as { spec: { jobLabel: string; selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Array<{ port: string; path: string }> } };
    assert.equal(pm.spec.selector.matchLabels[pm.spec.jobLabel], 'mcpgw');
    assert.ok(read('istio/base/deployment.yaml').includes(`name: ${pm.spec.podMetricsEndpoints[0]!.port}`));
    assert.equal(pm.spec.podMetricsEndpoints[0]!.path, '/metrics');
  });

  test('the rendered PrometheusRule matches the prometheus-operator schema, unknown fields included', async () => {
    const pr = rendered.find((o) => o.kind === 'PrometheusRule')!;
    assert.deepEqual(await validateObject(pr), { schemaErrors: [], unknownFields: [] });
    const bad = structuredClone(pr) as unknown as PrometheusRule;
    (bad.spec.groups[0]!.rules[0] as unknown as Record<string, unknown>)['expresion'] = 'up';
    assert.deepEqual((await validateObject(bad)).unknownFields, ['$.spec.groups[0].rules[0].expresion']);
  });
});

describe('docs/observability.md', () => {
  test('documents every metric mcpgw defines and every alert', () => {
    const doc = read('docs/observability.md');
    assert.deepEqual(defined.filter((m) => !doc.includes(`\`${m}\``)), []);
    assert.deepEqual(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert!)).filter((a) => !doc.includes(a)), []);
  });
});
