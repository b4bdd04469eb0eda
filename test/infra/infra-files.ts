// Reading infra/ for the offline checks: YAML documents, systemd units, env files, and the settings each part knows.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { brokerEnvShape } from '../../broker/config.ts';
import { clientEnvShape } from '../../cli/client-config.ts';
import { deviceEnvShape } from '../../device/config.ts';
import { edgeEnvShape } from '../../edge/core/config.ts';

export const INFRA = fileURLToPath(new URL('../../infra/', import.meta.url));

export function readInfra(relative: string): string {
  return readFileSync(`${INFRA}${relative}`, 'utf8');
}

// A plain record view of YAML, enough for structural assertions.
export type Doc = Record<string, any>;

/** Every document of a YAML file; throws on any parse error or warning, naming the file. */
export function yamlDocs(relative: string): Doc[] {
  const docs = parseAllDocuments(readInfra(relative));
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((doc) => [...doc.errors, ...doc.warnings]).map((e) => e.message);
  if (problems.length) throw new Error(`${relative}: ${problems.join('; ')}`);
  return list.map((doc) => doc.toJS() as Doc).filter((doc) => doc !== null);
}

/** BONKER_LOG_LEVEL is read by the CLI for every command (cli/main.ts), not by a part's shape. */
const COMMON = ['BONKER_LOG_LEVEL'];

/** The settings each `oom-bonker <command>` reads, from the parts' own shapes: a renamed setting breaks the tests. */
export const SETTINGS = {
  broker: new Set([...Object.keys(brokerEnvShape), ...COMMON]),
  edge: new Set([...Object.keys(edgeEnvShape), ...COMMON]),
  device: new Set([...Object.keys(deviceEnvShape), ...COMMON]),
  client: new Set([...Object.keys(clientEnvShape), ...COMMON]),
} as const;

export type Part = 'broker' | 'edge' | 'device';

/** `KEY=value` lines of an env file (comments and blanks skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (!match) throw new Error(`not KEY=value: ${line}`);
      return [match[1]!, match[2]!] as const;
    });
  return Object.fromEntries(entries);
}

/** A unit file as section → key → values (keys may repeat, as Environment= and DeviceAllow= do). */
export function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const unit: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      unit[section] = {};
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    (unit[section]![key] ??= []).push(line.slice(eq + 1));
  }
  return unit;
}

/** Environment= assignments of a unit's [Service] section. */
export function unitEnvironment(unit: Record<string, Record<string, string[]>>): Record<string, string> {
  const pairs = (unit.Service?.Environment ?? []).map((value) => {
    const eq = value.indexOf('=');
    return [value.slice(0, eq), value.slice(eq + 1)] as const;
  });
  return Object.fromEntries(pairs);
}

/** Where `sudo npm install -g --prefix /usr/local oom-bonker-<version>.tgz` puts the package (README). */
export const INSTALL_PREFIX = '/usr/local';
export const INSTALLED_BIN = `${INSTALL_PREFIX}/lib/node_modules/oom-bonker/bin/oom-bonker.js`;
/** Every unit in infra/systemd, as oom-bonker-<name>.service. */
export const UNIT_NAMES = ['broker', 'edge', 'device', 'device-pigpiod', 'pi'] as const;

/** A unit's ExecStart= split into the program systemd runs, node's flags, the script node runs, and its arguments. */
export function splitExecStart(unit: Record<string, Record<string, string[]>>): {
  program: string;
  nodeFlags: string[];
  script: string;
  args: string[];
} {
  const lines = unit.Service?.ExecStart ?? [];
  if (lines.length !== 1) throw new Error(`expected one ExecStart=, found ${lines.length}`);
  const [program, ...rest] = lines[0]!.split(/\s+/);
  const at = rest.findIndex((word) => !word.startsWith('-'));
  if (!program || at < 0) throw new Error(`ExecStart=${lines[0]}: expected a program, a script and arguments`);
  return { program, nodeFlags: rest.slice(0, at), script: rest[at]!, args: rest.slice(at + 1) };
}
