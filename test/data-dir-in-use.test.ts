// A second `oom-bonker up` in the same directory: the broker's LevelDB is held by the first, and the second says so
// (which directory, which setting, the holder's pid) and exits non-zero without a stack trace.
import { afterAll, expect, it } from 'vitest';
import { startBonker, type BonkerProcess } from './helpers/child-process.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const LOOPBACK_PORTS = { BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: 'off', BONKER_EDGE_PORT: '0' };
let first: BonkerProcess | undefined;
let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
afterAll(async () => {
  first?.kill('SIGKILL');
  await first?.exited;
  await dir?.remove();
});

it('a second up in the same directory names the data directory, BONKER_DATA_DIR and the pid holding it', async () => {
  dir = await makeTempDir('bonker-twice-');
  first = startBonker(['up'], LOOPBACK_PORTS, { cwd: dir.path });
  await first.waitForText(/OOM Bonker is up/, 15_000);

  const second = startBonker(['up'], LOOPBACK_PORTS, { cwd: dir.path });
  const { code } = await second.exited;
  const output = second.output.join('\n');
  expect(code, output).not.toBe(0);
  expect(output).toContain(`data directory ${dir.path}/.bonker/broker is in use by another process (pid ${first.child.pid})`);
  expect(output).toMatch(/BONKER_DATA_DIR \(--data-dir\)/);
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toContain('Database failed to open');

  // The first is untouched by the attempt, and stops cleanly.
  first.kill('SIGINT');
  expect((await first.exited).code).toBe(0);
});
