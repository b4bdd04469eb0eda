// Fails the interop run loudly when a Debian program it needs is missing; never skips silently.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export const MOSQUITTO_CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];
export const MOSQUITTO_PUB = ['/usr/bin/mosquitto_pub'];
export const MOSQUITTO_PASSWD = ['/usr/bin/mosquitto_passwd'];
export const MOSQUITTO_SUB = ['/usr/bin/mosquitto_sub'];
// The infra suites (test/interop/infra-*.test.ts): Debian 12's prometheus 2.42 and prometheus-alertmanager 0.25.
export const PROMETHEUS = ['/usr/bin/prometheus'];
export const PROMTOOL = ['/usr/bin/promtool'];
export const ALERTMANAGER = ['/usr/bin/prometheus-alertmanager'];
export const AMTOOL = ['/usr/bin/amtool'];
export const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze'];
// Where systemd looks up a bare ExecStart program (systemd-path search-binaries-default); same package.
export const SYSTEMD_PATH = ['/usr/bin/systemd-path'];
// The dashboard's browser test (test/interop/dashboard.test.ts): Debian's chromium, driven by playwright-core.
export const CHROMIUM = ['/usr/bin/chromium'];
// The cluster suites (test/interop/cluster-*.test.ts): Debian 12's redis-server 7.0 behind aedes-persistence-redis.
export const REDIS_SERVER = ['/usr/bin/redis-server'];
// The MQTT conformance suite (test/interop/mqtt-conformance.test.ts): Eclipse Paho's Go client tests, which Debian's
// golang-github-eclipse-paho.mqtt.golang-dev ships as source, built with Debian's Go (golang-go).
export const GO = ['/usr/bin/go'];
export const PAHO_GO_FVT = ['/usr/share/gocode/src/github.com/eclipse/paho.mqtt.golang/fvt_client_test.go'];

/** The first candidate that exists, or an error that says what to install. */
export function requireProgram(candidates: readonly string[]): string {
  const found = findProgram(candidates);
  if (!found) throw new Error(`${candidates.join(' or ')} is missing; ${INSTALL}`);
  return found;
}

const INSTALL =
  'the interop suite needs Debian\'s Mosquitto, Prometheus, Alertmanager, systemd, chromium, Redis, Go and Paho\'s Go client tests: run ' +
  '`sudo apt-get install -y --no-install-recommends mosquitto mosquitto-clients prometheus prometheus-alertmanager systemd chromium redis-server ' +
  'golang-go golang-github-eclipse-paho.mqtt.golang-dev`';

export function findProgram(candidates: readonly string[]): string | undefined {
  for (const candidate of candidates) {
    // Running chromium to probe it would start a browser; that it is there and executable is enough.
    if (candidate.endsWith('/chromium')) {
      if (isExecutable(candidate)) return candidate;
      continue;
    }
    // A test suite shipped as source is there when it can be read.
    if (candidate.endsWith('.go')) {
      if (isReadable(candidate)) return candidate;
      continue;
    }
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
  const needed = [MOSQUITTO_CANDIDATES, MOSQUITTO_PUB, MOSQUITTO_PASSWD, MOSQUITTO_SUB, PROMETHEUS, PROMTOOL, ALERTMANAGER, AMTOOL, SYSTEMD_ANALYZE, CHROMIUM, REDIS_SERVER, GO, PAHO_GO_FVT];
  const missing = needed.filter((candidates) => !findProgram(candidates));
  if (missing.length) {
    throw new Error(`${INSTALL[0]!.toUpperCase()}${INSTALL.slice(1)} (missing: ${missing.map((c) => c.join(' or ')).join(', ')}).`);
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isReadable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
