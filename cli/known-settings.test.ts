// The list of known BONKER_* names stays equal to what the schemas read, and misspelt names get the nearest one.
import { describe, expect, it } from 'vitest';
import { brokerEnvShape } from '../broker/config.ts';
import { deviceEnvShape } from '../device/config.ts';
import { edgeEnvShape } from '../edge/core/config.ts';
import { workerEnvShape } from '../edge/workers/config.ts';
import { closestName, editDistance } from './closest-name.ts';
import { COMMANDS } from './main.ts';
import { KNOWN_SETTINGS, unknownSettingProblems } from './known-settings.ts';

describe('KNOWN_SETTINGS', () => {
  it('holds exactly the settings of every command and the Worker', async () => {
    const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
    const read = new Set([
      'BONKER_LOG_LEVEL',
      ...commands.flatMap((command) => Object.keys(command.settings)),
      ...[brokerEnvShape, edgeEnvShape, deviceEnvShape, workerEnvShape].flatMap((shape) => Object.keys(shape)),
    ]);
    expect([...KNOWN_SETTINGS].sort()).toEqual([...read].sort());
    expect(new Set(KNOWN_SETTINGS).size).toBe(KNOWN_SETTINGS.length);
  });
});

describe('unknownSettingProblems', () => {
  it('names a misspelt variable and the known one it is closest to', () => {
    expect(unknownSettingProblems({ BONKER_EDGE_PORTT: '9000', BONKER_SERVO_DRIVR: 'auto', PATH: '/bin' })).toEqual([
      'BONKER_EDGE_PORTT: unknown setting; did you mean BONKER_EDGE_PORT?',
      'BONKER_SERVO_DRIVR: unknown setting; did you mean BONKER_SERVO_DRIVER?',
    ]);
  });

  it('suggests nothing for a name that is no near miss, and passes known names of any command', () => {
    expect(unknownSettingProblems({ BONKER_FROBNICATE_EVERYTHING: '1' })).toEqual([
      'BONKER_FROBNICATE_EVERYTHING: unknown setting; expected one of the names `oom-bonker <command> --help` lists',
    ]);
    expect(unknownSettingProblems({ BONKER_EDGE_PORT: '1', BONKER_DEVICE_ID: 'x', BONKER_FUZZ_RUNS: '5' })).toEqual([]);
  });
});

describe('closestName', () => {
  it('measures edits and keeps far-off words apart', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestName('edge-prot', ['edge-port', 'edge-host'])).toBe('edge-port');
    expect(closestName('colour', ['device', 'count', 'wait'])).toBeUndefined();
  });
});
