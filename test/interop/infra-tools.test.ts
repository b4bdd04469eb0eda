// The shipped infra checked by the real tools: promtool (check + unit tests), amtool, systemd-analyze verify.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { INFRA, yamlDocs } from '../infra/infra-files.ts';
import { kubeletCadvisorText, kubeStateMetricsText, nodeExporterText, type KubeContainer } from '../helpers/stand-in-exporters.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { AMTOOL, PROMTOOL, SYSTEMD_ANALYZE, SYSTEMD_PATH, requireProgram } from './require-programs.ts';

const run = promisify(execFile);

/** The node systemd would run for a bare `node`: the first in its built-in search path; undefined when none is there. */
function nodeSystemdFinds(): string | undefined {
  let dirs: string[];
  try {
    dirs = execFileSync(requireProgram(SYSTEMD_PATH), ['search-binaries-default'], { encoding: 'utf8' }).trim().split(':');
  } catch {
    return undefined;
  }
  return dirs.map((dir) => path.join(dir, 'node')).find((candidate) => existsSync(candidate));
}
/** Runs a tool; resolves with its output whatever the exit code, so a failure shows what the tool said. */
async function tool(program: string, args: string[], cwd?: string) {
  try {
    const { stdout, stderr } = await run(program, args, { cwd });
    return { code: 0, output: `${stdout}${stderr}`, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}${e.stderr}`, stderr: e.stderr };
  }
}

let tmp: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('bonker-infra-tools-');
});
afterAll(() => tmp.remove());

describe('promtool', () => {
  it('accepts the rules file', async () => {
    const result = await tool(requireProgram(PROMTOOL), ['check', 'rules', `${INFRA}prometheus/oom-rules.yml`]);
    expect(result.output).toMatch(/SUCCESS: 3 rules found/);
    expect(result.code).toBe(0);
  });

  it('accepts the PrometheusRule\'s groups', async () => {
    const [rule] = yamlDocs('prometheus/prometheus-rule.yaml');
    const file = path.join(tmp.path, 'operator-rules.yml');
    await writeFile(file, stringify({ groups: rule!.spec.groups }));
    const result = await tool(requireProgram(PROMTOOL), ['check', 'rules', file]);
    expect(result.code, result.output).toBe(0);
  });

  it('passes the rules\' unit tests (main-process kill, child-process kills, host kill, other restarts...)', async () => {
    const result = await tool(requireProgram(PROMTOOL), ['test', 'rules', 'oom-rules.test.yml'], `${INFRA}prometheus`);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
  });

  it('would catch the original never-resolving rule (the unit tests can fail)', async () => {
    const dir = path.join(tmp.path, 'original');
    await mkdir(dir, { recursive: true });
    await copyFile(`${INFRA}prometheus/oom-rules.test.yml`, path.join(dir, 'oom-rules.test.yml'));
    const rules = await readFile(`${INFRA}prometheus/oom-rules.yml`, 'utf8');
    const original = rules.replace(
      /expr: \|\n[\s\S]*?\n(\s+labels:)/,
      'expr: max by (namespace, pod, container) (kube_pod_container_status_last_terminated_reason{reason="OOMKilled"})\n$1',
    );
    expect(original).not.toBe(rules);
    await writeFile(path.join(dir, 'oom-rules.yml'), original);
    const result = await tool(requireProgram(PROMTOOL), ['test', 'rules', 'oom-rules.test.yml'], dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/one kill fires once and resolves/);
    expect(result.output).toMatch(/crash-looping container fires once per kill/);
  });

  // Each guard taken out in turn: the unit tests must notice every one (the name of the promtool test that fails).
  const RESTART_GUARD = /\n\s+unless on \(namespace, pod, container\)\n[^\n]*\[7m\]\)\) > 0\)/;
  it.each([
    {
      name: 'without the restart guard a main-process kill bonks twice',
      mutate: (rules: string) => rules.replace(RESTART_GUARD, ''),
      fails: /main-process kill shows in both exporters/,
    },
    {
      name: 'without the offset the kill is decided before kube-state-metrics reports the restart',
      mutate: (rules: string) => rules.replaceAll(' offset 1m', ''),
      fails: /main-process kill shows in both exporters/,
    },
    {
      name: 'with a restart window no longer than the kill\'s, a late report from the kubelet bonks',
      mutate: (rules: string) => rules.replace('[7m]', '[5m]'),
      fails: /reported late/,
    },
    {
      name: 'without the job filter the in-cluster node-exporter bonks container kills again',
      mutate: (rules: string) => rules.replaceAll('{job!="node-exporter"}', ''),
      fails: /host kill, only HostProcessOOMKilled fires/,
    },
  ])('would catch a weaker rule: $name', async ({ name, mutate, fails }) => {
    const dir = path.join(tmp.path, name.replace(/\W+/g, '-'));
    await mkdir(dir, { recursive: true });
    await copyFile(`${INFRA}prometheus/oom-rules.test.yml`, path.join(dir, 'oom-rules.test.yml'));
    const rules = await readFile(`${INFRA}prometheus/oom-rules.yml`, 'utf8');
    const weaker = mutate(rules);
    expect(weaker).not.toBe(rules);
    await writeFile(path.join(dir, 'oom-rules.yml'), weaker);
    const result = await tool(requireProgram(PROMTOOL), ['test', 'rules', 'oom-rules.test.yml'], dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(fails);
  });
});

describe('promtool check metrics', () => {
  /** promtool reading an exposition on stdin: exit code and what it said. */
  const checkMetrics = (text: string) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      const child = execFile(requireProgram(PROMTOOL), ['check', 'metrics'], (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }));
      child.stdin!.end(text);
    });
  const killed: KubeContainer[] = [
    { namespace: 'bonk', pod: 'eater', container: 'eater', restarts: 1, reason: 'OOMKilled', cgroup: { id: 'eater-2', oomEvents: 0 } },
    { namespace: 'shop', pod: 'web-0', container: 'gunicorn', restarts: 0, cgroup: { id: 'web-1', oomEvents: 3 } },
  ];

  // The interop suites' stand-ins must serve what the real exporters serve, HELP and TYPE included.
  it.each([
    ['kube-state-metrics', kubeStateMetricsText(killed), /# TYPE kube_pod_container_status_restarts_total counter/],
    ['kubelet /metrics/cadvisor', kubeletCadvisorText(killed), /# TYPE container_oom_events_total counter\n.*\} 0 \d{13}\n/],
    ['node_exporter', nodeExporterText(4), /# TYPE node_vmstat_oom_kill untyped/],
  ])('accepts the stand-in %s exposition', async (_name, text, type) => {
    expect(text).toMatch(type);
    const result = await checkMetrics(text);
    expect(result.code, result.output).toBe(0);
  });

  it('would reject a malformed exposition (the check can fail)', async () => {
    const result = await checkMetrics(nodeExporterText(4).replace('untyped', 'untyped\n# TYPE node_vmstat_oom_kill counter'));
    expect(result.code).not.toBe(0);
  });
});

describe('amtool', () => {
  it('accepts alertmanager.yml', async () => {
    const result = await tool(requireProgram(AMTOOL), ['check-config', `${INFRA}alertmanager/alertmanager.yml`]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
  });
});

describe('systemd-analyze verify', () => {
  // verify needs the ExecStart program to exist. The units name `node` bare, and systemd (verify too) looks it up in its
  // built-in search path, `systemd-path search-binaries-default`. Where no node is there (nvm, a CI image), the copy
  // under test names this test's node instead, and says so in the test name. No other line is changed.
  const node = nodeSystemdFinds();
  const asVerified = (text: string) => (node ? text : text.replaceAll('ExecStart=node ', `ExecStart=${process.execPath} `));
  it.each(['device', 'broker', 'edge', 'pi'])(`accepts oom-bonker-%s.service without a warning (ExecStart node: ${node ?? process.execPath})`, async (part) => {
    const name = `oom-bonker-${part}.service`;
    const text = await readFile(`${INFRA}systemd/${name}`, 'utf8');
    const file = path.join(tmp.path, name);
    await writeFile(file, asVerified(text));
    const result = await tool(requireProgram(SYSTEMD_ANALYZE), ['verify', file]);
    expect(result.code, result.output).toBe(0);
    expect(result.stderr.trim(), 'systemd-analyze warned').toBe('');
  });

  it(`accepts oom-bonker-device-pigpiod.service, with a stand-in pigpiod.service it requires (ExecStart node: ${node ?? process.execPath})`, async () => {
    const dir = path.join(tmp.path, 'pigpiod-variant');
    await mkdir(dir, { recursive: true });
    // Raspberry Pi OS's pigpio package ships pigpiod.service; here a stand-in lets Requires= resolve.
    await writeFile(path.join(dir, 'pigpiod.service'), '[Unit]\nDescription=stand-in pigpiod\n[Service]\nExecStart=/bin/true\n');
    const text = await readFile(`${INFRA}systemd/oom-bonker-device-pigpiod.service`, 'utf8');
    const file = path.join(dir, 'oom-bonker-device-pigpiod.service');
    await writeFile(file, asVerified(text));
    const result = await run(requireProgram(SYSTEMD_ANALYZE), ['verify', file], {
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
    }).then((r) => ({ code: 0, stderr: r.stderr }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim(), 'systemd-analyze warned').toBe('');
  });

  it('would report an ExecStart program that is not in systemd\'s search path (the lookup is checked)', async () => {
    const file = path.join(tmp.path, 'oom-bonker-no-node.service');
    const text = await readFile(`${INFRA}systemd/oom-bonker-edge.service`, 'utf8');
    await writeFile(file, text.replace('ExecStart=node ', 'ExecStart=no-such-node-for-bonker '));
    const result = await tool(requireProgram(SYSTEMD_ANALYZE), ['verify', file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no-such-node-for-bonker/);
  });

  it('would report a misspelt setting (the check can fail)', async () => {
    const file = path.join(tmp.path, 'oom-bonker-typo.service');
    const text = await readFile(`${INFRA}systemd/oom-bonker-edge.service`, 'utf8');
    await writeFile(file, text.replace('Restart=always', 'Restart=allways'));
    const result = await tool(requireProgram(SYSTEMD_ANALYZE), ['verify', file]);
    expect(result.stderr).toMatch(/allways/);
  });
});
