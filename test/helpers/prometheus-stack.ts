// Debian's Prometheus and Alertmanager as children for the infra suites, fed our shipped rules and route with
// test-sized timings; each stopped by its own PID. Also the whole alert path in front of a broker: Prometheus →
// Alertmanager → our edge.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import type { Env, Logger } from '../../contract/index.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { startEdge, type RunningEdge } from '../../edge/node/main.ts';
import { INFRA } from '../infra/infra-files.ts';
import { ALERTMANAGER, PROMETHEUS, requireProgram } from '../interop/require-programs.ts';
import { freePort } from './free-port.ts';
import { waitForEvent } from './wait.ts';

export interface Program { child: ChildProcess; lines: string[]; events: EventEmitter; stop(): Promise<void> }

/** Alertmanager's 10s / 1m / 4h shrunk so that a test sees a first send, a group change and repeats in seconds. */
export const AM_TIMING = { group_wait: '1s', group_interval: '2s', repeat_interval: '3s' };
/** The rules' windows shrunk 15 times: 5m → 20s, the 1m offset → 4s, 7m → 28s. Scrapes and evaluations every 1s. */
export const RULE_SCALE = 15;

/** A Debian program as a child; resolves once a stderr line matches `ready`; stopped by its PID. */
export async function startProgram(program: string, args: string[], ready: RegExp): Promise<Program> {
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  const events = new EventEmitter();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line);
    events.emit('line', line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForEvent<[string]>(events, 'line', { timeoutMs: 20_000, accept: (line) => ready.test(line) });
  } catch (error) {
    await stop();
    throw new Error(`${path.basename(program)} did not start: ${(error as Error).message}\n${lines.slice(-10).join('\n')}`);
  }
  return { child, lines, events, stop };
}

/** Our alertmanager.yml with test-sized intervals, the receiver pointed at the test's edge and a temp token file. */
export async function alertmanagerConfig(edgeUrl: string, tokenFile: string): Promise<string> {
  const config = parse(await readFile(`${INFRA}alertmanager/alertmanager.yml`, 'utf8'));
  const route = config.route.routes.find((r: { receiver: string }) => r.receiver === 'bonker');
  Object.assign(route, AM_TIMING);
  const hook = config.receivers.find((r: { name: string }) => r.name === 'bonker').webhook_configs[0];
  hook.url = hook.url.replace('http://EDGE_HOST:8080', edgeUrl);
  hook.http_config.authorization.credentials_file = tokenFile;
  return stringify(config);
}

/**
 * Our rules with every duration (range windows and offsets, whole minutes) divided by `scale`, so that their ratios,
 * which the de-duplication relies on, stay as shipped. Throws if the rules have a duration in another form.
 */
export async function scaledRules(scale = RULE_SCALE): Promise<string> {
  const text = await readFile(`${INFRA}prometheus/oom-rules.yml`, 'utf8');
  const expressions = text.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');
  const durations = [...expressions.matchAll(/\[(\w+)\]|offset (\w+)/g)].map((m) => m[1] ?? m[2]!);
  const odd = durations.filter((d) => !/^\d+m$/.test(d) || (Number.parseInt(d, 10) * 60) % scale !== 0);
  if (!durations.length || odd.length) throw new Error(`cannot scale the rules' durations ${JSON.stringify(odd)}`);
  const seconds = (minutes: string) => `${(Number.parseInt(minutes, 10) * 60) / scale}s`;
  return text.replace(/\[(\d+)m\]/g, (_all, m: string) => `[${seconds(m)}]`).replace(/offset (\d+)m/g, (_all, m: string) => `offset ${seconds(m)}`);
}

export interface ScrapeJob { job: string; port: number; metricsPath?: string }

/** Debian's Prometheus scraping `jobs` every second, evaluating `rules` every second, alerting to `alertmanagerPort`. */
export async function startPrometheus(dir: string, rules: string, alertmanagerPort: number, jobs: ScrapeJob[]) {
  const port = await freePort();
  await writeFile(path.join(dir, 'oom-rules.yml'), rules);
  await writeFile(path.join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(dir, 'oom-rules.yml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
    scrape_configs: jobs.map(({ job, port: target, metricsPath }) => ({
      job_name: job, ...(metricsPath ? { metrics_path: metricsPath } : {}), static_configs: [{ targets: [`127.0.0.1:${target}`] }],
    })),
  }));
  const program = await startProgram(requireProgram(PROMETHEUS), [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'prom')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], /Server is ready to receive web requests/);
  /** An instant query through the HTTP API: the result vector. */
  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: never[] }; error?: string };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
    return body.data.result;
  };
  return { ...program, port, query };
}

/** Debian's Alertmanager with our route (test-sized timings) sending to `edgeUrl` with the token in `tokenFile`. */
export async function startAlertmanager(dir: string, edgeUrl: string, tokenFile: string) {
  const port = await freePort();
  await writeFile(path.join(dir, 'alertmanager.yml'), await alertmanagerConfig(edgeUrl, tokenFile));
  const program = await startProgram(requireProgram(ALERTMANAGER), [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'am')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug',
  ], /Listening on/);
  return { ...program, port };
}

export interface AlertPath {
  prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  alertmanager: Awaited<ReturnType<typeof startAlertmanager>>;
  edge: RunningEdge;
  /** Alertmanager reads the edge's token from here on every send; a test may rewrite it. */
  tokenFile: string;
  /** Stops Prometheus, Alertmanager and the edge, in that order. */
  stop(): Promise<void>;
}

/**
 * Prometheus (our rules, scaled) scraping `jobs` → Alertmanager (our route) → an edge on a loopback port that wants
 * `token` and publishes to `brokerUrl`, logging to `edgeLog`; `edgeEnv` adds edge settings. Files go into `dir`.
 */
export async function startAlertPath(opts: {
  dir: string;
  brokerUrl: string;
  token: string;
  jobs: ScrapeJob[];
  edgeLog: Logger;
  edgeEnv?: Env;
}): Promise<AlertPath> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    const edge = await startEdge(
      loadEdgeConfig({ BONKER_EDGE_PORT: '0', BONKER_EDGE_TOKEN: opts.token, BONKER_BROKER_URL: opts.brokerUrl, ...opts.edgeEnv }),
      opts.edgeLog,
    );
    started.unshift({ stop: () => edge.close() });
    const tokenFile = path.join(opts.dir, 'bonker-token');
    await writeFile(tokenFile, opts.token);
    const alertmanager = await startAlertmanager(opts.dir, `http://127.0.0.1:${edge.port}`, tokenFile);
    started.unshift(alertmanager);
    const prometheus = await startPrometheus(opts.dir, await scaledRules(), alertmanager.port, opts.jobs);
    started.unshift(prometheus);
    return { prometheus, alertmanager, edge, tokenFile, stop: () => stopAll(started) };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

async function stopAll(started: { stop(): Promise<void> }[]): Promise<void> {
  for (const part of started) await part.stop();
}
