// Tarballs of this checkout as a user gets them (`npm pack`), and a newer release of it made the way a release is made.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VERSION } from '../../contract/index.ts';
import { ROOT } from './podman.ts';

/** `npm pack` of `dir` into `destination`; returns the tarball's path. */
export function pack(dir: string, destination: string): string {
  // --ignore-scripts: dist/ is built already; the tarball holds exactly what package.json's "files" lists.
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1)!;
  return path.join(destination, name);
}

/**
 * A copy of this working tree (its tracked files as they are now) with the next patch version in package.json and
 * contract/version.ts (test/release-files.test.ts keeps those equal), built with `npm run build` and packed: what
 * the next release's tarball would be. The copy borrows this checkout's node_modules for the build.
 */
export function packNewerRelease(workDir: string, destination: string): { tarball: string; version: string } {
  const copy = path.join(workDir, 'newer-release');
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of tracked) {
    if (!existsSync(path.join(ROOT, file))) continue;
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(copy, file));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  const version = execFileSync('npm', ['version', 'patch', '--no-git-tag-version'], { cwd: copy, encoding: 'utf8' }).trim().replace(/^v/, '');
  const versionFile = path.join(copy, 'contract/version.ts');
  const before = readFileSync(versionFile, 'utf8');
  const after = before.replace(`VERSION = '${VERSION}'`, `VERSION = '${version}'`);
  if (after === before) throw new Error(`contract/version.ts does not say VERSION = '${VERSION}'`);
  writeFileSync(versionFile, after);
  execFileSync('npm', ['run', 'build'], { cwd: copy, stdio: 'pipe' });
  return { tarball: pack(copy, destination), version };
}
