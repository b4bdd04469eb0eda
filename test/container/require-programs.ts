// globalSetup of the container suite: fails loudly without podman and its helpers, then makes the Debian base image
// (infra/container/build-base.sh keeps one that exists, so only a new machine pays for it).
import { execFileSync } from 'node:child_process';
import { requireProgram } from '../interop/require-programs.ts';
import { CONTAINERS_CONF, ROOT } from './podman.ts';

export const BASE_IMAGE = 'localhost/bonker-base:trixie';
const INSTALL = 'sudo apt-get install -y --no-install-recommends podman runc mmdebstrap uidmap';

export default function setup(): void {
  for (const program of [['/usr/bin/podman'], ['/usr/sbin/runc', '/usr/bin/runc'], ['/usr/bin/mmdebstrap']]) {
    try {
      requireProgram(program);
    } catch {
      throw new Error(`The container suite needs podman, runc and mmdebstrap (missing: ${program.join(' or ')}): run \`${INSTALL}\``);
    }
  }
  if (process.getuid?.() !== 0) throw new Error('The container suite runs podman as root (rootless podman needs a user session here)');
  const started = performance.now();
  const said = execFileSync('bash', [`${ROOT}infra/container/build-base.sh`], {
    env: { ...process.env, CONTAINERS_CONF, BONKER_BASE_IMAGE: BASE_IMAGE },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(`${said.trim().split('\n').at(-1)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
