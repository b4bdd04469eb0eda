// Stand-ins for the exporters the OOM rules read, serving what the real ones serve for the series the rules use:
// kube-state-metrics v2, the kubelet's /metrics/cadvisor and node_exporter, in the Prometheus text format 0.0.4
// with the real HELP and TYPE lines (kube-state-metrics internal/store/pod.go, cAdvisor metrics/prometheus.go,
// node_exporter collector/vmstat_linux.go). Tests change the model; each scrape renders it and emits 'scrape'.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForEvent } from './wait.ts';

/** One container of a pod as the three exporters see it; `cgroup` is the running instance cAdvisor watches. */
export interface KubeContainer {
  namespace: string;
  pod: string;
  container: string;
  /** kube-state-metrics: restarts and the reason of the last termination. */
  restarts: number;
  reason?: string;
  /** cAdvisor: the running instance's cgroup and its OOM kill count; undefined while no instance runs. */
  cgroup?: { id: string; oomEvents: number } | undefined;
}

export interface StandInExporter {
  port: number;
  events: EventEmitter;
  /** Resolves after `count` further scrapes. */
  scrapes(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An HTTP server answering every GET with `render()` as text exposition format 0.0.4, on 127.0.0.1 port 0. */
export async function startExporter(render: () => string): Promise<StandInExporter> {
  const events = new EventEmitter();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render());
    events.emit('scrape');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const scrapes = async (count: number, timeoutMs = 15_000) => {
    let seen = 0;
    await waitForEvent(events, 'scrape', { timeoutMs, accept: () => ++seen >= count });
  };
  return { port, events, scrapes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const labelText = (labels: Record<string, string>) =>
  `{${Object.entries(labels).map(([name, value]) => `${name}=${quote(value)}`).join(',')}}`;

interface Family { name: string; help: string; type: 'counter' | 'gauge' | 'untyped'; samples: string[] }
const familyText = ({ name, help, type, samples }: Family) =>
  samples.length ? [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join('\n') + '\n' : '';

/** A pod's uid as kube-state-metrics labels it: stable per namespace/pod. */
const podUid = (c: KubeContainer) => `uid-${c.namespace}-${c.pod}`;

/** kube-state-metrics v2: the restart counter of every container and the reason of each last termination. */
export function kubeStateMetricsText(containers: readonly KubeContainer[]): string {
  const labels = (c: KubeContainer) => ({ namespace: c.namespace, pod: c.pod, uid: podUid(c), container: c.container });
  const reasons = containers.filter((c) => c.reason);
  return [
    familyText({
      name: 'kube_pod_container_status_restarts_total',
      help: '[STABLE] The number of container restarts per container.',
      type: 'counter',
      samples: containers.map((c) => `kube_pod_container_status_restarts_total${labelText(labels(c))} ${c.restarts}`),
    }),
    familyText({
      name: 'kube_pod_container_status_last_terminated_reason',
      help: 'Describes the last reason the container was in terminated state.',
      type: 'gauge',
      samples: reasons.map((c) => `kube_pod_container_status_last_terminated_reason${labelText({ ...labels(c), reason: c.reason! })} 1`),
    }),
  ].join('');
}

/**
 * The kubelet's /metrics/cadvisor: container_oom_events_total per running container instance (labels as the
 * kubelet's containerPrometheusLabelsFunc sets them: container, id, image, name, namespace, pod) and per pod cgroup
 * (container=""), each sample with the explicit timestamp the kubelet writes.
 */
export function kubeletCadvisorText(containers: readonly KubeContainer[], now = Date.now()): string {
  const running = containers.filter((c) => c.cgroup);
  const pods = [...new Map(running.map((c) => [`${c.namespace}/${c.pod}`, c])).values()];
  const podCgroup = (c: KubeContainer) => `/kubepods/burstable/pod${podUid(c)}`;
  const sample = (labels: Record<string, string>, value: number) => `container_oom_events_total${labelText(labels)} ${value} ${now}`;
  return familyText({
    name: 'container_oom_events_total', help: 'Count of out of memory events observed for the container', type: 'counter',
    samples: [
      ...pods.map((c) => sample({ container: '', id: podCgroup(c), image: '', name: '', namespace: c.namespace, pod: c.pod }, 0)),
      ...running.map((c) => sample({
        container: c.container, id: `${podCgroup(c)}/${c.cgroup!.id}`, image: `registry.example/${c.container}:1`,
        name: c.cgroup!.id, namespace: c.namespace, pod: c.pod,
      }, c.cgroup!.oomEvents)),
    ],
  });
}

/** node_exporter's vmstat collector: /proc/vmstat's oom_kill, untyped as node_exporter exposes every vmstat field. */
export function nodeExporterText(oomKills: number): string {
  return familyText({
    name: 'node_vmstat_oom_kill', help: '/proc/vmstat information field oom_kill.', type: 'untyped',
    samples: [`node_vmstat_oom_kill ${oomKills}`],
  });
}
