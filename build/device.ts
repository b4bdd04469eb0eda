// The parts exactly as their systemd units start them, for the bench and the tests: a unit's ExecStart split into
// node's arguments, with the installed package's directory read as this checkout, and the environment it sets for the
// process itself (not the BONKER_* settings, whose paths exist only on the Pi). The bundles are dist/cli/<command>.cjs
// (build/bundles.ts), which bin/oom-bonker.js runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Where the units expect the package on the Pi (`npm install -g --prefix /usr/local`): the same tree as a checkout. */
const INSTALL_DIR = '/usr/local/lib/node_modules/oom-bonker/';

export interface UnitCommand {
  /** node's arguments (flags, bin/oom-bonker.js, the command). */
  args: string[];
  /** Environment= entries other than BONKER_*, e.g. MALLOC_ARENA_MAX. */
  env: Record<string, string>;
}

export function unitCommand(unit: string, unitText = readFileSync(`${ROOT}infra/systemd/${unit}`, 'utf8')): UnitCommand {
  const lines = unitText.split('\n');
  const line = lines.find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error(`no ExecStart= in ${unit}`);
  const [, ...args] = line.slice('ExecStart='.length).trim().split(/\s+/);
  const env: Record<string, string> = {};
  for (const l of lines) {
    const match = /^Environment=([A-Z0-9_]+)=(.*)$/.exec(l);
    if (match && !match[1]!.startsWith('BONKER_')) env[match[1]!] = match[2]!;
  }
  return { args: args.map((arg) => arg.replace(INSTALL_DIR, ROOT)), env };
}

/** The device agent as oom-bonker-device.service starts it: node's arguments. */
export function deviceUnitCommand(unitText?: string): string[] {
  return unitCommand('oom-bonker-device.service', unitText).args;
}
