// The guards run only on the Aedes they were written for: the check against a real broker, another version, and the pin.
import { Aedes } from 'aedes';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { checkAedesVersion, GUARDED_AEDES_VERSION } from './index.ts';

describe('checkAedesVersion', () => {
  it('passes the Aedes this project installs, which package.json pins to the guarded version exactly', async () => {
    expect(packageJson.dependencies.aedes).toBe(GUARDED_AEDES_VERSION);
    const aedes = await Aedes.createBroker();
    try {
      expect(() => checkAedesVersion(aedes)).not.toThrow();
    } finally {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  });

  it('refuses another version, saying which and what to do', () => {
    expect(() => checkAedesVersion({ version: '2.0.0-beta.1' })).toThrow(
      /written for aedes 1\.2\.0, but aedes 2\.0\.0-beta\.1 is running: install aedes 1\.2\.0, or check each guard/,
    );
    expect(() => checkAedesVersion({})).toThrow(/aedes of an unknown version is running/);
  });
});
