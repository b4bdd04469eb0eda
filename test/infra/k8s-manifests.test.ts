// Offline checks of infra/k8s: parse, hardening, probes, limits, volumes, Secret references, settings the parts know.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import { ConfigError } from '../../contract/index.ts';
import { parseUsersFile } from '../../broker/users-file.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { parseEnv } from '../../contract/index.ts';
import { brokerEnvShape } from '../../broker/config.ts';
import { readInfra, SETTINGS, yamlDocs, type Doc } from './infra-files.ts';

const docs = ['namespace.yaml', 'edge.yaml', 'broker.yaml', 'hungry-pod.yaml'].flatMap((file) => yamlDocs(`k8s/${file}`));
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const named = (kind: string, name: string) => {
  const found = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in infra/k8s`);
  return found;
};
const podSpec = (doc: Doc): Doc => (doc.kind === 'Pod' ? doc.spec : doc.spec.template.spec);
const workloads = [...byKind('Deployment'), ...byKind('StatefulSet'), ...byKind('Pod')];
const container = (doc: Doc) => podSpec(doc).containers[0] as Doc;
const secretData = (name: string) => named('Secret', name).stringData as Record<string, string>;

/** The container's environment as the process would see it, Secret values filled in from the manifests. */
function containerEnv(doc: Doc): Record<string, string> {
  return Object.fromEntries(
    (container(doc).env as Doc[]).map((e) => [
      e.name,
      e.value ?? secretData(e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key],
    ]),
  );
}

describe('infra/k8s manifests', () => {
  it('are the expected objects', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'Deployment/oom-bonker-edge', 'Namespace/oom-bonker', 'Pod/memory-eater', 'Secret/oom-bonker-broker-users',
      'Secret/oom-bonker-edge', 'Service/oom-bonker-broker', 'Service/oom-bonker-edge', 'StatefulSet/oom-bonker-broker',
    ]);
  });

  it.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w]))('%s runs non-root, read-only, with limits', (_, doc) => {
    const pod = podSpec(doc as Doc);
    const c = container(doc as Doc);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources.limits).toEqual({ cpu: expect.anything(), memory: expect.stringMatching(/^\d+Mi$/) });
    expect(c.resources.requests.memory).toBeDefined();
  });

  it('uses one image for the edge and the broker: this version as the release workflow pushes it, OWNER to fill in', () => {
    const images = [named('Deployment', 'oom-bonker-edge'), named('StatefulSet', 'oom-bonker-broker')].map((d) => container(d).image);
    // The workflow pushes ghcr.io/<owner>/<repository> tagged with the version of the tag (metadata-action, semver).
    expect(new Set(images)).toEqual(new Set([`ghcr.io/OWNER/${packageJson.name}:${packageJson.version}`]));
    const workflow = parse(readFileSync(new URL('../../.github/workflows/release-image.yml', import.meta.url), 'utf8'));
    const meta = workflow.jobs.image.steps.find((s: Doc) => String(s.uses).startsWith('docker/metadata-action@'));
    expect(meta.with.images).toBe('ghcr.io/${{ github.repository }}');
    expect(meta.with.tags).toMatch(/type=semver,pattern=\{\{version\}\}/);
    expect(readInfra('k8s/Dockerfile')).toMatch(/ENTRYPOINT \["node", "bin\/oom-bonker\.js"\]/);
    expect(container(named('Deployment', 'oom-bonker-edge')).args).toEqual(['edge']);
    expect(container(named('StatefulSet', 'oom-bonker-broker')).args).toEqual(['broker']);
  });

  it('probes the edge on /healthz (alive) and /readyz (connected to the broker)', () => {
    const edge = container(named('Deployment', 'oom-bonker-edge'));
    expect(edge.livenessProbe.httpGet.path).toBe('/healthz');
    expect(edge.readinessProbe.httpGet.path).toBe('/readyz');
    const port = edge.ports.find((p: Doc) => p.name === edge.readinessProbe.httpGet.port).containerPort;
    expect(String(port)).toBe(containerEnv(named('Deployment', 'oom-bonker-edge')).BONKER_EDGE_PORT);
  });

  it('probes the broker on /healthz (alive) and /readyz (can store) on its metrics port', () => {
    const broker = container(named('StatefulSet', 'oom-bonker-broker'));
    expect(broker.livenessProbe.httpGet.path).toBe('/healthz');
    expect(broker.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(broker.ports.map((p: Doc) => p.name)).toContain('metrics');
  });

  it('gives the edge a configuration its own loader accepts, with the token from the Secret', () => {
    const edge = named('Deployment', 'oom-bonker-edge');
    const refs = (container(edge).env as Doc[]).filter((e) => e.valueFrom).map((e) => e.name);
    expect(refs.sort()).toEqual(['BONKER_EDGE_MQTT_PASSWORD', 'BONKER_EDGE_TOKEN']);
    const config = loadEdgeConfig(containerEnv(edge));
    expect(config.auth.token).toBe('REPLACE_WITH_EDGE_TOKEN');
    expect(config.host).toBe('0.0.0.0');
    expect(config.brokerUrl).toBe('mqtt://oom-bonker-broker.oom-bonker.svc:1883');
  });

  it('keeps the broker data directory on a persistent volume and the users file in a Secret', () => {
    const broker = named('StatefulSet', 'oom-bonker-broker');
    const env = parseEnv(brokerEnvShape, containerEnv(broker));
    const mounts = container(broker).volumeMounts as Doc[];
    const dataMount = mounts.find((m) => m.mountPath === env.BONKER_DATA_DIR);
    expect(broker.spec.volumeClaimTemplates.map((v: Doc) => v.metadata.name)).toContain(dataMount?.name);
    expect(env.BONKER_PERSISTENCE).toBe('level');
    const usersMount = mounts.find((m) => env.BONKER_USERS_FILE!.startsWith(`${m.mountPath}/`));
    const volume = (podSpec(broker).volumes as Doc[]).find((v) => v.name === usersMount?.name);
    const file = env.BONKER_USERS_FILE!.slice(usersMount!.mountPath.length + 1);
    const text = secretData(volume!.secret.secretName)[file]!;
    // The file is well-formed; only the placeholder hashes are refused, so the broker cannot start with them.
    expect(() => parseUsersFile(text, 'users.json')).toThrow(ConfigError);
    try {
      parseUsersFile(text, 'users.json');
    } catch (error) {
      expect((error as ConfigError).problems.every((p) => /password: expected a hash made by hashPassword/.test(p))).toBe(true);
    }
  });

  it('exposes the broker on 1883 and 9001 and the edge on its port through Services that select them', () => {
    const ports = (name: string) => named('Service', name).spec.ports.map((p: Doc) => p.port);
    expect(ports('oom-bonker-broker')).toEqual(expect.arrayContaining([1883, 9001]));
    expect(ports('oom-bonker-edge')).toEqual([8080]);
    for (const workload of [named('Deployment', 'oom-bonker-edge'), named('StatefulSet', 'oom-bonker-broker')]) {
      const service = named('Service', workload.metadata.name);
      expect(workload.spec.template.metadata.labels).toMatchObject(service.spec.selector);
      expect(workload.spec.selector.matchLabels).toEqual(service.spec.selector);
    }
  });

  it('refers only to Secrets and keys that exist, in the same namespace', () => {
    for (const workload of workloads) {
      for (const e of (container(workload).env ?? []) as Doc[]) {
        if (!e.valueFrom) continue;
        const secret = named('Secret', e.valueFrom.secretKeyRef.name);
        expect(secret.metadata.namespace).toBe(workload.metadata.namespace);
        expect(Object.keys(secret.stringData)).toContain(e.valueFrom.secretKeyRef.key);
      }
      for (const v of (podSpec(workload).volumes ?? []) as Doc[]) if (v.secret) named('Secret', v.secret.secretName);
    }
  });

  it('sets only settings the parts know', () => {
    expect(Object.keys(containerEnv(named('Deployment', 'oom-bonker-edge'))).filter((k) => !SETTINGS.edge.has(k))).toEqual([]);
    expect(Object.keys(containerEnv(named('StatefulSet', 'oom-bonker-broker'))).filter((k) => !SETTINGS.broker.has(k))).toEqual([]);
  });

  it('has a hungry pod that restarts after its OOM kill (else no *last* termination reason and no alert)', () => {
    const pod = named('Pod', 'memory-eater');
    expect(pod.spec.restartPolicy).not.toBe('Never');
    expect(container(pod).resources.limits.memory).toBe('64Mi');
  });
});
