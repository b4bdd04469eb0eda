import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{contract,edge,broker,device,cli,test}/**/*.test.ts'],
    // The interop and container suites have their own configs (they need Debian programs, podman, root).
    exclude: ['test/interop/**', 'test/container/**', 'node_modules/**'],
    globalSetup: ['test/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
