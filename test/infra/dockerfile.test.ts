// infra/k8s/Dockerfile against what the commands read at run time: the entry script and what it loads, the bundles,
// the packages they leave to node_modules, the dashboard page. Building and running the image is
// test/container/image.test.ts (podman); this is the offline half, run with every `npm test`.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metafile } from 'esbuild';
import { buildCli, ROOT } from '../../build/bundles.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { readInfra, yamlDocs, type Doc } from './infra-files.ts';

interface Instruction {
  name: string;
  args: string;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [name, ...rest] = line.split(/\s+/);
      return { name: name!.toUpperCase(), args: rest.join(' ') };
    });
}

const instructions = parseDockerfile(readInfra('k8s/Dockerfile'));
const stageStarts = instructions.flatMap((ins, i) => (ins.name === 'FROM' ? [i] : []));
const stages = stageStarts.map((start, i) => instructions.slice(start, stageStarts[i + 1]));
const finalStage = stages.at(-1)!;
const buildStage = stages.find((stage) => / AS build$/i.test(stage[0]!.args))!;
const all = (stage: Instruction[], name: string) => stage.filter((ins) => ins.name === name);

/** COPY's sources and destination, its flags apart. */
function copyOf(ins: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = ins.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** What a stage's COPY lines put where, as paths relative to its WORKDIR (/app): e.g. `dist`, `package.json`. */
function copiedPaths(stage: Instruction[]): string[] {
  const workdir = all(stage, 'WORKDIR').at(-1)!.args;
  return all(stage, 'COPY').flatMap((ins) => {
    const { sources, dest } = copyOf(ins);
    const into = path.posix.normalize(dest.startsWith('/') ? path.posix.relative(workdir, dest) : dest);
    const intoDirectory = dest.endsWith('/') || into === '.' || sources.length > 1;
    return sources.map((source) => path.posix.normalize(intoDirectory ? path.posix.join(into, path.posix.basename(source)) : into));
  });
}

/** Whether `file` (relative to the app root) lies in something the stage copied. */
const covers = (copied: string[], file: string) =>
  copied.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, '')}/`));

const BUILTINS = new Set(builtinModules);
/** `mqtt/lib/connect/ws` → `mqtt`, `@scope/pkg/x` → `@scope/pkg`. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
/** ws requires these inside try/catch for speed when they are installed; it works without them. */
const OPTIONAL_ACCELERATORS = new Set(['bufferutil', 'utf-8-validate']);

const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Doc> };
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Doc;

let out: Awaited<ReturnType<typeof makeTempDir>>;
let metafile: Metafile;
beforeAll(async () => {
  out = await makeTempDir('bonker-dockerfile-');
  // The same bundles `npm run build` makes (written aside), for esbuild's account of their inputs and imports.
  metafile = await buildCli(out.path);
});
afterAll(() => out?.remove());

describe('infra/k8s/Dockerfile', () => {
  it('takes its base as ARG BASE_IMAGE, the official Node 20 slim image unless told otherwise', () => {
    expect(instructions[0]).toEqual({ name: 'ARG', args: 'BASE_IMAGE=node:20-bookworm-slim' });
    expect(stages.map((stage) => stage[0]!.args.split(' ')[0])).toEqual(stages.map(() => '${BASE_IMAGE}'));
  });

  it('runs `node bin/oom-bonker.js` as the non-root user the manifests run it as, `up` unless told otherwise', () => {
    expect(all(finalStage, 'ENTRYPOINT').at(-1)!.args).toBe('["node", "bin/oom-bonker.js"]');
    expect(all(finalStage, 'CMD').at(-1)!.args).toBe('["up"]');
    const user = all(finalStage, 'USER').at(-1)!.args;
    const manifests = ['edge.yaml', 'broker.yaml'].flatMap((f) => yamlDocs(`k8s/${f}`)).filter((d) => d.spec?.template);
    for (const workload of manifests) {
      const { runAsUser, runAsGroup } = workload.spec.template.spec.securityContext;
      expect(user).toBe(`${runAsUser}:${runAsGroup}`);
    }
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it('builds dist/ with every dependency, then keeps only the production ones', () => {
    const runs = all(buildStage, 'RUN').map((ins) => ins.args);
    expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
    const build = runs.find((r) => r.includes('npm run build'))!;
    expect(build).toMatch(/npm run build && npm prune --omit=dev/);
    expect(copiedPaths(buildStage)).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    expect(pkg.scripts.build).toBeDefined();
  });

  it('copies into the build stage every directory the bundles are built from, and web/', () => {
    const copied = copiedPaths(buildStage);
    const inputs = Object.keys(metafile.inputs).filter((file) => !file.includes(':') && !file.startsWith('node_modules/'));
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((file) => !covers(copied, file))).toEqual([]);
    expect(covers(copied, 'build/bundles.ts')).toBe(true);
    expect(covers(copied, 'web/index.html')).toBe(true);
  });

  describe('copies into the image what the commands read at run time', () => {
    const copied = copiedPaths(finalStage);
    const bin = readFileSync(path.join(ROOT, 'bin/oom-bonker.js'), 'utf8');

    it('the entry script, the files it imports and the bundles it runs (package.json makes them ES modules)', () => {
      const imports = [...bin.matchAll(/from '(\.\/[^']+)'/g)].map((m) => path.posix.join('bin', m[1]!));
      const dirs = [...bin.matchAll(/new URL\('(\.\.\/[^']+)', import\.meta\.url\)/g)].map((m) => path.posix.join('bin', m[1]!));
      expect(dirs).toContain('dist/cli/');
      for (const file of ['bin/oom-bonker.js', ...imports, ...dirs, 'package.json']) expect(covers(copied, file), file).toBe(true);
      expect(pkg.type).toBe('module');
    });

    it('the dashboard page, which the edge\'s bundle reads from web/', () => {
      const routes = readFileSync(path.join(ROOT, 'edge/node/dashboard-routes.ts'), 'utf8');
      const webDir = /new URL\('(\.\.\/[^']+)', import\.meta\.url\)/.exec(routes)![1]!;
      // The bundle lives in dist/cli/, so the page's directory resolves from there; from edge/node/ it is the same.
      const bundled = path.posix.join('dist/cli', webDir);
      expect(bundled).toBe(path.posix.join('edge/node', webDir));
      expect(bundled).toBe('web/');
      for (const file of readdirSync(path.join(ROOT, 'web'))) expect(covers(copied, `${bundled}${file}`), file).toBe(true);
    });

    it('node_modules, pruned to production, holding every package the bundles leave out', () => {
      const nodeModules = all(finalStage, 'COPY').map(copyOf).find((c) => c.sources.some((s) => s.endsWith('/node_modules')))!;
      expect(nodeModules.from).toBe('build');
      const externals = new Set(
        Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)),
      );
      const packages = [...externals].filter((s) => !s.startsWith('node:') && !BUILTINS.has(s)).map(packageOf);
      expect(packages).toContain('classic-level');
      // The dashboard resolves mqtt.js's browser bundle at run time (createRequire, invisible to esbuild).
      for (const name of new Set([...packages, 'mqtt'])) {
        if (OPTIONAL_ACCELERATORS.has(name)) continue;
        const entry = lock.packages[`node_modules/${name}`];
        expect(entry, `${name} in package-lock.json`).toBeDefined();
        expect(entry!.dev ?? false, `${name} is a production dependency`).toBe(false);
        expect(covers(copied, `node_modules/${name}`)).toBe(true);
      }
    });

    it('and no TypeScript sources or build tooling (web/ is the page itself, served as it is)', () => {
      for (const dir of ['cli', 'contract', 'edge', 'broker', 'device', 'build']) expect(covers(copied, `${dir}/x`), dir).toBe(false);
    });
  });

  it('is not handed this machine\'s node_modules or dist/ (.dockerignore)', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    const needed = copiedPaths(buildStage);
    expect(needed.filter((p) => ignored.includes(p))).toEqual([]);
  });
});
