// What ships: bin/oom-bonker.js runs JavaScript built ahead of time (dist/cli/, `npm run build`), each command's
// bundle holds only what that command uses, and the V8 code cache beside it belongs to one build of one bundle.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, CLIENT_COMMANDS, COMMAND_NAMES, ROOT, TABLE_BUNDLE } from '../build/bundles.ts';
import { COMMANDS } from '../cli/main.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const run = promisify(execFile);

/** Runs a copy of bin/ with its own dist/ (and nothing else: no node_modules, so no TypeScript loader to fall back on). */
async function runBin(dir: string, args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [path.join(dir, 'bin/oom-bonker.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** A stand-in bundle: prints its name and the argv the bin handed it. */
const fakeBundle = (name: string) => `exports.run = async (argv) => { console.log(${JSON.stringify(name)}, JSON.stringify(argv)); };\n`;

describe('bin/oom-bonker.js', () => {
  it('says to run `npm run build` when dist/ is missing', async () => {
    const temp = await makeTempDir('bonker-bin-');
    try {
      await cp(path.join(ROOT, 'bin'), path.join(temp.path, 'bin'), { recursive: true });
      const result = await runBin(temp.path, ['bonk', '--wait']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/dist\/cli\/oom-bonker\.cjs is missing: run `npm run build`/);
    } finally {
      await temp.remove();
    }
  });

  it('runs dist/cli/<command>.cjs for a command, the table bundle otherwise, and caches its compiled code', async () => {
    const temp = await makeTempDir('bonker-bin-');
    try {
      await cp(path.join(ROOT, 'bin'), path.join(temp.path, 'bin'), { recursive: true });
      await mkdir(path.join(temp.path, 'dist/cli'), { recursive: true });
      await writeFile(path.join(temp.path, 'dist/cli/bonk.cjs'), fakeBundle('bonk bundle'));
      await writeFile(path.join(temp.path, `dist/cli/${TABLE_BUNDLE}.cjs`), fakeBundle('table bundle'));
      expect((await runBin(temp.path, ['bonk', '--count', '2'])).stdout).toBe('bonk bundle ["bonk","--count","2"]\n');
      expect((await runBin(temp.path, ['--help'])).stdout).toBe('table bundle ["--help"]\n');
      expect((await runBin(temp.path, ['../../etc/passwd'])).stdout).toBe('table bundle ["../../etc/passwd"]\n');
      const caches = (await readdir(path.join(temp.path, 'dist/cache'))).sort();
      expect(caches).toEqual([expect.stringMatching(/^bonk\.\w+\.v8cache$/), expect.stringMatching(/^oom-bonker\.\w+\.v8cache$/)]);
      // A rebuilt bundle gets a cache of its own, and the old one goes.
      await writeFile(path.join(temp.path, 'dist/cli/bonk.cjs'), fakeBundle('BONK BUNDLE'));
      expect((await runBin(temp.path, ['bonk'])).stdout).toBe('BONK BUNDLE ["bonk"]\n');
      const after = await readdir(path.join(temp.path, 'dist/cache'));
      expect(after.filter((name) => name.startsWith('bonk.'))).toHaveLength(1);
      expect(after).not.toContain(caches[0]);
      // systemd's CacheDirectory= wins over dist/cache/.
      const systemd = path.join(temp.path, 'var-cache');
      await mkdir(systemd);
      await runBin(temp.path, ['bonk'], { CACHE_DIRECTORY: systemd });
      expect(await readdir(systemd)).toEqual([expect.stringMatching(/^bonk\.\w+\.v8cache$/)]);
    } finally {
      await temp.remove();
    }
  });
});

describe('the bundles (build/bundles.ts)', () => {
  let inputsOf: (bundle: string) => string[];
  beforeAll(async () => {
    const { metafile } = await bundleCli();
    inputsOf = (bundle) => {
      const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(`dist/cli/${bundle}.cjs`));
      if (!output) throw new Error(`no bundle for ${bundle}`);
      return Object.keys(output[1].inputs);
    };
  });

  const packages = (inputs: string[]) => [...new Set(inputs.flatMap((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(i)?.[1] ?? []))];
  const SERVER_PACKAGES = /^(aedes.*|level|classic-level|abstract-level|hono|@hono\/.*|prom-client|ioredis|mqemitter.*|ws)$/;

  it('exist for every command of cli/main.ts, and one for the whole table', () => {
    expect(COMMAND_NAMES).toEqual(Object.keys(COMMANDS));
    for (const name of [...COMMAND_NAMES, TABLE_BUNDLE]) expect(inputsOf(name).length).toBeGreaterThan(0);
  });

  it.each(['bonk', 'status', 'watch'])('%s holds no broker, edge, servo or agent code and none of their packages', (bundle) => {
    const inputs = inputsOf(bundle);
    expect(packages(inputs).filter((name) => SERVER_PACKAGES.test(name) || name.startsWith('pigpio'))).toEqual([]);
    expect(inputs.filter((file) => /^(broker|edge)\//.test(file))).toEqual([]);
    // The agent's MQTT stream builder is the one device file a client uses (cli/admin-client.ts).
    expect(inputs.filter((file) => file.startsWith('device/'))).toEqual(['device/mqtt-transport.ts']);
    expect(packages(inputs)).toContain('mqtt');
  });

  it('device holds no broker or edge code, and no Aedes, LevelDB, Hono or prom-client', () => {
    const inputs = inputsOf('device');
    expect(inputs.filter((file) => /^(broker|edge)\//.test(file))).toEqual([]);
    expect(packages(inputs).filter((name) => SERVER_PACKAGES.test(name))).toEqual([]);
    expect(inputs).toContain('device/start-device.ts');
  });

  it('up holds all three parts', () => {
    const inputs = inputsOf('up');
    for (const file of ['broker/start-broker.ts', 'edge/node/main.ts', 'device/start-device.ts']) expect(inputs).toContain(file);
  });

  it('client bundles use Node\'s streams for readable-stream; the broker\'s keep the package', () => {
    for (const bundle of CLIENT_COMMANDS) expect(packages(inputsOf(bundle))).not.toContain('readable-stream');
    expect(packages(inputsOf('up'))).toContain('readable-stream');
  });
});

describe('the shipped entries', () => {
  it('package.json: npm start runs the bin, npm ci builds dist/ (prepare), tsx is only a dev dependency', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>; bin: Record<string, string>;
    };
    expect(pkg.bin['oom-bonker']).toBe('bin/oom-bonker.js');
    expect(pkg.scripts.start).toMatch(/^node (\S+ )*bin\/oom-bonker\.js up$/);
    expect(pkg.scripts.prepare).toBe('node build/prepare.js');
    expect(pkg.scripts.build).toBe('tsx build/bundles.ts');
    expect(pkg.dependencies.tsx).toBeUndefined();
    expect(pkg.devDependencies.tsx).toBeDefined();
    expect(pkg.devDependencies.esbuild).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('no shipped entry runs TypeScript: the units\' ExecStart, the image\'s ENTRYPOINT, the bin', async () => {
    const units = (await readdir(path.join(ROOT, 'infra/systemd'))).filter((file) => file.endsWith('.service'));
    const commands = [
      ...(await Promise.all(units.map((unit) => readFile(path.join(ROOT, 'infra/systemd', unit), 'utf8')))).flatMap((text) => text.match(/^ExecStart=.*$/gm) ?? []),
      ...((await readFile(path.join(ROOT, 'infra/k8s/Dockerfile'), 'utf8')).match(/^(ENTRYPOINT|CMD) .*$/gm) ?? []),
      ...(await readFile(path.join(ROOT, 'bin/oom-bonker.js'), 'utf8')).split('\n').filter((line) => /^import /.test(line)),
    ];
    expect(commands.length).toBeGreaterThan(units.length);
    for (const command of commands) expect(command).not.toMatch(/\btsx\b|\.ts\b/);
    for (const command of commands.filter((c) => c.startsWith('ExecStart='))) expect(command).toMatch(/ \/usr\/local\/lib\/node_modules\/oom-bonker\/bin\/oom-bonker\.js /);
  });
});
