// Fails the interop run loudly when a Debian program it needs is missing; never skips silently.
import { execFileSync } from 'node:child_process';

export const MOSQUITTO_CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];
export const MOSQUITTO_PUB = ['/usr/bin/mosquitto_pub'];
export const MOSQUITTO_SUB = ['/usr/bin/mosquitto_sub'];

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
  const missing = [MOSQUITTO_CANDIDATES, MOSQUITTO_PUB, MOSQUITTO_SUB].filter((candidates) => !findProgram(candidates));
  if (missing.length) {
    throw new Error(
      'The interop suite needs Debian\'s Mosquitto broker and clients: run ' +
        '`sudo apt-get install -y --no-install-recommends mosquitto mosquitto-clients` ' +
        `(missing: ${missing.map((c) => c.join(' or ')).join(', ')}).`,
    );
  }
}
