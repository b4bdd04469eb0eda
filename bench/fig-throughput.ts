// Figure 1: edge throughput with durable publishes, beside a bare Hono JSON route and a Node-RED flow, one broker.
import autocannon, { type RequestSpec } from 'autocannon';
import { fixtures } from '../test/fixtures/index.ts';
import { startNodeRed } from './node-red.ts';
import { startRole } from './proc.ts';
import { median, type Row } from './stats.ts';

export interface ThroughputOptions {
  connections: number;
  durationS: number;
  /** Each target is measured this many times, interleaved, and the median kept: the machine is shared. */
  rounds: number;
}

const SAMPLE = JSON.stringify(fixtures.firingOne);

/** The sample payload with a fingerprint of its own per request: every request is a new alert and a new bonk. */
function distinctAlerts(): RequestSpec[] {
  let n = 0;
  return [{
    setupRequest: (request) => {
      const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `bench-${process.pid}-${n++}` };
      return { ...request, body: JSON.stringify({ ...fixtures.firingOne, alerts: [alert] }) };
    },
  }];
}

interface Target {
  url: string;
  distinct?: boolean;
}

/** Requests per second that got a 2xx; errors and non-2xx do not count as throughput. */
async function rate(target: Target, options: ThroughputOptions): Promise<{ rps: number; failed: number }> {
  const result = await autocannon({
    url: `${target.url}/alertmanager`, method: 'POST', headers: { 'content-type': 'application/json' },
    ...(target.distinct ? { requests: distinctAlerts() } : { body: SAMPLE }),
    connections: options.connections, duration: options.durationS,
  });
  return { rps: result['2xx'] / result.duration, failed: result.non2xx + result.errors + result.timeouts };
}

export async function throughputFigure(options: ThroughputOptions): Promise<Row[]> {
  const broker = await startRole('broker', { BONKER_LOG_LEVEL: 'warn' });
  const brokerUrl = `mqtt://127.0.0.1:${broker.ready.port}`;
  const started: { close(): Promise<void> }[] = [broker];
  try {
    const edge = await startRole('edge', { BONKER_BROKER_URL: brokerUrl });
    started.push(edge);
    // The same edge with stored-bonks memory off: every repeat of the sample alert is published and stored again.
    const edgeNoMemory = await startRole('edge', { BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_REPEAT_WINDOW_S: '0' });
    started.push(edgeNoMemory);
    const bare = await startRole('bare-hono', {});
    started.push(bare);
    const red = await startNodeRed(Number(broker.ready.port));
    started.push(red);
    const url = (role: { ready: { [key: string]: unknown } }) => `http://127.0.0.1:${String(role.ready.port)}`;
    const targets = {
      edge: { url: url(edge) },
      everyTime: { url: url(edgeNoMemory) },
      distinct: { url: url(edge), distinct: true },
      bare: { url: url(bare) },
      red: { url: red.url },
    } satisfies Record<string, Target>;
    type Name = keyof typeof targets;
    const runs = Object.fromEntries(Object.keys(targets).map((name) => [name, [] as number[]])) as Record<Name, number[]>;
    let failed = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const name of Object.keys(targets) as Name[]) {
        const result = await rate(targets[name], options);
        runs[name].push(result.rps);
        failed += result.failed;
      }
    }
    const medians = Object.fromEntries(Object.entries(runs).map(([name, rps]) => [name, median(rps)])) as Record<Name, number>;
    return rows(medians, failed, options);
  } finally {
    for (const part of started.reverse()) await part.close();
  }
}

function rows(rps: Record<'edge' | 'everyTime' | 'distinct' | 'bare' | 'red', number>, failed: number, options: ThroughputOptions): Row[] {
  const load = `-c ${options.connections} -d ${options.durationS}, median of ${options.rounds}`;
  const fmt = (value: number) => `${Math.round(value)} req/s`;
  const red = `Node-RED flow QoS 1 ${fmt(rps.red)}`;
  const versusRed = (value: number) => ({ baseline: red, ratio: value / rps.red, goal: '≥ 2× Node-RED', met: value >= 2 * rps.red });
  return [
    { figure: '1', what: `edge POST /alertmanager, the sample alert (a repeat after the first: stored once, answered from memory; ${load})`,
      value: fmt(rps.edge), ...versusRed(rps.edge) },
    { figure: '1', what: 'same, BONKER_EDGE_REPEAT_WINDOW_S=0: every request published at QoS 2 and stored before the 2xx',
      value: fmt(rps.everyTime), ...versusRed(rps.everyTime) },
    { figure: '1', what: 'edge, a distinct alert per request (each a new bonk, QoS 2 stored before the 2xx)',
      value: fmt(rps.distinct), ...versusRed(rps.distinct) },
    { figure: '1', what: 'bare Hono route that only parses the JSON', value: fmt(rps.bare), baseline: `edge ${fmt(rps.distinct)} (distinct)`,
      ratio: rps.bare / rps.distinct, goal: 'ceiling (anchor 29k)' },
    { figure: '1', what: 'non-2xx / errors / timeouts over all five', value: String(failed), baseline: '', goal: '0', met: failed === 0 },
  ];
}
