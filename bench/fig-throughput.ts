// Figure 1: edge throughput with durable publishes, beside a bare Hono JSON route and a Node-RED flow, one broker.
import autocannon from 'autocannon';
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

const BODY = JSON.stringify(fixtures.firingOne);

/** Requests per second that got a 2xx; errors and non-2xx do not count as throughput. */
async function rate(url: string, options: ThroughputOptions): Promise<{ rps: number; failed: number }> {
  const result = await autocannon({
    url: `${url}/alertmanager`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY,
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
    const bare = await startRole('bare-hono', {});
    started.push(bare);
    const red = await startNodeRed(Number(broker.ready.port));
    started.push(red);
    const targets = { edge: `http://127.0.0.1:${edge.ready.port}`, bare: `http://127.0.0.1:${bare.ready.port}`, red: red.url };
    const runs: Record<keyof typeof targets, number[]> = { edge: [], bare: [], red: [] };
    let failed = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const name of Object.keys(targets) as (keyof typeof targets)[]) {
        const result = await rate(targets[name], options);
        runs[name].push(result.rps);
        failed += result.failed;
      }
    }
    return rows(median(runs.edge), median(runs.bare), median(runs.red), failed, options);
  } finally {
    for (const part of started.reverse()) await part.close();
  }
}

function rows(edge: number, bare: number, red: number, failed: number, options: ThroughputOptions): Row[] {
  const load = `-c ${options.connections} -d ${options.durationS}, median of ${options.rounds}`;
  const fmt = (rps: number) => `${Math.round(rps)} req/s`;
  return [
    { figure: '1', what: `edge POST /alertmanager, QoS 2 stored before 2xx (${load})`, value: fmt(edge),
      baseline: `Node-RED flow QoS 1 ${fmt(red)}`, ratio: edge / red, goal: '≥ 2× Node-RED', met: edge >= 2 * red },
    { figure: '1', what: 'bare Hono route that only parses the JSON', value: fmt(bare), baseline: `edge ${fmt(edge)}`,
      ratio: bare / edge, goal: 'ceiling (anchor 29k)' },
    { figure: '1', what: 'non-2xx / errors / timeouts over all three', value: String(failed), baseline: '', goal: '0', met: failed === 0 },
  ];
}
