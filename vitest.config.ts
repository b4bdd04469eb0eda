import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{contract,edge,broker,device,cli,test}/**/*.test.ts'],
    exclude: ['test/interop/**', 'node_modules/**'],
    globalSetup: ['test/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
