// Figure 5: the device agent's footprint (RSS, idle CPU, start-up) beside a bare `node` and a bare mqtt.js client.
import mqtt, { type MqttClient } from 'mqtt';
import { buildCli } from '../build/bundles.ts';
import { deviceUnitCommand } from '../build/device.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { FAST_DEVICE_ENV } from './fig-latency.ts';
import { cpuMs, ROOT, rssMb, startPlain, startRole, untilEvent } from './proc.ts';
import type { Row } from './stats.ts';

export interface FootprintOptions {
  bonks: number;
  idleS: number;
}

const BARE_NODE = ['-e', "console.log('ready'); setInterval(() => {}, 1 << 30);"];
/** A naive subscriber: what the agent must be lighter than. Prints each thousandth message it gets. */
const BARE_CLIENT = ['--input-type=module', '-e', `import mqtt from 'mqtt';
const client = mqtt.connect(process.env.URL, { protocolVersion: 4 });
let n = 0;
client.on('message', () => { if (++n % ${1_000} === 0 || n === Number(process.env.COUNT)) console.log('got ' + n); });
client.on('connect', () => client.subscribe('bench/bare', { qos: 1 }, () => console.log('ready')));`];

interface Measured {
  startMs: number;
  rssStart: number;
  rssAfter: number;
  cpuPct: number;
}

type Plain = ReturnType<typeof startPlain>;

async function spawnTimed(args: string[], env: Record<string, string>, ready: (line: string) => boolean, extra?: Promise<unknown>) {
  const started = performance.now();
  const proc = startPlain(args, env);
  await Promise.all([untilEvent(proc.events, 'line', ready, 20_000), extra]);
  return { proc, startMs: performance.now() - started };
}

async function publishAll(client: MqttClient, topic: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, () => client.publishAsync(topic, '1', { qos: 1 }));
    await Promise.all(batch);
  }
}

function waitForMessages(client: MqttClient, topic: string, count: number, timeoutMs: number, match = (_payload: string) => true) {
  let n = 0;
  return untilEvent(client as never, 'message', (t: string, payload: Buffer) => t === topic && match(payload.toString()) && ++n >= count, timeoutMs);
}

export async function footprintFigure(options: FootprintOptions): Promise<Row[]> {
  // The unit runs dist/cli/device.cjs through bin/oom-bonker.js; build it from the sources being measured.
  await buildCli();
  const agentArgs = deviceUnitCommand();
  const shown = `node ${agentArgs.map((arg) => arg.replace(ROOT, '')).join(' ')}`;
  const broker = await startRole('broker', { BONKER_LOG_LEVEL: 'warn' });
  const url = `mqtt://127.0.0.1:${broker.ready.port}`;
  const state = await makeTempDir('bonker-bench-agent-');
  const monitor = mqtt.connect(url, { protocolVersion: 4 });
  const procs: Plain[] = [];
  try {
    await untilEvent(monitor as never, 'connect', () => true, 10_000);
    await monitor.subscribeAsync(['bonker/tux/status', 'bonker/tux/ack'], { qos: 1 });
    const node = await spawnTimed(BARE_NODE, {}, (line) => line === 'ready');
    procs.push(node.proc);
    const bare = await spawnTimed(BARE_CLIENT, { URL: url, COUNT: String(options.bonks) }, (line) => line === 'ready');
    procs.push(bare.proc);
    // Subscribed = its retained `online`, which the agent publishes right after its SUBACK.
    const online = waitForMessages(monitor, 'bonker/tux/status', 1, 20_000, (p) => p === 'online');
    const agentEnv = { ...FAST_DEVICE_ENV, BONKER_BROKER_URL: url, BONKER_STATE_DIR: state.path };
    const agent = await spawnTimed(agentArgs, agentEnv, () => true, online);
    procs.push(agent.proc);
    const pids = [node.proc.child.pid!, bare.proc.child.pid!, agent.proc.child.pid!];
    const rssStart = pids.map(rssMb);
    const acks = waitForMessages(monitor, 'bonker/tux/ack', options.bonks, 120_000);
    const got = untilEvent(bare.proc.events, 'line', (line: string) => line === `got ${options.bonks}`, 120_000);
    await Promise.all([publishAll(monitor, 'bonker/tux/bonk', options.bonks), publishAll(monitor, 'bench/bare', options.bonks)]);
    await Promise.all([acks, got]);
    const rssAfter = pids.map(rssMb);
    const cpuBefore = pids.map(cpuMs);
    await new Promise((resolve) => setTimeout(resolve, options.idleS * 1000));
    const cpuPct = pids.map((pid, i) => ((cpuMs(pid) - cpuBefore[i]!) / (options.idleS * 1000)) * 100);
    const measured = [node, bare, agent].map((p, i): Measured => ({ startMs: p.startMs, rssStart: rssStart[i]!, rssAfter: rssAfter[i]!, cpuPct: cpuPct[i]! }));
    return rows(measured as [Measured, Measured, Measured], options, shown);
  } finally {
    for (const proc of procs.reverse()) await proc.close();
    await monitor.endAsync(true);
    await broker.close();
    await state.remove();
  }
}

function rows([node, bare, agent]: [Measured, Measured, Measured], options: FootprintOptions, command: string): Row[] {
  const mb = (v: number) => `${v.toFixed(1)} MB`;
  const base = (f: (m: Measured) => string) => `node ${f(node)}, mqtt.js client ${f(bare)}`;
  return [
    { figure: '5', what: `agent RSS after start (subscribed), as the systemd unit runs it: ${command}, built by build/device.ts`, value: mb(agent.rssStart), baseline: base((m) => mb(m.rssStart)),
      ratio: agent.rssStart / bare.rssStart, goal: '≤ 55 MB, below a bare client', met: agent.rssStart <= 55 && agent.rssStart < bare.rssStart },
    { figure: '5', what: `agent RSS after ${options.bonks} bonks (client: ${options.bonks} messages)`, value: mb(agent.rssAfter),
      baseline: base((m) => mb(m.rssAfter)), ratio: agent.rssAfter / bare.rssAfter, goal: '≤ 55 MB', met: agent.rssAfter <= 55 },
    { figure: '5', what: `agent CPU over ${options.idleS} idle s`, value: `${agent.cpuPct.toFixed(2)} %`,
      baseline: base((m) => `${m.cpuPct.toFixed(2)} %`), goal: '≤ 0.5 %', met: agent.cpuPct <= 0.5 },
    { figure: '5', what: 'agent process start → subscribed', value: `${Math.round(agent.startMs)} ms`,
      baseline: base((m) => `${Math.round(m.startMs)} ms`), ratio: agent.startMs / bare.startMs, goal: '≤ 1 s', met: agent.startMs <= 1000 },
  ];
}
