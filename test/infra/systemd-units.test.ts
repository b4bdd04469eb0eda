// Offline checks of infra/systemd: restart policy, readiness, state directories, hardening, settings the parts know.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../contract/index.ts';
import { brokerEnvShape } from '../../broker/config.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { loadEdgeConfig } from '../../edge/config.ts';
import { parseEnvFile, parseUnit, readInfra, SETTINGS, unitEnvironment, type Part } from './infra-files.ts';

const PARTS: Part[] = ['device', 'broker', 'edge'];
const unit = (part: Part) => parseUnit(readInfra(`systemd/oom-bonker-${part}.service`));
const one = (part: Part, key: string) => unit(part).Service![key]?.at(-1);
/** What the process sees: the unit's Environment= defaults, overridden by the example EnvironmentFile. */
const environment = (part: Part) => ({
  ...unitEnvironment(unit(part)),
  ...parseEnvFile(readInfra(`systemd/${part}.env.example`)),
});

describe.each(PARTS)('oom-bonker-%s.service', (part) => {
  it('restarts always, except on bad configuration (exit 78)', () => {
    expect(one(part, 'Restart')).toBe('always');
    expect(one(part, 'RestartPreventExitStatus')).toBe('78');
  });

  it('runs `oom-bonker <part>` (the device as its built bundle) with an EnvironmentFile in /etc/oom-bonker', () => {
    // The agent runs as dist/device/ (npm run build:device) with memory-saving V8 flags: issue 7 figure 5.
    const command = part === 'device'
      ? '/usr/bin/node --max-semi-space-size=1 --lite-mode --no-expose-wasm /opt/oom-bonker/dist/device/oom-bonker-device.js'
      : `/usr/bin/node /opt/oom-bonker/bin/oom-bonker.js ${part}`;
    expect(one(part, 'ExecStart')).toBe(command);
    expect(one(part, 'EnvironmentFile')).toBe(`/etc/oom-bonker/${part}.env`);
  });

  it('reports readiness with systemd-notify (Type=notify, NotifyAccess=all) and is watched', () => {
    expect(one(part, 'Type')).toBe('notify');
    expect(one(part, 'NotifyAccess')).toBe('all');
    expect(Number(one(part, 'WatchdogSec'))).toBeGreaterThanOrEqual(10);
  });

  it('never sets MemoryDenyWriteExecute (V8\'s JIT crashes with it)', () => {
    expect(one(part, 'MemoryDenyWriteExecute')).toBeUndefined();
    expect(one(part, 'NoNewPrivileges')).toBe('yes');
    expect(one(part, 'ProtectSystem')).toBe('strict');
  });

  it('sets only settings the part knows, and its loader accepts the example', () => {
    const env = environment(part);
    expect(Object.keys(env).filter((k) => !SETTINGS[part].has(k))).toEqual([]);
    if (part === 'device') expect(loadDeviceConfig(env).servo.driver).toBe('pigpio');
    if (part === 'edge') expect(loadEdgeConfig(env).auth.token).toBe('REPLACE_WITH_EDGE_TOKEN');
    if (part === 'broker') expect(parseEnv(brokerEnvShape, env).BONKER_USERS_FILE).toBe('%d/users.json');
  });
});

describe('state directories', () => {
  it.each([
    ['device', 'BONKER_STATE_DIR'],
    ['broker', 'BONKER_DATA_DIR'],
  ] as const)('%s keeps its data in its StateDirectory (%s)', (part, variable) => {
    expect(environment(part)[variable]).toBe(`/var/lib/${one(part, 'StateDirectory')}`);
  });
});

describe('hardening', () => {
  it('lets the pigpio driver reach /dev/mem as root and nothing more in /dev', () => {
    const device = unit('device').Service!;
    expect(device.User ?? device.DynamicUser).toBeUndefined();
    expect(device.PrivateDevices).toBeUndefined();
    expect(device.DevicePolicy).toEqual(['closed']);
    expect(device.DeviceAllow).toContain('/dev/mem rw');
    expect(unit('device').Unit!.Conflicts).toEqual(['pigpiod.service']);
  });

  it.each(['broker', 'edge'] as const)('runs the %s as a dynamic user without capabilities or devices', (part) => {
    expect(one(part, 'DynamicUser')).toBe('yes');
    expect(one(part, 'CapabilityBoundingSet')).toBe('');
    expect(one(part, 'PrivateDevices')).toBe('yes');
  });

  it('hands the broker its users file as a credential', () => {
    expect(one('broker', 'LoadCredential')).toBe('users.json:/etc/oom-bonker/users.json');
  });
});

describe('oom-bonker-device-pigpiod.service (agent unprivileged, servo via pigpiod)', () => {
  const variant = parseUnit(readInfra('systemd/oom-bonker-device-pigpiod.service'));
  const service = variant.Service!;
  const value = (key: string) => service[key]?.at(-1);

  it('needs pigpiod, runs the same agent, and replaces the root pigpio unit', () => {
    expect(variant.Unit!.Requires).toEqual(['pigpiod.service']);
    expect(variant.Unit!.After).toContain('pigpiod.service');
    expect(variant.Unit!.Conflicts).toEqual(['oom-bonker-device.service']);
    expect(value('ExecStart')).toBe(one('device', 'ExecStart'));
    expect(value('EnvironmentFile')).toBe('/etc/oom-bonker/device.env');
    expect(value('Restart')).toBe('always');
    expect(value('RestartPreventExitStatus')).toBe('78');
    expect(value('Type')).toBe('notify');
  });

  it('runs as a dynamic user without capabilities or devices', () => {
    expect(value('DynamicUser')).toBe('yes');
    expect(value('CapabilityBoundingSet')).toBe('');
    expect(value('PrivateDevices')).toBe('yes');
    expect(value('NoNewPrivileges')).toBe('yes');
    expect(value('MemoryDenyWriteExecute')).toBeUndefined();
    expect(service.DeviceAllow).toBeUndefined();
  });

  it('sets only device settings, and with the example env file minus its driver line it drives pigpiod', () => {
    const { BONKER_SERVO_DRIVER: _pigpio, ...example } = parseEnvFile(readInfra('systemd/device.env.example'));
    const env = { ...unitEnvironment(variant), ...example };
    expect(Object.keys(env).filter((k) => !SETTINGS.device.has(k))).toEqual([]);
    expect(loadDeviceConfig(env).servo).toMatchObject({ driver: 'pigpiod', pigpiod: { host: '127.0.0.1', port: 8888 } });
    expect(env.BONKER_STATE_DIR).toBe(`/var/lib/${value('StateDirectory')}`);
  });
});
