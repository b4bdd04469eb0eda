// Offline checks of infra/systemd: restart policy, readiness, state directories, hardening, settings the parts know.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../contract/index.ts';
import { brokerEnvShape } from '../../broker/config.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import {
  INSTALLED_BIN,
  parseEnvFile,
  parseUnit,
  readInfra,
  SETTINGS,
  splitExecStart,
  UNIT_NAMES,
  unitEnvironment,
  type Part,
} from './infra-files.ts';

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

  it('runs the installed `oom-bonker <part>` (its built bundle, dist/cli/<part>.cjs) with an EnvironmentFile in /etc/oom-bonker', () => {
    // The agent with memory-saving V8 flags, so its RSS stays flat however many bonks come (figure 5).
    const flags = part === 'device' ? '--max-semi-space-size=1 --lite-mode --no-expose-wasm ' : '';
    expect(one(part, 'ExecStart')).toBe(`node ${flags}${INSTALLED_BIN} ${part}`);
    expect(one(part, 'EnvironmentFile')).toBe(`/etc/oom-bonker/${part}.env`);
  });

  it('keeps V8\'s code cache of its bundle in a CacheDirectory of its own (/usr/local is read-only to it)', () => {
    expect(one(part, 'CacheDirectory')).toBe(`oom-bonker/${part}`);
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

describe.each(UNIT_NAMES)('oom-bonker-%s.service runs the installed package', (name) => {
  const text = readInfra(`systemd/oom-bonker-${name}.service`);
  const exec = splitExecStart(parseUnit(text));

  it('with `node` from systemd\'s search path (/usr/local/bin before /usr/bin), wherever that node came from', () => {
    // A bare name: systemd >= 239 looks it up in its built-in path (systemd.service(5), "Command lines").
    expect(exec.program).toBe('node');
  });

  it('from npm\'s global tree under /usr/local, not a checkout', () => {
    expect(exec.script).toBe(INSTALLED_BIN);
    expect(text).not.toMatch(/\/opt\/|npm ci|npm run build|git pull/);
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

describe('oom-bonker-pi.service (everything on one Pi: `oom-bonker up` with a real servo driver)', () => {
  const pi = parseUnit(readInfra('systemd/oom-bonker-pi.service'));
  const service = pi.Service!;
  const value = (key: string) => service[key]?.at(-1);
  const env = { ...unitEnvironment(pi), ...parseEnvFile(readInfra('systemd/pi.env.example')) };

  it('runs `oom-bonker up` (dist/cli/up.cjs), restarts except on bad configuration, reports readiness, is watched', () => {
    expect(value('ExecStart')).toBe(`node ${INSTALLED_BIN} up`);
    expect(value('EnvironmentFile')).toBe('/etc/oom-bonker/pi.env');
    expect(value('Restart')).toBe('always');
    expect(value('RestartPreventExitStatus')).toBe('78');
    expect(value('Type')).toBe('notify');
    expect(value('NotifyAccess')).toBe('all');
    expect(Number(value('WatchdogSec'))).toBeGreaterThanOrEqual(10);
    expect(value('CacheDirectory')).toBe('oom-bonker/pi');
  });

  it('replaces the one-part units instead of running beside them', () => {
    expect(pi.Unit!.Conflicts?.join(' ').split(' ').sort()).toEqual(
      ['oom-bonker-broker.service', 'oom-bonker-device-pigpiod.service', 'oom-bonker-device.service', 'oom-bonker-edge.service'],
    );
  });

  it('runs unprivileged, and leaves pwm-sysfs what it needs: /sys writable, group gpio; pigpiod needs only IP', () => {
    expect(value('DynamicUser')).toBe('yes');
    expect(value('CapabilityBoundingSet')).toBe('');
    expect(value('PrivateDevices')).toBe('yes');
    expect(value('NoNewPrivileges')).toBe('yes');
    expect(value('ProtectSystem')).toBe('strict');
    // ProtectKernelTunables=yes would mount all of /sys read-only, /sys/class/pwm with it.
    expect(value('ProtectKernelTunables')).toBeUndefined();
    expect(value('SupplementaryGroups')).toBe('gpio');
    expect(value('RestrictAddressFamilies')).toMatch(/AF_INET\b/);
    expect(value('MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('sets only settings `up` reads, and the parts accept the example: edge on the LAN with a token, broker on loopback', () => {
    const known = new Set([...SETTINGS.broker, ...SETTINGS.edge, ...SETTINGS.device]);
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual(['MALLOC_ARENA_MAX']);
    expect(env.MALLOC_ARENA_MAX).toBe('2');
    expect(loadEdgeConfig(env)).toMatchObject({ host: '0.0.0.0', auth: { token: 'REPLACE_WITH_EDGE_TOKEN' } });
    expect(parseEnv(brokerEnvShape, env)).toMatchObject({ BONKER_BROKER_HOST: '127.0.0.1' });
    expect(loadDeviceConfig(env).servo.driver).toBe('pwm-sysfs');
    for (const variable of ['BONKER_DATA_DIR', 'BONKER_STATE_DIR'] as const) {
      expect(env[variable]).toMatch(new RegExp(`^/var/lib/${value('StateDirectory')}/`));
    }
  });
});
