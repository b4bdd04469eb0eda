// Debian's chromium driven by playwright-core (never a downloaded browser), headless, on a fresh profile.
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, requireProgram } from '../interop/require-programs.ts';
import { makeTempDir } from './temp-dir.ts';

/** Headless, no sandbox (CI runs as root), and nothing that phones home (the machine has no network). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** A persistent context on a new directory is how playwright takes --user-data-dir; close() removes it. */
export async function launchChromium(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await makeTempDir('bonker-chromium-');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: requireProgram(CHROMIUM),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await profile.remove();
    },
  };
}
