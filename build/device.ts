// The device agent exactly as its systemd unit starts it, for the bench and the tests: the unit's ExecStart split
// into node's arguments, with /opt/oom-bonker/ read as this checkout. The agent's bundle is dist/cli/device.cjs
// (build/bundles.ts), which bin/oom-bonker.js runs for `oom-bonker device`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const UNIT = `${ROOT}infra/systemd/oom-bonker-device.service`;
/** Where the units expect this checkout on the Pi. */
const INSTALL_DIR = '/opt/oom-bonker/';

export function deviceUnitCommand(unitText = readFileSync(UNIT, 'utf8')): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error(`no ExecStart= in ${UNIT}`);
  const [, ...args] = line.slice('ExecStart='.length).trim().split(/\s+/);
  return args.map((arg) => arg.replace(INSTALL_DIR, ROOT));
}
