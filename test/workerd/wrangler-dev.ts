// `wrangler dev` (the edge Worker in local workerd) as a child process on free loopback ports, offline.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));

/** These keep wrangler from calling Cloudflare (metrics, cf object) and from printing its banner (docs/workers.md). */
export const OFFLINE_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true' };

export interface WranglerDev {
  url: string;
  pid: number;
  /** Every line wrangler and the Worker printed so far (Worker logs are JSON lines). */
  output: string[];
  close(): Promise<void>;
}

/** What wrangler dev runs: the edge (infra/wrangler.toml), or a bare script such as a benchmark's baseline Worker. */
const EDGE_WORKER = ['--config', 'infra/wrangler.toml'];

/** Starts the Worker with these vars on top of its config's and resolves once /healthz answers. */
export async function startWranglerDev(
  vars: Record<string, string>,
  timeoutMs = 30_000,
  worker: string[] = EDGE_WORKER,
): Promise<WranglerDev> {
  // A free port can be taken by another test's server before workerd binds it: try new ports, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(vars, timeoutMs, worker);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(vars: Record<string, string>, timeoutMs: number, worker: string[]): Promise<WranglerDev> {
  const [port, inspectorPort, state] = [await freePort(), await freePort(), await makeTempDir('bonker-wrangler-')];
  const args = [WRANGLER, 'dev', ...worker, '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--inspector-port', String(inspectorPort), '--show-interactive-dev-session=false', '--persist-to', state.path);
  for (const [key, value] of Object.entries(vars)) args.push('--var', `${key}:${value}`);
  // Own process group, so close() can stop wrangler and the workerd it started with one signal to this group only.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...OFFLINE_ENV, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    await state.remove();
  };
  try {
    await pollHealthz(url, timeoutMs, () => child.exitCode !== null);
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}; wrangler output:\n${output.slice(-20).join('\n')}`);
  }
  return { url, pid: child.pid!, output, close };
}

/** Waiting on a condition with a deadline: the dev server answers /healthz once workerd has loaded the Worker. */
async function pollHealthz(url: string, timeoutMs: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone()) throw new Error('wrangler dev exited before it was ready');
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`wrangler dev did not answer ${url}/healthz within ${timeoutMs} ms`);
}

/** Output lines that mean something went wrong inside workerd or wrangler. */
export function errorLines(output: string[]): string[] {
  return output.filter(
    (line) => /✘|\[ERROR\]|Cannot perform I\/O|Uncaught|Error:/.test(line) || /^\{.*"level":(5\d|6\d)/.test(line),
  );
}
