// Runs guarded-stacks.node-test.ts (aedes-persistence's abstract suite over one guarded store) in its own node test
// runner and checks its TAP report; shared by the unit run (memory, level) and the interop run (Redis).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const SUITE = fileURLToPath(new URL('./guarded-stacks.node-test.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The suite of aedes-persistence 11 has 50 tests; fewer would mean it did not all run. */
const SUITE_TESTS = 50;
/** For the callers' vitest timeout: the run is killed a little before it, so a hung run still shows its report. */
export const SUITE_TIMEOUT_MS = 120_000;

export interface SuiteRun {
  stdout: string;
  stderr: string;
  /** The `not ok` lines of the TAP report. */
  failed: string[];
  /** The `not ok` lines with the YAML block under each (the error and where). */
  failures: string;
  count(name: 'pass' | 'fail'): number;
}

/** Runs the suite over BONKER_ABSTRACT_STORE=`store`, with `env` added (e.g. where the store's server is). */
export async function runAbstractSuite(store: string, env: Record<string, string> = {}): Promise<SuiteRun> {
  const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', SUITE], {
    cwd: ROOT,
    env: { ...process.env, ...env, BONKER_ABSTRACT_STORE: store },
    maxBuffer: 16 * 1024 * 1024,
    timeout: SUITE_TIMEOUT_MS - 10_000,
  }).catch((error: { stdout?: string; stderr?: string; signal?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: `${error.stderr ?? ''}${error.signal ? `\n(killed by ${error.signal}: the run did not end in time)` : ''}`,
  }));
  return {
    ...run,
    failed: run.stdout.split('\n').filter((line) => line.startsWith('not ok')),
    failures: (run.stdout.match(/^not ok .*\n(?: {2}.*\n)*?(?: {2}\.\.\.)$/gm) ?? []).join('\n'),
    count: (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? NaN),
  };
}

/** Every test of the suite ran, and passed but for `knownFailures` (test names), which failed. */
export async function expectSuitePasses(
  store: string,
  { env = {}, knownFailures = [] }: { env?: Record<string, string>; knownFailures?: string[] } = {},
): Promise<void> {
  const run = await runAbstractSuite(store, env);
  expect(run.failed.map((line) => line.replace(/^not ok \d+ - /, '')), `${run.failures}\n${run.stderr}`).toEqual(knownFailures);
  expect(run.count('pass')).toBeGreaterThanOrEqual(SUITE_TESTS - knownFailures.length);
  expect(run.count('fail')).toBe(knownFailures.length);
}
