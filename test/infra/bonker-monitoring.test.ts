// Offline checks of the bonker's own monitoring: the two forms of the health rules agree, and the scrape jobs, the
// ServiceMonitors and the alerts name the same jobs and Services (the live check is test/interop/monitoring.test.ts).
import { describe, expect, it } from 'vitest';
import { readInfra, yamlDocs, type Doc } from './infra-files.ts';

const [plainRules] = yamlDocs('prometheus/bonker-health-rules.yml');
const [operatorRules] = yamlDocs('prometheus/bonker-health-rule.yaml');
const [scrape] = yamlDocs('prometheus/scrape-configs.yml');
const monitors = yamlDocs('k8s/monitoring.yaml');
const services = ['edge.yaml', 'broker.yaml'].flatMap((file) => yamlDocs(`k8s/${file}`)).filter((d) => d.kind === 'Service');
const dashboard = JSON.parse(readInfra('grafana/oom-bonker.json')) as { panels: Doc[]; templating: { list: Doc[] } };

describe('the bonker health rules', () => {
  it('ship the same group as a plain rules file and as a PrometheusRule', () => {
    expect(operatorRules!.kind).toBe('PrometheusRule');
    expect(operatorRules!.spec.groups).toEqual(plainRules!.groups);
  });

  it('name the scrape jobs that scrape-configs.yml and the ServiceMonitors give', () => {
    const jobs = (scrape!.scrape_configs as Doc[]).map((job) => job.job_name).sort();
    expect(jobs).toEqual(['oom-bonker-broker', 'oom-bonker-edge']);
    const targetDown = (plainRules!.groups[0].rules as Doc[]).find((rule) => rule.alert === 'BonkerTargetDown')!;
    const pattern = new RegExp(`^${/job=~"([^"]+)"/.exec(targetDown.expr)![1]}$`);
    expect(jobs.every((job) => pattern.test(job))).toBe(true);
    // The operator's job label is the Service's name.
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(jobs);
  });
});

describe('infra/k8s/monitoring.yaml', () => {
  it('selects each Service by its labels and scrapes a port the Service has', () => {
    for (const monitor of monitors) {
      expect(monitor.kind).toBe('ServiceMonitor');
      const service = services.find((s) => s.metadata.name === monitor.metadata.name)!;
      expect(service, monitor.metadata.name).toBeDefined();
      expect(service.metadata.namespace).toBe(monitor.metadata.namespace);
      expect(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v)).toBe(true);
      const ports = (service.spec.ports as Doc[]).map((p) => p.name);
      expect(monitor.spec.endpoints.map((e: Doc) => e.port).every((port: string) => ports.includes(port))).toBe(true);
    }
  });
});

describe('infra/grafana/oom-bonker.json', () => {
  it('queries the chosen Prometheus in every panel and every target, with unique ids', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ type: 'datasource', name: 'datasource', query: 'prometheus' }));
    const targets = dashboard.panels.flatMap((panel) => panel.targets as Doc[]);
    expect(targets.length).toBeGreaterThanOrEqual(dashboard.panels.length);
    expect([...dashboard.panels, ...targets].every((item) => item.datasource.uid === '${datasource}')).toBe(true);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    expect(targets.every((target) => /\bbonker_/.test(target.expr))).toBe(true);
  });
});
