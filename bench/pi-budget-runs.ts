// Figure 7's other runs: the original Flask webhook and the device agent, each started inside the CPU budget.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../test/helpers/free-port.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import type { CpuBudget } from './cpu-budget.ts';
import { FAST_DEVICE_ENV } from './fig-latency.ts';
import { cpuMs, ROOT, rssMb, startRole } from './proc.ts';
import { watch, type WatchedProcess } from './watched-process.ts';

const PYTHON = '/usr/bin/python3';
const ORIGINAL = `${ROOT}bench/original-flask.py`;

export interface OriginalRun {
  listeningMs: number;
  rssStart: number;
  rssAfter: number;
  webhookToStrikeMs: number;
  curlMs: number;
  idleCpuMs: number;
}

export async function post(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
}

/** POST → the simulated servo's first strike pulse, by the `time` of its "servo pulse" line. */
export async function webhookToStrike(proc: WatchedProcess, url: string, body: string, isStrike: (log: Record<string, unknown>) => boolean): Promise<number> {
  const sentAt = Date.now();
  const pulse = proc.waitForLog((l) => l.msg === 'servo pulse' && isStrike(l) && Number(l.time) >= sentAt, 60_000);
  const status = await post(url, body);
  if (status !== 200) throw new Error(`${url} answered ${status}`);
  const [log] = await pulse;
  return Number(log.time) - sentAt;
}

/** Why the original cannot run here (Debian's python3-flask and python3-gpiozero), or undefined. */
export async function originalMissing(): Promise<string | undefined> {
  try {
    await promisify(execFile)(PYTHON, ['-c', 'import flask, gpiozero']);
    return undefined;
  } catch {
    return `${PYTHON} cannot import flask and gpiozero (apt-get install python3-flask python3-gpiozero)`;
  }
}

/** The original as it ran on the Pi (Flask's own server), on gpiozero's mock pins, with the same motion as ours (0 s). */
export async function measureOriginal(budget: CpuBudget, options: { bonks: number; idleS: number; settleS: number }): Promise<OriginalRun> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH, PORT: String(port), BONK_SECONDS: '0', PYTHONUNBUFFERED: '1',
    GPIOZERO_PIN_FACTORY: 'mock', GPIOZERO_MOCK_PIN_CLASS: 'mockpwmpin',
  };
  const startedAt = performance.now();
  const flask = watch(budget.spawn(PYTHON, [ORIGINAL], { env, cwd: ROOT }), startedAt);
  try {
    const [, listenedAt] = await flask.waitForLine(/Running on http:\/\/127\.0\.0\.1:\d+/, 180_000);
    const rssStart = rssMb(flask.pid);
    const url = `http://127.0.0.1:${port}/hook`;
    const webhookToStrikeMs = await webhookToStrike(flask, url, '{}', () => true);
    const curlStarted = performance.now();
    const curl = watch(budget.spawn('curl', ['-sf', '-X', 'POST', url], { env: { PATH: process.env.PATH } }), curlStarted);
    if ((await curl.exited) !== 0) throw new Error(`curl POST ${url} failed`);
    const curlMs = performance.now() - curlStarted;
    for (let i = 0; i < options.bonks; i++) {
      const response = await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      await response.arrayBuffer();
    }
    const rssAfter = rssMb(flask.pid);
    await new Promise((resolve) => setTimeout(resolve, options.settleS * 1000));
    const before = cpuMs(flask.pid);
    await new Promise((resolve) => setTimeout(resolve, options.idleS * 1000));
    return { listeningMs: listenedAt - startedAt, rssStart, rssAfter, webhookToStrikeMs, curlMs, idleCpuMs: cpuMs(flask.pid) - before };
  } finally {
    await flask.close();
  }
}

/**
 * The agent as its systemd unit starts it (`args`: node's arguments from the unit's ExecStart), inside the budget,
 * against a broker outside it; subscribed = its retained `online`, published right after the SUBACK. A first run
 * outside the budget makes the code cache, as the unit's first start would.
 */
export async function measureDevice(budget: CpuBudget, args: string[], env: NodeJS.ProcessEnv): Promise<{ subscribedMs: number; rss: number }> {
  const broker = await startRole('broker', { BONKER_LOG_LEVEL: 'warn' });
  const url = `mqtt://127.0.0.1:${broker.ready.port}`;
  const monitor = mqtt.connect(url, { protocolVersion: 4 });
  const state = await makeTempDir('bonker-bench-pi-agent-');
  const agentEnv = { ...env, ...FAST_DEVICE_ENV, BONKER_BROKER_URL: url, BONKER_STATE_DIR: state.path, BONKER_LOG_LEVEL: 'info' };
  const online = () =>
    waitForEvent<[string, Buffer]>(monitor, 'message', { timeoutMs: 180_000, accept: (topic, payload) => topic === 'bonker/tux/status' && String(payload) === 'online' });
  try {
    await waitForEvent(monitor, 'connect', { timeoutMs: 10_000 });
    await monitor.subscribeAsync('bonker/tux/status', { qos: 1 });
    const primed = online();
    const priming = watch(spawn(process.execPath, args, { env: agentEnv, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    await primed;
    await priming.close();
    const subscribed = online();
    const started = performance.now();
    const agent = watch(budget.spawn(process.execPath, args, { env: agentEnv, cwd: ROOT }), started);
    try {
      await Promise.race([subscribed, agent.exited.then((code) => Promise.reject(new Error(`agent exited ${code}: ${agent.lines.slice(-5).join('\n')}`)))]);
      return { subscribedMs: performance.now() - started, rss: rssMb(agent.pid) };
    } finally {
      await agent.close();
    }
  } finally {
    await monitor.endAsync(true);
    await broker.close();
    await state.remove();
  }
}
