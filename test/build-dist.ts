// vitest globalSetup: builds dist/ from the sources under test before any test starts bin/oom-bonker.js, which runs
// only the bundles `npm run build` makes, so a test never meets a bundle older than the code it checks.
import { buildAll } from '../build/bundles.ts';

export default async function setup(): Promise<void> {
  await buildAll();
}
