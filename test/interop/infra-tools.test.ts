// The shipped infra checked by the real tools: promtool (check + unit tests), amtool, systemd-analyze verify.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { INFRA, yamlDocs } from '../infra/infra-files.ts';
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
    expect(result.output).toMatch(/SUCCESS: 1 rules found/);
    expect(result.code).toBe(0);
  });

  it('accepts the PrometheusRule\'s groups', async () => {
    const [rule] = yamlDocs('prometheus/prometheus-rule.yaml');
    const file = path.join(tmp.path, 'operator-rules.yml');
    await writeFile(file, stringify({ groups: rule!.spec.groups }));
    const result = await tool(requireProgram(PROMTOOL), ['check', 'rules', file]);
    expect(result.code, result.output).toBe(0);
  });

  it('passes the rule\'s unit tests (one kill, crash loop, other reason, two containers)', async () => {
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
