// Figure 7, "Pi-class budget": the shipped commands started inside a cgroup limited to 5 % of one core (about a
// Pi 1 B / Zero), beside the original Flask webhook (bench/original-flask.py) started in the same cgroup, same run.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { buildAll } from '../build/bundles.ts';
import { withTimeout } from '../contract/index.ts';
import { deviceUnitCommand, unitCommand } from '../build/device.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { createCpuBudget, type CpuBudget } from './cpu-budget.ts';
import { FAST_DEVICE_ENV } from './fig-latency.ts';
import { measureDevice, measureOriginal, originalMissing, post, webhookToStrike, type OriginalRun } from './pi-budget-runs.ts';
import { cpuMs, ROOT, rssMb } from './proc.ts';
import { median, type Row } from './stats.ts';
import { watch, type WatchedProcess } from './watched-process.ts';

export interface PiBudgetOptions {
  /** Share of one core, 0.05 = 5 %. */
  share: number;
  bonks: number;
  idleS: number;
  /** `bonk --wait` runs after the first (which makes the code cache), inside and outside the budget. */
  bonkRuns: number;
  /** Also time a first start of `up` with no code cache yet (after a build). */
  coldStart: boolean;
  /**
   * Quiet seconds after the last bonk before the idle window: V8's memory reducer runs three full GCs about 15 s after
   * activity stops (160 ms of CPU at full speed, three seconds inside the budget), reported on their own.
   */
  settleS: number;
}

/** BENCH_PI_BIN: another checkout's bin/oom-bonker.js, to measure an earlier commit the same way. */
const BIN = process.env.BENCH_PI_BIN ?? `${ROOT}bin/oom-bonker.js`;
const START_TIMEOUT_MS = 180_000;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (value: number) => `${value.toFixed(1)} MB`;

/** What every process of ours gets: a clean environment, the bench's own code cache directory (first runs are cold). */
export function oursEnv(cacheDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, CACHE_DIRECTORY: cacheDir, ...extra };
}

interface UpRun {
  listeningMs: number;
  readyMs: number;
  coldListeningMs?: number;
  rssStart: number;
  rssAfter: number;
  rssSettled: number;
  settleCpuMs: number;
  webhookToStrikeMs: number;
  secondWebhookMs: number;
  idleCpuMs: number;
  bonkWaitMs: number[];
  bonkColdMs: number;
  bonkRoundTripMs: number[];
  helpMs: number;
}

/**
 * `oom-bonker up` as oom-bonker-pi.service (everything on one Pi) runs it: `npm start`'s command with the unit's
 * process environment (MALLOC_ARENA_MAX); the settings are the bench's own, on free ports.
 */
const PI_UNIT = unitCommand('oom-bonker-pi.service');

function startUp(budget: CpuBudget | undefined, dir: string, cacheDir: string): WatchedProcess {
  const env = oursEnv(cacheDir, {
    ...PI_UNIT.env,
    // Listeners as infra/systemd/pi.env.example has them (no WebSocket: its HTTP server checks timeouts every second).
    ...FAST_DEVICE_ENV, BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: '0', BONKER_EDGE_PORT: '0',
    BONKER_DATA_DIR: `${dir}/broker`, BONKER_STATE_DIR: `${dir}/device`,
    // debug: the simulated servo logs each pulse it records, with its time (pino's `time`, epoch ms).
    BONKER_LOG_LEVEL: 'debug',
  });
  const args = [...PI_UNIT.args.slice(0, -2), BIN, 'up'];
  const startedAt = performance.now();
  const child = budget ? budget.spawn(process.execPath, args, { env, cwd: ROOT }) : spawn(process.execPath, args, { env, cwd: ROOT });
  return watch(child, startedAt);
}

async function upPorts(up: WatchedProcess): Promise<{ listeningMs: number; readyMs: number; edge: number; broker: number }> {
  const [log, listenedAt] = await up.waitForLog((l) => l.msg === 'edge listening', START_TIMEOUT_MS);
  const [, readyAt] = await up.waitForLine(/OOM Bonker is up\./, START_TIMEOUT_MS);
  const [banner] = await up.waitForLine(/^\s+broker\s+mqtt:\/\/[^:]+:\d+/, 10_000);
  const broker = Number(/mqtt:\/\/[^:]+:(\d+)/.exec(banner)![1]);
  return { listeningMs: listenedAt - up.startedAt, readyMs: readyAt - up.startedAt, edge: Number(log.port), broker };
}

/** A firing alert no other request of this run used: each one is a new bonk. */
let alertSerial = 0;
async function firingAlert(): Promise<string> {
  const sample = JSON.parse(await readFile(`${ROOT}test/fixtures/firing-one.json`, 'utf8')) as { alerts: { fingerprint: string; startsAt: string }[] };
  alertSerial++;
  for (const alert of sample.alerts) alert.fingerprint = `${alert.fingerprint}${process.pid}${alertSerial}`;
  return JSON.stringify(sample);
}

/** Wall time of `oom-bonker <args>` from spawn to exit, and what it printed. */
export async function timeCommand(budget: CpuBudget | undefined, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; output: string }> {
  const startedAt = performance.now();
  const child = budget ? budget.spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT }) : spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
  const proc = watch(child, startedAt);
  const code = await proc.exited;
  const ms = performance.now() - startedAt;
  if (code !== 0) throw new Error(`oom-bonker ${args.join(' ')} exited ${code}: ${proc.lines.slice(-5).join('\n')}`);
  return { ms, output: proc.lines.join('\n') };
}

async function bonkTimes(budget: CpuBudget | undefined, brokerPort: number, cacheDir: string, runs: number) {
  const args = ['bonk', '--wait', '--device', 'tux', '--broker-url', `mqtt://127.0.0.1:${brokerPort}`];
  const times: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const { ms, output } = await timeCommand(budget, args, oursEnv(cacheDir));
    times.push(ms);
    roundTrips.push(Number(/round trip: ([\d.]+) ms/.exec(output)?.[1]));
  }
  // The first run found no code cache (the bench's cache directory starts empty) and made it.
  return { cold: times[0]!, warm: times.slice(1), roundTrips: roundTrips.slice(1) };
}

async function bonkMany(up: WatchedProcess, edgeUrl: string, count: number): Promise<void> {
  const acked = new Set<string>();
  const done = new Promise<void>((resolve) => {
    const onLog = (log: Record<string, unknown>) => {
      if (log.msg === 'ack' && log.result === 'done') acked.add(String(log.id));
      if (acked.size >= count) {
        up.events.off('log', onLog);
        resolve();
      }
    };
    up.events.on('log', onLog);
  });
  for (let i = 0; i < count; i++) await post(edgeUrl, await firingAlert());
  await withTimeout(done, 120_000, () => new Error(`${acked.size}/${count} bonks acked`));
}

async function measureUp(budget: CpuBudget, cacheDir: string, options: PiBudgetOptions): Promise<UpRun> {
  const state = await makeTempDir('bonker-bench-pi-');
  let up: WatchedProcess | undefined;
  try {
    // The first start after a build has no code cache yet (it writes one as it stops): timed inside the budget, or
    // (smoke runs) just made outside it.
    const first = startUp(options.coldStart ? budget : undefined, state.path, cacheDir);
    const coldListeningMs = options.coldStart ? (await upPorts(first)).listeningMs : (await upPorts(first), undefined);
    await first.close();
    up = startUp(budget, state.path, cacheDir);
    const ports = await upPorts(up);
    const rssStart = rssMb(up.pid);
    const edgeUrl = `http://127.0.0.1:${ports.edge}/alertmanager`;
    const isStrike = (log: Record<string, unknown>) => Number(log.us) === 1050;
    const webhookToStrikeMs = await webhookToStrike(up, edgeUrl, await firingAlert(), isStrike);
    const secondWebhookMs = await webhookToStrike(up, edgeUrl, await firingAlert(), isStrike);
    const bonks = await bonkTimes(budget, ports.broker, cacheDir, options.bonkRuns);
    await timeCommand(undefined, ['--help'], oursEnv(cacheDir));
    const help = await timeCommand(budget, ['--help'], oursEnv(cacheDir));
    await bonkMany(up, edgeUrl, options.bonks);
    const rssAfter = rssMb(up.pid);
    const settleFrom = cpuMs(up.pid);
    await new Promise((resolve) => setTimeout(resolve, options.settleS * 1000));
    const rssSettled = rssMb(up.pid);
    const cpuBefore = cpuMs(up.pid);
    const settleCpuMs = cpuBefore - settleFrom;
    await new Promise((resolve) => setTimeout(resolve, options.idleS * 1000));
    const idleCpuMs = cpuMs(up.pid) - cpuBefore;
    return {
      listeningMs: ports.listeningMs, readyMs: ports.readyMs, coldListeningMs, rssStart, rssAfter, rssSettled, settleCpuMs, webhookToStrikeMs, secondWebhookMs, idleCpuMs,
      bonkWaitMs: bonks.warm, bonkColdMs: bonks.cold, bonkRoundTripMs: bonks.roundTrips, helpMs: help.ms,
    };
  } finally {
    await up?.close();
    await state.remove();
  }
}

/** `bonk --wait` on this machine's full CPU, against an `up` outside the budget too. */
async function bonkOutside(cacheDir: string, runs: number): Promise<number[]> {
  const state = await makeTempDir('bonker-bench-pi-out-');
  const up = startUp(undefined, state.path, cacheDir);
  try {
    const ports = await upPorts(up);
    return (await bonkTimes(undefined, ports.broker, cacheDir, runs)).warm;
  } finally {
    await up.close();
    await state.remove();
  }
}

export async function piBudgetFigure(options: PiBudgetOptions): Promise<Row[]> {
  const budget = await createCpuBudget(options.share);
  if ('reason' in budget) {
    return [{ figure: '7', what: 'Pi-class budget: not measured', value: `skipped: ${budget.reason}`, baseline: '', goal: '' }];
  }
  // What ships: dist/ built from the sources being measured.
  await buildAll();
  const cache = await makeTempDir('bonker-bench-code-cache-');
  try {
    const ours = await measureUp(budget, cache.path, options);
    const missing = await originalMissing();
    const original = missing ? undefined : await measureOriginal(budget, options);
    const agentArgs = deviceUnitCommand();
    const device = await measureDevice(budget, agentArgs, oursEnv(cache.path));
    const outside = await bonkOutside(cache.path, options.bonkRuns);
    return rows({ ours, original, missing, device, outside, budget, options, agentArgs });
  } finally {
    await budget.remove().catch((error: Error) => process.stderr.write(`figure 7: could not remove the cgroup: ${error.message}\n`));
    await cache.remove();
  }
}

function rows(r: {
  ours: UpRun; original: OriginalRun | undefined; missing: string | undefined; device: { subscribedMs: number; rss: number };
  outside: number[]; budget: CpuBudget; options: PiBudgetOptions; agentArgs: string[];
}): Row[] {
  const { ours, original, options } = r;
  const orig = (f: (o: OriginalRun) => string) => (original ? `original ${f(original)}` : `original not run: ${r.missing}`);
  const budgetMs = options.idleS * 1000 * r.budget.share;
  const share = (cpu: number, seconds = options.idleS) => `${((cpu / (seconds * 1000 * r.budget.share)) * 100).toFixed(2)} % of the budget`;
  const bonkWait = median(r.ours.bonkWaitMs);
  const agent = r.agentArgs.map((arg) => arg.replace(ROOT, '')).join(' ');
  const within = `inside ${r.budget.describe}`;
  const upCommand = [...Object.entries(PI_UNIT.env).map(([k, v]) => `${k}=${v}`), 'node', ...PI_UNIT.args.map((arg) => arg.replace(ROOT, ''))].join(' ');
  return [
    { figure: '7', what: `\`oom-bonker up\` (npm start) as oom-bonker-pi.service runs it (${upCommand}), exec → edge listening, ${within}`, value: s(ours.listeningMs),
      baseline: orig((o) => `Flask listening ${s(o.listeningMs)}`), ratio: original && ours.listeningMs / original.listeningMs,
      goal: '≤ the original\'s', met: original ? ours.listeningMs <= original.listeningMs : undefined },
    { figure: '7', what: '`up` exec → ready (broker, edge and device subscribed: the banner)', value: s(ours.readyMs), baseline: orig((o) => `Flask listening ${s(o.listeningMs)}`), goal: '' },
    ...(ours.coldListeningMs === undefined ? [] : [{ figure: '7', what: '`up` first start after a build (no code cache yet) → edge listening', value: s(ours.coldListeningMs), baseline: '', goal: '' }]),
    { figure: '7', what: '`up` RSS after start', value: mb(ours.rssStart), baseline: orig((o) => mb(o.rssStart)), ratio: original && ours.rssStart / original.rssStart, goal: '≤ 80 MB', met: ours.rssStart <= 80 },
    { figure: '7', what: `\`up\` RSS right after ${options.bonks} bonks (webhooks)`, value: mb(ours.rssAfter), baseline: orig((o) => mb(o.rssAfter)), ratio: original && ours.rssAfter / original.rssAfter, goal: '≤ 80 MB', met: ours.rssAfter <= 80 },
    { figure: '7', what: `\`up\` RSS ${options.settleS} s later (V8's memory reducer has run), and its CPU in those ${options.settleS} s`, value: `${mb(ours.rssSettled)}, ${share(ours.settleCpuMs, options.settleS)}`, baseline: '', goal: '' },
    { figure: '7', what: 'first webhook after the start → first strike pulse (simulated servo; original: gpiozero mock pin)', value: `${Math.round(ours.webhookToStrikeMs)} ms`,
      baseline: orig((o) => `${Math.round(o.webhookToStrikeMs)} ms`), ratio: original && ours.webhookToStrikeMs / original.webhookToStrikeMs, goal: '' },
    { figure: '7', what: 'the next webhook → first strike pulse (its code compiled by the first)', value: `${Math.round(ours.secondWebhookMs)} ms`,
      baseline: orig((o) => `${Math.round(o.webhookToStrikeMs)} ms`), ratio: original && ours.secondWebhookMs / original.webhookToStrikeMs, goal: '' },
    { figure: '7', what: `\`oom-bonker bonk --wait\` wall, exec → exit, with \`up\` in the same budget (median of ${ours.bonkWaitMs.length}; the bonk itself: round trip ${Math.round(median(ours.bonkRoundTripMs))} ms)`,
      value: s(bonkWait), baseline: orig((o) => `curl POST /hook ${s(o.curlMs)}`), goal: '≤ 4 s', met: bonkWait <= 4000 },
    { figure: '7', what: '`bonk --wait` first run after a build (makes the code cache)', value: s(ours.bonkColdMs), baseline: '', goal: '' },
    { figure: '7', what: `\`bonk --wait\` wall outside the budget (this machine's CPU, median of ${r.outside.length})`, value: s(median(r.outside)), baseline: '', goal: '≤ 0.3 s', met: median(r.outside) <= 300 },
    { figure: '7', what: '`oom-bonker --help` wall (every command\'s table)', value: s(ours.helpMs), baseline: '', goal: '' },
    { figure: '7', what: `device agent exec → subscribed, as its unit runs it: node ${agent}`, value: s(r.device.subscribedMs), baseline: '', goal: '≤ 3 s', met: r.device.subscribedMs <= 3000 },
    { figure: '7', what: 'device agent RSS after start (subscribed)', value: mb(r.device.rss), baseline: '', goal: '≤ 45 MB', met: r.device.rss <= 45 },
    { figure: '7', what: `\`up\` CPU over ${options.idleS} idle s, from ${options.settleS} s after the last bonk`, value: share(ours.idleCpuMs), baseline: orig((o) => share(o.idleCpuMs)), goal: '≤ 1 % of the budget', met: (ours.idleCpuMs / budgetMs) * 100 <= 1 },
  ];
}
