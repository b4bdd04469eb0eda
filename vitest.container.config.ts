// Container suite (`npm run test:container`, root with podman): builds infra/k8s/Dockerfile and runs the image.
// Apart from the interop suite because the first run on a machine makes a base image from Debian packages (minutes).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    globalSetup: ['test/container/require-programs.ts'],
    testTimeout: 60_000,
    // The image build (npm ci, npm run build) runs in beforeAll.
    hookTimeout: 20 * 60_000,
  },
});
