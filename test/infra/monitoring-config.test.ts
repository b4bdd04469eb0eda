// Offline checks of infra/prometheus and infra/alertmanager: the two forms agree and carry the settings that matter.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_PATHS } from '../../edge/core/app.ts';
import { INFRA, SETTINGS, yamlDocs, type Doc } from './infra-files.ts';

const [rules] = yamlDocs('prometheus/oom-rules.yml');
const [prometheusRule] = yamlDocs('prometheus/prometheus-rule.yaml');
const [alertmanager] = yamlDocs('alertmanager/alertmanager.yml');
const operatorDocs = yamlDocs('alertmanager/alertmanager-config.yaml');
const amConfig = operatorDocs.find((d) => d.kind === 'AlertmanagerConfig')!;
const alertNames = (rules!.groups[0].rules as Doc[]).map((r) => r.alert as string);

/** Every key anywhere in a YAML tree. */
const keysOf = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.flatMap(keysOf)
    : value && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)])
      : [];

describe('infra/prometheus', () => {
  it('ships the same rule group as a plain rules file and as a PrometheusRule', () => {
    expect(prometheusRule!.kind).toBe('PrometheusRule');
    expect(prometheusRule!.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(prometheusRule!.spec.groups).toEqual(rules!.groups);
  });

  const byName = (name: string) => {
    const rule = (rules!.groups[0].rules as Doc[]).find((r) => r.alert === name);
    if (!rule) throw new Error(`no rule ${name} in oom-rules.yml`);
    return rule;
  };

  it('has the three OOM alerts, one per kind of kill, in one group', () => {
    expect(rules!.groups).toHaveLength(1);
    expect(alertNames).toEqual(['KubeContainerOOMKilled', 'KubeContainerProcessOOMKilled', 'HostProcessOOMKilled']);
  });

  it.each([
    ['KubeContainerOOMKilled', 'namespace, pod, container', 'restarts', /\$labels\.pod/],
    ['KubeContainerProcessOOMKilled', 'namespace, pod, container', 'oom_events', /\$labels\.pod/],
    ['HostProcessOOMKilled', 'instance', 'oom_kills', /\$labels\.instance/],
  ])('%s is labelled by (%s), a severity and its counter, with a summary naming what was killed', (name, by, counter, summary) => {
    const rule = byName(name);
    expect(rule.expr).toContain(`by (${by})`);
    expect(rule.expr).not.toMatch(/ignoring|without/);
    expect(rule.labels.severity).toBeDefined();
    // The counter's value in a label: each further kill is a new alert, hence a new bonk.
    expect(rule.labels[counter]).toBe('{{ $value }}');
    expect(rule.annotations.summary).toMatch(summary);
    // Edge-triggered: a bare counter or "last terminated reason" never resolves.
    expect(rule.expr).toMatch(/increase\(\w+(\{[^}]*\})?\[\w+\]/);
    expect(rule.for).toBeUndefined();
  });

  it('leaves kills that restarted the container to KubeContainerOOMKilled, inside Prometheus', () => {
    const rule = byName('KubeContainerProcessOOMKilled');
    const restarted = 'max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[7m])) > 0';
    expect(rule.expr.replace(/\s+/g, ' ')).toContain(`unless on (namespace, pod, container) (${restarted})`);
  });
});

describe('infra/alertmanager', () => {
  const route = alertmanager!.route.routes.find((r: Doc) => r.receiver === 'bonker');
  const webhook = alertmanager!.receivers.find((r: Doc) => r.name === 'bonker').webhook_configs[0] as Doc;

  it('routes every alert of the rules file to the edge webhook with bearer credentials from a file', () => {
    expect(route.matchers).toEqual([`alertname =~ "${alertNames.join('|')}"`]);
    expect(WEBHOOK_PATHS).toContain(new URL(webhook.url).pathname);
    expect(webhook.send_resolved).toBe(true);
    expect(webhook.http_config.authorization).toEqual({ type: 'Bearer', credentials_file: expect.stringMatching(/^\//) });
  });

  it('continues past the bonker route, so the alert still reaches the routes after it (the pager)', () => {
    expect(route.continue).toBe(true);
  });

  it('does not cut alerts with a low max_alerts (cut alerts are never delivered)', () => {
    expect(webhook.max_alerts ?? 0).toBe(0);
  });

  it('has the same route and receiver in the operator\'s AlertmanagerConfig, camelCase only', () => {
    expect(keysOf(amConfig.spec).filter((k) => k.includes('_'))).toEqual([]);
    const spec = amConfig.spec;
    expect(spec.route.groupBy).toEqual(route.group_by);
    // The operator forces it on an AlertmanagerConfig's top-level route; the object says so itself.
    expect(spec.route.continue).toBe(true);
    expect(spec.route.matchers).toEqual([{ name: 'alertname', matchType: '=~', value: alertNames.join('|') }]);
    const hook = spec.receivers[0].webhookConfigs[0];
    expect(hook).toMatchObject({ sendResolved: true, maxAlerts: 0 });
    expect(WEBHOOK_PATHS).toContain(new URL(hook.url).pathname);
    const ref = hook.httpConfig.authorization.credentials;
    const secret = operatorDocs.find((d) => d.kind === 'Secret' && d.metadata.name === ref.name)!;
    expect(secret.metadata.namespace).toBe(amConfig.metadata.namespace);
    expect(Object.keys(secret.stringData)).toContain(ref.key);
  });
});

describe('every BONKER_* name in infra/{prometheus,alertmanager,k8s,systemd}', () => {
  it('is a setting some part reads', () => {
    const known = new Set(Object.values(SETTINGS).flatMap((s) => [...s]));
    const files = ['prometheus', 'alertmanager', 'k8s', 'systemd'].flatMap((dir) =>
      readdirSync(`${INFRA}${dir}`, { withFileTypes: true }).filter((e) => e.isFile()),
    );
    const unknown = files.flatMap((entry) => {
      const text = readFileSync(`${entry.parentPath}/${entry.name}`, 'utf8');
      return [...text.matchAll(/\bBONKER_[A-Z0-9_]+/g)].map((m) => m[0]).filter((name) => !known.has(name)).map((name) => `${entry.name}: ${name}`);
    });
    expect(unknown).toEqual([]);
  });
});
