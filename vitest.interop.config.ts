// Interop suite: the same end-to-end behaviour against Debian programs (Mosquitto). Run with `npm run test:interop`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    globalSetup: ['test/build-dist.ts', 'test/interop/require-programs.ts'],
    // Three files at a time on a 2-core machine: these suites mostly wait on real programs (Prometheus' rule windows,
    // Alertmanager's group waits), so here the run took 135 s instead of 310 s one file at a time.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
