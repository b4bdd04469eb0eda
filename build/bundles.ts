// `npm run build` (`npm ci` runs it through `prepare`): the JavaScript the shipped entries run, so nothing compiles
// TypeScript at start-up. One CommonJS bundle per `oom-bonker` subcommand in dist/cli/, holding that command only
// (a Pi pays for what `bonk` uses, not for Aedes and Hono), the whole command table in dist/cli/oom-bonker.cjs for the
// help overview. The edge's bundle reads the dashboard page from web/ itself, which the package ships.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type OutputFile, type Plugin } from 'esbuild';
import { COMMANDS } from '../cli/main.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
/** The bundle bin/oom-bonker.js runs for a name that has no bundle of its own: help, unknown commands. */
export const TABLE_BUNDLE = 'oom-bonker';

/**
 * Left to node_modules at run time: native addons (classic-level under level, pigpio) find their binaries beside
 * their own files; pigpio-client is required lazily by its driver; mqtt.js's WebSocket transport is imported only
 * for a ws:// broker URL (device/mqtt-transport.ts).
 */
const EXTERNAL = ['pigpio', 'pigpio-client', 'mqtt/lib/connect/ws'];

/**
 * classic-level (LevelDB under `level`) is bundled but for its binding.js, which finds the native addon from its own
 * directory: its 30-odd files (abstract-level and friends) would otherwise be resolved and compiled one by one at
 * every start, outside the code cache.
 */
const nativeBindingPlugin: Plugin = {
  name: 'bonker-native-bindings',
  setup(plugin) {
    plugin.onResolve({ filter: /^\.\/binding(\.js)?$/ }, (args) =>
      /[\\/]node_modules[\\/]classic-level[\\/]/.test(args.importer) ? { path: 'classic-level/binding.js', external: true } : undefined,
    );
  },
};

/**
 * `import { z } from 'zod'` names zod's whole namespace object, so every schema type and all 40-odd locales come
 * along (570 KB, evaluated at start-up); `import * as z from 'zod'` binds the same functions and lets esbuild drop
 * what is unused (150 KB). Rewritten here for the files that still use the first form; the bindings are identical.
 */
const zodNamespacePlugin: Plugin = {
  name: 'bonker-zod-namespace',
  setup(plugin) {
    plugin.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(/^import \{ z \} from 'zod';$/m, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/** `hash-password` → the file and export bin/oom-bonker.js's bundle starts: cli/commands/hash-password.ts, hashPasswordCommand. */
function commandEntry(name: string): string {
  const exported = `${name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Command`;
  return [
    `import { ${exported} as command } from './commands/${name}.ts';`,
    "import { runCli } from './main.ts';",
    `export const run = (argv: string[]) => runCli({ ${JSON.stringify(name)}: async () => command }, argv);`,
  ].join('\n');
}

/** Entries that exist only here: `bonker-entry:<command>` is one command's table, `bonker-entry:oom-bonker` all of them. */
const entryPlugin: Plugin = {
  name: 'bonker-entries',
  setup(plugin) {
    plugin.onResolve({ filter: /^bonker-entry:/ }, (args) => ({ path: args.path.slice('bonker-entry:'.length), namespace: 'bonker-entry' }));
    plugin.onLoad({ filter: /.*/, namespace: 'bonker-entry' }, (args) => ({
      contents: args.path === TABLE_BUNDLE ? "export { main as run } from './main.ts';" : commandEntry(args.path),
      resolveDir: path.join(ROOT, 'cli'),
      loader: 'ts',
    }));
  },
};

/**
 * CommonJS, not ES modules: bin/code-cache.js compiles a bundle with vm.Script, which takes V8's code cache (the
 * cache is what brings `bonk` under 4 s on a Pi-class CPU; bench/RESULTS.md, "Pi-class budget"). import.meta.url
 * (the dashboard's web/ directory, createRequire) becomes the bundle's own URL; import() becomes require(), which a
 * vm.Script can call without Node's experimental dynamic-import hook.
 */
export const CLI_OPTIONS: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outExtension: { '.js': '.cjs' },
  // Identifiers kept: pino logs an error's class name as its `type`; source maps turn stack traces back into files.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  metafile: true,
  external: EXTERNAL,
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__bonkerModuleUrl' },
  banner: { js: "const __bonkerModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [entryPlugin, nativeBindingPlugin, zodNamespacePlugin],
  logLevel: 'warning',
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/**
 * The commands a Pi runs often or keeps running beside everything else: MQTT clients only, no Aedes. Their bundles
 * take Node's own streams for `readable-stream` (mqtt.js and bl use its version 4, a copy of Node's streams, about
 * 120 KB to load) and a stand-in for `worker-timers` (browser-only timers, with @babel/runtime). The broker's bundles
 * keep both: aedes-persistence-level uses readable-stream 3.
 */
export const CLIENT_COMMANDS = ['bonk', 'status', 'watch', 'device', 'calibrate'];
const CLIENT_ALIASES = {
  'readable-stream': 'node:stream',
  'worker-timers': path.join(ROOT, 'build/shims/worker-timers.cjs'),
};

/** Every command's bundle and the table's, in memory: esbuild's output files and its metafile (what each holds). */
export async function bundleCli(outDir = path.join(DIST, 'cli')): Promise<{ files: OutputFile[]; metafile: Metafile }> {
  const entries = (names: string[]) => Object.fromEntries(names.map((name) => [name, `bonker-entry:${name}`]));
  const servers = [...COMMAND_NAMES.filter((name) => !CLIENT_COMMANDS.includes(name)), TABLE_BUNDLE];
  const [clients, others] = await Promise.all([
    build({ ...CLI_OPTIONS, entryPoints: entries(CLIENT_COMMANDS), alias: CLIENT_ALIASES, outdir: outDir, write: false }),
    build({ ...CLI_OPTIONS, entryPoints: entries(servers), outdir: outDir, write: false }),
  ]);
  return {
    files: [...clients.outputFiles, ...others.outputFiles],
    metafile: { inputs: { ...others.metafile!.inputs, ...clients.metafile!.inputs }, outputs: { ...others.metafile!.outputs, ...clients.metafile!.outputs } },
  };
}

/**
 * Writes dist/cli/<command>.cjs for every command of cli/main.ts and dist/cli/oom-bonker.cjs. Each file replaces the
 * old one by rename, so a command starting meanwhile (another test run, a service restart) reads either the old
 * bundle or the new one, never half of one.
 */
export async function buildCli(outDir = path.join(DIST, 'cli')): Promise<Metafile> {
  const { files, metafile } = await bundleCli(outDir);
  await mkdir(outDir, { recursive: true });
  await Promise.all(
    files.map(async (file) => {
      const temporary = `${file.path}.${process.pid}.tmp`;
      await writeFile(temporary, file.contents);
      await rename(temporary, file.path);
    }),
  );
  return metafile;
}

export async function buildAll(): Promise<string[]> {
  // dist/device/ held the agent's own bundle before dist/cli/device.cjs replaced it; dist/web/ held a copy of web/.
  const stale = ['device', 'web'].map((dir) => rm(path.join(DIST, dir), { recursive: true, force: true }));
  const [metafile] = await Promise.all([buildCli(), ...stale]);
  return Object.keys(metafile.outputs).filter((file) => file.endsWith('.cjs'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const built = await buildAll();
  process.stdout.write(`built ${built.length} files in ${Math.round(performance.now() - started)} ms: ${built.join(' ')}\n`);
}
