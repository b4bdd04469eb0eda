// Interop suite: the same end-to-end behaviour against Debian programs (Mosquitto). Run with `npm run test:interop`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    globalSetup: ['test/build-dist.ts', 'test/interop/require-programs.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
