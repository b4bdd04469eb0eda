// Figure 6: one notification carrying 1,000 firing alerts → response time and bonks queued, beside a one-alert one.
import { fixtures } from '../test/fixtures/index.ts';
import { startRole } from './proc.ts';
import { median, percentile, type Row } from './stats.ts';

export interface StormOptions {
  alerts: number;
  rounds: number;
}

function notification(alerts: number, tag: string): string {
  const template = fixtures.firingOne.alerts[0]!;
  const list = Array.from({ length: alerts }, (_, i) => ({
    ...template, fingerprint: `${tag}-${i}`, labels: { ...template.labels, pod: `eater-${i}` },
  }));
  return JSON.stringify({ ...fixtures.firingOne, alerts: list });
}

async function timedPost(url: string, body: string): Promise<{ ms: number; published: number; coalesced: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = (await response.json()) as { published?: string[]; coalesced?: number };
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`storm: answered ${response.status} ${JSON.stringify(answer)}`);
  return { ms, published: answer.published?.length ?? 0, coalesced: answer.coalesced ?? 0 };
}

export async function stormFigure(options: StormOptions): Promise<Row[]> {
  const broker = await startRole('broker', { BONKER_LOG_LEVEL: 'warn' });
  try {
    const edge = await startRole('edge', { BONKER_BROKER_URL: `mqtt://127.0.0.1:${broker.ready.port}` });
    try {
      const url = `http://127.0.0.1:${edge.ready.port}`;
      const storm: number[] = [];
      const single: number[] = [];
      let last = { published: 0, coalesced: 0 };
      // Interleaved, each round with fresh fingerprints, one warm-up round first.
      for (let round = -1; round < options.rounds; round++) {
        const big = await timedPost(url, notification(options.alerts, `storm-${round}-${Date.now()}`));
        const one = await timedPost(url, notification(1, `single-${round}-${Date.now()}`));
        if (round < 0) continue;
        storm.push(big.ms);
        single.push(one.ms);
        last = big;
      }
      const p50 = median(storm);
      return [
        { figure: '6', what: `storm: one notification with ${options.alerts} firing alerts (${options.rounds} rounds)`,
          value: `p50 ${p50.toFixed(2)} ms, max ${percentile(storm, 1).toFixed(2)} ms`,
          baseline: `one-alert notification p50 ${median(single).toFixed(2)} ms`, ratio: p50 / median(single),
          goal: '≤ 50 ms', met: p50 <= 50 },
        { figure: '6', what: 'storm: bonks queued / coalesced (BONKER_EDGE_MAX_BONKS default)', value: `${last.published} / ${last.coalesced}`,
          baseline: '', goal: 'capped', met: last.published <= 10 },
      ];
    } finally {
      await edge.close();
    }
  } finally {
    await broker.close();
  }
}
