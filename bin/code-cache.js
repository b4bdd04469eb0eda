// Runs one CommonJS bundle of dist/cli/ with V8's code cache, so a start-up on a slow CPU skips compiling it again.
// Node 20 has no compile cache of its own (module.enableCompileCache came with Node 22.1); vm.Script takes V8's
// cachedData and, after a run, makes it from everything the run compiled. On a Pi-class CPU this is about a third of
// a `bonk`'s start-up (bench/RESULTS.md, "Pi-class budget").
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/**
 * systemd's CacheDirectory= (the units set it: /opt is read-only to them), else dist/cache/ beside the bundles.
 * Nowhere writable means no cache, never an error.
 */
function cacheDir(bundle) {
  const systemd = process.env.CACHE_DIRECTORY?.split(':')[0];
  return systemd || path.join(path.dirname(bundle), '..', 'cache');
}

/**
 * A cache belongs to one build of one bundle (size, mtime and inode change with every build: it is replaced by
 * rename) and one node with one set of flags: V8 checks its own version and flags too, but only the source's length,
 * so a rebuilt bundle of the same length must never meet the old cache.
 */
function cacheKey(bundle, stat) {
  const text = [process.version, process.arch, process.execArgv.join(' '), stat.size, stat.mtimeMs, stat.ino].join('|');
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash * 33) ^ text.charCodeAt(i)) >>> 0;
  return `${path.basename(bundle, '.cjs')}.${hash.toString(36)}`;
}

function readCache(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written whole under another name and renamed, so a process starting meanwhile reads all of it or none. */
function writeCache(script, file) {
  try {
    const dir = path.dirname(file);
    // Not recursive: its parent (dist/, or systemd's cache directory itself) exists where caching makes sense.
    if (!existsSync(dir)) mkdirSync(dir);
    // Before createCachedData(), which costs a Pi-class CPU a second: a read-only install never gets to write.
    accessSync(dir, constants.W_OK);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, script.createCachedData());
    renameSync(temporary, file);
    // The caches of earlier builds of this bundle are of no more use.
    const prefix = `${path.basename(file).split('.')[0]}.`;
    for (const old of readdirSync(dir)) {
      if (old.startsWith(prefix) && old !== path.basename(file) && !old.endsWith('.tmp')) rmSync(path.join(dir, old), { force: true });
    }
  } catch {
    // Read-only checkout, full disk: the next start compiles again, nothing else changes.
  }
}

/**
 * Compiles and runs `bundle` as Node's CommonJS loader would, and returns its exports. When there was no usable
 * cache, one is written as the process exits, holding every function the run compiled.
 */
export function loadBundle(bundle) {
  const stat = statSync(bundle);
  const cacheFile = path.join(cacheDir(bundle), `${cacheKey(bundle, stat)}.v8cache`);
  const cachedData = readCache(cacheFile);
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeCache(script, cacheFile));
  const module = new Module(bundle);
  module.filename = bundle;
  module.paths = Module._nodeModulePaths(path.dirname(bundle));
  const require = createRequire(bundle);
  script.runInThisContext()(module.exports, require, module, bundle, path.dirname(bundle));
  module.loaded = true;
  return module.exports;
}
