// Builds and runs Eclipse Paho's Go client FVT suite, as Debian ships it, against any MQTT address (host:port).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PAHO_GO_FVT } from './require-programs.ts';

/** golang-github-eclipse-paho.mqtt.golang-dev 1.1.1 (Debian 12) installs the package's source, tests included, here. */
const GOPATH = '/usr/share/gocode';
const PACKAGE = 'github.com/eclipse/paho.mqtt.golang';
/** The suite's broker tests; the package's other *_test.go files test only the client (see buildFvt). */
const FVT_CLIENT_TESTS = PAHO_GO_FVT[0]!;
const PACKAGE_DIR = dirname(FVT_CLIENT_TESTS);

/**
 * The suite's own settings file (fvt_test.go) hard-codes port 1883 and a public default host; the suite's comments say
 * to swap it per broker ("Use fvt/mosquitto.cfg for ... Mosquitto"). This replacement takes host:port from
 * TEST_FVT_ADDR, so the broker can listen on an ephemeral loopback port. The tests themselves run unchanged.
 */
const SETTINGS = `package mqtt

import "os"

var (
	FVTAddr string
	FVTTCP  string
	FVTSSL  string
)

func init() {
	FVTAddr = os.Getenv("TEST_FVT_ADDR")
	FVTTCP = "tcp://" + FVTAddr
	FVTSSL = "ssl://" + FVTAddr
}
`;

export interface FvtResult {
  passed: boolean;
  output: string;
}

export interface FvtSuite {
  /** The test functions compiled into the binary (`-test.list`). */
  cases: string[];
  /** Runs one test function of fvt_client_test.go against `address` (host:port) in its own process. */
  run(name: string, address: string): Promise<FvtResult>;
  remove(): Promise<void>;
}

/** The suite's test functions, in file order, read from the installed source (the ones it comments out left out). */
export function listFvtCases(): string[] {
  const source = readFileSync(FVT_CLIENT_TESTS, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  return [...source.matchAll(/^func (Test\w+)\(t \*testing\.T\)/gm)].map((match) => match[1]!);
}

/**
 * Compiles the suite into a test binary with Debian's Go, offline (GOPATH mode, no module download). The overlay swaps
 * in SETTINGS and leaves out every other *_test.go: they are the client's unit and file-store tests, and one of them
 * (unit_router_test.go) no longer compiles with Go 1.19 ("declared but not used").
 */
export async function buildFvt(go: string): Promise<FvtSuite> {
  const dir = await mkdtemp(join(tmpdir(), 'bonker-paho-fvt-'));
  try {
    const settings = join(dir, 'fvt_test.go');
    await writeFile(settings, SETTINGS);
    const replace: Record<string, string> = { [join(PACKAGE_DIR, 'fvt_test.go')]: settings };
    for (const file of await readdir(PACKAGE_DIR)) {
      if (file.endsWith('_test.go') && file !== 'fvt_test.go' && file !== 'fvt_client_test.go') replace[join(PACKAGE_DIR, file)] = '';
    }
    const overlay = join(dir, 'overlay.json');
    await writeFile(overlay, JSON.stringify({ Replace: replace }));
    const binary = join(dir, 'fvt.test');
    const env = { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(dir, 'cache'), GOTOOLCHAIN: 'local' };
    await run(go, ['test', '-c', '-overlay', overlay, '-o', binary, PACKAGE], { cwd: dir, env, timeout: 90_000 });
    const { stdout } = await run(binary, ['-test.list', '.*'], { cwd: dir, env, timeout: 10_000 });
    return {
      cases: stdout.split('\n').filter((line) => line.startsWith('Test')),
      run: (name, address) => runCase(binary, name, address, dir),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function runCase(binary: string, name: string, address: string, cwd: string): Promise<FvtResult> {
  // -test.timeout makes Go print where a case hung (several wait on a channel forever when a message never comes).
  const args = ['-test.run', `^${name}$`, '-test.v', '-test.timeout', '30s'];
  const env = { ...process.env, TEST_FVT_ADDR: address };
  try {
    const { stdout, stderr } = await run(binary, args, { cwd, env, timeout: 45_000 });
    const output = stdout + stderr;
    return { passed: output.includes(`--- PASS: ${name} `), output };
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string };
    return { passed: false, output: `${stdout}${stderr}` || message };
  }
}

function run(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // execFile's timeout ends the child it started (by its pid), never anything else.
    execFile(file, args, { ...options, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}
