// Fails the interop run loudly when a Debian program it needs is missing; never skips silently.
import { execFileSync } from 'node:child_process';

export const MOSQUITTO_CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];

export function findProgram(candidates: readonly string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-h'], { stdio: 'ignore' });
      return candidate;
    } catch (error) {
      // mosquitto -h prints usage and exits 3: it exists.
      if ((error as { status?: number }).status !== undefined) return candidate;
    }
  }
  return undefined;
}

export default function requirePrograms(): void {
  if (!findProgram(MOSQUITTO_CANDIDATES)) {
    throw new Error(
      'The interop suite needs Debian\'s Mosquitto: run `sudo apt-get install -y --no-install-recommends mosquitto` ' +
        '(it looked for ' + MOSQUITTO_CANDIDATES.join(', ') + ').',
    );
  }
}
