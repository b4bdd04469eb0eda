// `npm run bench`: every figure of bench/RESULTS.md (1–7) beside its baseline in one run; prints the table, writes it.
// `npm run bench:smoke`: the same code paths with tiny counts (CI), writes nothing. Exits non-zero only when a
// benchmark could not run at all; a missed goal is a figure, not a failure.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { throughputFigure } from './fig-throughput.ts';
import { latencyFigures } from './fig-latency.ts';
import { relayFigure } from './fig-relay.ts';
import { workersFigure } from './workers-latency.ts';
import { footprintFigure } from './fig-footprint.ts';
import { stormFigure } from './fig-storm.ts';
import { piBudgetFigure } from './fig-pi-budget.ts';
import { renderTable, type Row } from './stats.ts';

const smoke = process.argv.includes('--smoke');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');

const FIGURES: [id: string, name: string, run: () => Promise<Row[]>][] = [
  ['1', 'edge throughput', () => throughputFigure(smoke ? { connections: 5, durationS: 1, rounds: 1 } : { connections: 50, durationS: 10, rounds: 3 })],
  ['2', 'alert-to-strike latency, bundled vs Mosquitto', () => latencyFigures(smoke ? { ratePerS: 200, warmup: 5, requests: 20 } : { ratePerS: 200, warmup: 100, requests: 2_000 })],
  ['3', 'raw relay', () => relayFigure(smoke ? { messages: 200, inFlight: 100, settleMs: 1_000 } : { messages: 5_000, inFlight: 100, settleMs: 3_000 })],
  ['4', 'workers', () => workersFigure(smoke ? 10 : 200, smoke ? 2 : 20)],
  ['5', 'device footprint', () => footprintFigure(smoke ? { bonks: 20, idleS: 1 } : { bonks: 1_000, idleS: 60 })],
  ['6', 'storm', () => stormFigure(smoke ? { alerts: 1_000, rounds: 2 } : { alerts: 1_000, rounds: 20 })],
  ['7', 'Pi-class budget', () => piBudgetFigure(smoke
    ? { share: 0.05, bonks: 3, idleS: 2, settleS: 1, bonkRuns: 1, coldStart: false }
    : { share: 0.05, bonks: 100, idleS: 60, settleS: 45, bonkRuns: 5, coldStart: true })],
];

const CONDITIONS = `Conditions: everything on loopback on this machine, each part in its own process (broker: bundled Aedes 1.2.0 with
LevelDB persistence as shipped; edge: Node, pino at info; device agent: simulated servo, BONKER_MIN_GAP_MS=0,
travel 0 ms, hold 0 ms, BONKER_MAX_PER_MINUTE=10000 for figures 2, 3 and 5). The machine is shared: compare ratios
and medians within one run, not absolute times across runs. Figure 2 times the edge's \`at\` (taken when the handler
plans the bonk, performance.timeOrigin + performance.now()) to the simulated servo's first strike pulse on the same clock.
Figure 7 starts the shipped commands (bin/oom-bonker.js, the built bundles of dist/cli/) inside a cgroup limited to 5 %
of one core, about a Pi 1 B or Zero, and the original Flask app (bench/original-flask.py, gpiozero on mock pins) in the
same cgroup; \`up\` runs as npm start does (broker, edge, device; log level debug, so the simulated servo logs its
pulses), with the device's motion at 0 ms for both; \`bonk --wait\` runs with \`up\` in the same cgroup, as on one Pi.
Each code cache is made by an earlier run, as after the first start on a Pi, except where a row says "first".`;

async function main(): Promise<number> {
  const rows: Row[] = [];
  let failed = 0;
  const started = performance.now();
  for (const [id, name, run] of FIGURES) {
    if (only && !only.includes(id)) continue;
    const t = performance.now();
    try {
      const figure = await run();
      rows.push(...figure);
      process.stderr.write(`figure ${id} (${name}) done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      failed++;
      rows.push({ figure: id, what: `${name}: could not run`, value: String((error as Error).message).split('\n')[0]!, baseline: '', goal: '', met: false });
      process.stderr.write(`figure ${id} (${name}) could not run: ${(error as Error).stack}\n`);
    }
  }
  const table = renderTable(rows);
  console.log(table);
  console.log(`\n${smoke ? 'smoke run' : 'full run'} in ${((performance.now() - started) / 1000).toFixed(1)} s; ${failed} figure(s) could not run`);
  if (!smoke && !only) await writeResults(table);
  return failed ? 1 : 0;
}

async function writeResults(table: string): Promise<void> {
  const cpu = os.cpus();
  const text = `# OOM Bonker benchmark results

- Date: ${new Date().toISOString()}
- Node: ${process.version} on ${os.platform()} ${os.arch()}
- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}

${CONDITIONS}

${table}

Goals: 1 edge ≥ 2× Node-RED's req/s · 2 p50 ≤ 1 ms, p99 ≤ 5 ms · 3 bundled p50 ≤ 1.2× Mosquitto's, 0 stranded
or dropped · 4 p50 ≤ 4 ms per-request, ≤ 2.5 ms Durable Object · 5 RSS ≤ 55 MB, CPU ≤ 0.5 %, start ≤ 1 s · 6 ≤ 50 ms,
bonks capped · 7 (5 % of one core) \`up\` listening ≤ the original's, RSS ≤ 80 MB, \`bonk --wait\` ≤ 4 s (≤ 0.3 s
outside the budget), device agent subscribed ≤ 3 s and ≤ 45 MB, idle CPU ≤ 1 % of the budget. Regenerate with
\`npm run bench\`.
`;
  await writeFile(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), text);
}

process.exitCode = await main();
