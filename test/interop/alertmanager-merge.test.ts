// The shipped bonker route merged into a team's existing alertmanager.yml the way the README says (first in
// `routes`), checked by Debian's amtool 0.25: every OOM alert of the rules file reaches both the edge and the pager,
// other alerts only the pager.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readInfra, type Doc } from '../infra/infra-files.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { AMTOOL, requireProgram } from './require-programs.ts';

const run = promisify(execFile);
const shipped = parse(readInfra('alertmanager/alertmanager.yml')) as Doc;
const bonkerRoute = shipped.route.routes.find((r: Doc) => r.receiver === 'bonker') as Doc;
const bonkerReceiver = shipped.receivers.find((r: Doc) => r.name === 'bonker') as Doc;

/** What a team running Alertmanager already has: everything pages, except the Watchdog heartbeat. */
function existingConfig(pagerRoute: 'catch-all route' | 'top-level receiver only'): Doc {
  return {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: 'pager',
      group_by: ['alertname', 'namespace'],
      routes: [
        { receiver: 'blackhole', matchers: ['alertname = "Watchdog"'] },
        ...(pagerRoute === 'catch-all route' ? [{ receiver: 'pager' }] : []),
      ],
    },
    receivers: [
      { name: 'pager', webhook_configs: [{ url: 'https://pager.example.com/v1/alertmanager/team-sre', send_resolved: true }] },
      { name: 'blackhole' },
    ],
    inhibit_rules: [{ source_matchers: ['severity = "critical"'], target_matchers: ['severity = "warning"'], equal: ['namespace'] }],
  };
}

/** The README's merge: the bonker route first in `routes`, its receiver beside the others, EDGE_HOST filled in. */
function mergeBonker(config: Doc, route: Doc = bonkerRoute): Doc {
  const receiver = structuredClone(bonkerReceiver);
  receiver.webhook_configs[0].url = receiver.webhook_configs[0].url.replace('EDGE_HOST', 'bonker-edge.internal');
  return {
    ...config,
    route: { ...config.route, routes: [structuredClone(route), ...config.route.routes] },
    receivers: [...config.receivers, receiver],
  };
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let written = 0;
beforeAll(async () => {
  tmp = await makeTempDir('bonker-am-merge-');
});
afterAll(() => tmp.remove());

async function writeConfig(config: Doc): Promise<string> {
  const file = path.join(tmp.path, `alertmanager-${++written}.yml`);
  await writeFile(file, stringify(config));
  const check = await run(requireProgram(AMTOOL), ['check-config', file]).catch((e: { stdout: string; stderr: string }) => e);
  expect(`${check.stdout}${check.stderr}`, 'amtool check-config').toMatch(/SUCCESS/);
  return file;
}

/** The receivers `amtool config routes test` names for an alert with these labels, in routing order. */
async function receiversFor(file: string, ...labels: string[]): Promise<string[]> {
  const { stdout } = await run(requireProgram(AMTOOL), ['config', 'routes', 'test', `--config.file=${file}`, ...labels]);
  return stdout.trim().split('\n').at(-1)!.split(',');
}

/** Every alert of the rules file, with the labels it carries: pod alerts a namespace, the host alert an instance. */
const RULES = parse(readInfra('prometheus/oom-rules.yml')) as Doc;
const OOM_ALERTS = (RULES.groups[0].rules as Doc[]).map((r) => [
  `alertname=${r.alert}`,
  ...(r.alert.startsWith('Host') ? ['instance=db-1:9100'] : ['namespace=x']),
]);
const OOM = OOM_ALERTS[0]!;

describe('the bonker route merged into an existing config with a catch-all pager route', () => {
  it('sends each OOM alert (container, process in a container, host) to the edge and still to the pager', async () => {
    const file = await writeConfig(mergeBonker(existingConfig('catch-all route')));
    expect(OOM_ALERTS).toHaveLength(3);
    for (const labels of OOM_ALERTS) expect(await receiversFor(file, ...labels), labels.join(' ')).toEqual(['bonker', 'pager']);
  });

  it('sends other alerts only to the pager, and the Watchdog still nowhere', async () => {
    const file = await writeConfig(mergeBonker(existingConfig('catch-all route')));
    expect(await receiversFor(file, 'alertname=KubePodCrashLooping', 'namespace=x')).toEqual(['pager']);
    expect(await receiversFor(file, 'alertname=Watchdog')).toEqual(['blackhole']);
  });

  it('would take the page away without `continue: true` (the check can fail)', async () => {
    const { continue: _continue, ...stopping } = bonkerRoute;
    const file = await writeConfig(mergeBonker(existingConfig('catch-all route'), stopping));
    expect(await receiversFor(file, ...OOM)).toEqual(['bonker']);
  });
});

describe('the bonker route merged where the pager is only the top-level receiver', () => {
  // Alertmanager falls back to route.receiver only when no route matched at all; the README says to add the line.
  it('reaches only the edge until `- receiver: pager` ends `routes`, then both', async () => {
    const bare = await writeConfig(mergeBonker(existingConfig('top-level receiver only')));
    for (const labels of OOM_ALERTS) expect(await receiversFor(bare, ...labels), labels.join(' ')).toEqual(['bonker']);
    expect(await receiversFor(bare, 'alertname=KubePodCrashLooping', 'namespace=x')).toEqual(['pager']);

    const merged = mergeBonker(existingConfig('top-level receiver only'));
    merged.route.routes.push({ receiver: 'pager' });
    const fixed = await writeConfig(merged);
    for (const labels of OOM_ALERTS) expect(await receiversFor(fixed, ...labels), labels.join(' ')).toEqual(['bonker', 'pager']);
    expect(await receiversFor(fixed, 'alertname=KubePodCrashLooping', 'namespace=x')).toEqual(['pager']);
  });
});
