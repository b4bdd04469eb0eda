// `npm run build:device`: bundles the device agent (device/main.ts) into one file, dist/device/oom-bonker-device.js,
// which infra/systemd/oom-bonker-device.service runs. Why: on a 512 MB Pi the agent must stay under 55 MB RSS (issue 7
// figure 5); tsx's loader thread costs ~30 MB, and mqtt.js, zod and pino loaded file by file ~15 MB more than bundled.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DEVICE_BUNDLE = path.join(ROOT, 'dist/device/oom-bonker-device.js');
const UNIT = path.join(ROOT, 'infra/systemd/oom-bonker-device.service');
/** Where the units expect this checkout on the Pi. */
const INSTALL_DIR = '/opt/oom-bonker/';

/**
 * Loaded at run time from node_modules, so they stay out of the bundle: the native pigpio binding, pigpiod's
 * client, and mqtt.js's WebSocket transport, which only a ws:// broker URL needs (device/mqtt-transport.ts).
 */
const EXTERNAL = ['pigpio', 'pigpio-client', 'mqtt/lib/connect/ws'];

/** Writes the bundle (and its source map) to `outfile`; it must lie inside the checkout, beside node_modules. */
export async function buildDevice(outfile = DEVICE_BUNDLE): Promise<string> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['device/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Smaller source text is less memory: V8 keeps every script's source for lazy compilation. Identifiers are
    // kept: pino logs an error's class name as its `type`, and stack traces in the journal stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    external: EXTERNAL,
    // mqtt.js and pino are CommonJS: their require() of node: built-ins needs a real require in an ES module.
    banner: { js: "import { createRequire as __bonkerRequire } from 'node:module'; const require = __bonkerRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * The device unit's ExecStart split into node's arguments, with /opt/oom-bonker/ read as this checkout (or
 * `bundle` for the unit's bundle path): the agent exactly as systemd starts it, for the bench and the tests.
 */
export function deviceUnitCommand(bundle = DEVICE_BUNDLE, unitText = readFileSync(UNIT, 'utf8')): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error(`no ExecStart= in ${UNIT}`);
  const [, ...args] = line.slice('ExecStart='.length).trim().split(/\s+/);
  const installed = `${INSTALL_DIR}${path.relative(ROOT, DEVICE_BUNDLE)}`;
  return args.map((arg) => (arg === installed ? bundle : arg.replace(INSTALL_DIR, ROOT)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`built ${path.relative(ROOT, await buildDevice())}\n`);
}
