// aedes-persistence's abstract suite, the contract of every Aedes store, over the stores as the bundled broker wraps
// them (backend → store health → delivery guards), in node's own test runner, for memory and LevelDB.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SUITE = fileURLToPath(new URL('./persistence-abstract/guarded-stacks.node-test.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe("aedes-persistence's abstract suite over the guarded stores", () => {
  it.each(['memory', 'level'])('%s: every test of the suite passes', async (store) => {
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', SUITE], {
      cwd: ROOT,
      env: { ...process.env, BONKER_ABSTRACT_STORE: store },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? NaN);
    const failed = run.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    expect(failed, run.stderr).toEqual([]);
    // The suite of aedes-persistence 11 has 50 tests; fewer would mean it did not all run.
    expect(count('pass')).toBeGreaterThanOrEqual(50);
    expect(count('fail')).toBe(0);
  }, 120_000);
});
