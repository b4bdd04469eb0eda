// `prepare` (npm ci and npm install run it): `npm run build`, unless the dev dependencies that build it (tsx,
// esbuild) were left out with --omit=dev. Then it says so and npm ci still succeeds: the bundles are plain
// JavaScript, built where the dev dependencies are; a Pi gets them built, in the npm package (README, "The Pi under
// systemd").
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const missing = ['tsx', 'esbuild'].filter((name) => {
  try {
    require.resolve(name);
    return false;
  } catch {
    return true;
  }
});
if (missing.length) {
  process.stderr.write(`oom-bonker: not building dist/ (${missing.join(', ')} not installed: npm ci --omit=dev?); copy a built dist/ here\n`);
} else {
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'build/bundles.ts'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
  process.exitCode = built.status ?? 1;
}
