// Device settings: defaults, broker URL lists, and every problem reported at once.
import { describe, expect, it } from 'vitest';
import { ConfigError, createTopics } from '../contract/index.ts';
import { deviceEnvShape, loadDeviceConfig } from './config.ts';
import { deviceClientOptions } from './mqtt-session.ts';

describe('loadDeviceConfig', () => {
  it('has defaults for everything', () => {
    expect(loadDeviceConfig({})).toEqual({
      deviceId: 'tux',
      brokerUrls: ['mqtt://127.0.0.1:1883'],
      username: undefined,
      password: undefined,
      topicPrefix: 'bonker',
      stateDir: '.bonker/device',
      servo: {
        driver: 'simulated', gpio: 18, minUs: 500, maxUs: 2500,
        pigpiod: { host: '127.0.0.1', port: 8888 }, pwm: { chip: 0, channel: undefined }, requireHardware: false,
      },
      motion: { restUs: 1500, strikeUs: 1050, travelMs: 150, holdMs: 200 },
      minGapMs: 1000,
      maxPerMinute: 10,
      dedupSize: 10000,
      historySize: 20,
      homeAssistant: { discovery: true, prefix: 'homeassistant' },
    });
  });

  it('allows travel 0 (benchmarks, simulation) but says what it expects for a negative one', () => {
    expect(loadDeviceConfig({ BONKER_SERVO_TRAVEL_MS: '0' }).motion.travelMs).toBe(0);
    expect(() => loadDeviceConfig({ BONKER_SERVO_TRAVEL_MS: '-1' })).toThrow(
      /BONKER_SERVO_TRAVEL_MS: expected milliseconds 0-5000 .*0 only for benchmarks/,
    );
  });

  it('refuses BONKER_SERVO_REQUIRE_HARDWARE=on with the simulated driver, saying what fits', () => {
    expect(loadDeviceConfig({ BONKER_SERVO_DRIVER: 'auto', BONKER_SERVO_REQUIRE_HARDWARE: 'on' }).servo.requireHardware).toBe(true);
    expect(() => loadDeviceConfig({ BONKER_SERVO_REQUIRE_HARDWARE: 'on' })).toThrow(
      /BONKER_SERVO_REQUIRE_HARDWARE: "on" contradicts BONKER_SERVO_DRIVER=simulated; expected a hardware driver or auto/,
    );
    expect(() => loadDeviceConfig({ BONKER_SERVO_REQUIRE_HARDWARE: 'yes' })).toThrow(/BONKER_SERVO_REQUIRE_HARDWARE: expected "on" or "off"/);
  });

  it('names every setting BONKER_*', () => {
    expect(Object.keys(deviceEnvShape).every((key) => key.startsWith('BONKER_'))).toBe(true);
  });

  it('reads a comma-separated broker list, used in order on reconnect', () => {
    const config = loadDeviceConfig({ BONKER_BROKER_URL: 'mqtt://a:1884, mqtts://b , ws://[::1]:9001/mqtt' });
    expect(config.brokerUrls).toEqual(['mqtt://a:1884', 'mqtts://b', 'ws://[::1]:9001/mqtt']);
    const options = deviceClientOptions(config, createTopics());
    expect(options.servers).toEqual([
      { host: 'a', port: 1884, protocol: 'mqtt' },
      { host: 'b', port: 8883, protocol: 'mqtts' },
      { host: '::1', port: 9001, protocol: 'ws', path: '/mqtt' },
    ]);
    expect(options).toMatchObject({ clientId: 'bonker-device-tux', clean: false, manualConnect: true });
    expect(options.keepalive).toBeGreaterThanOrEqual(30);
    expect(options.will).toMatchObject({ topic: 'bonker/tux/status', qos: 1, retain: true });
    expect(String(options.will!.payload)).toBe('offline');
  });

  it('reports every problem at once, saying what is expected', () => {
    try {
      loadDeviceConfig({
        BONKER_DEVICE_ID: 'a/b',
        BONKER_BROKER_URL: 'http://x',
        BONKER_SERVO_DRIVER: 'servoblaster',
        BONKER_SERVO_REST_US: '3000',
        BONKER_SERVO_STRIKE_US: '100',
        BONKER_MAX_PER_MINUTE: '0',
        BONKER_HISTORY_SIZE: '51',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^BONKER_DEVICE_ID: expected 1-64 characters/m);
      expect(problems).toMatch(/^BONKER_BROKER_URL\.0: expected a broker URL/m);
      expect(problems).toMatch(/^BONKER_SERVO_DRIVER: expected one of simulated, pigpio, pigpiod, pwm-sysfs, auto/m);
      expect(problems).toMatch(/^BONKER_SERVO_REST_US: expected a servo pulse width in microseconds 500-2500/m);
      expect(problems).toMatch(/^BONKER_SERVO_STRIKE_US: expected a servo pulse width in microseconds 500-2500/m);
      expect(problems).toMatch(/^BONKER_MAX_PER_MINUTE: expected a whole number 1-/m);
      expect(problems).toMatch(/^BONKER_HISTORY_SIZE: expected a whole number 0-50$/m);
      expect((error as ConfigError).problems).toHaveLength(7);
    }
  });

  it('refuses a strike position equal to rest, alongside other problems', () => {
    expect(() => loadDeviceConfig({ BONKER_SERVO_REST_US: '1200', BONKER_SERVO_STRIKE_US: '1200' })).toThrow(
      /BONKER_SERVO_STRIKE_US: expected a pulse width different from BONKER_SERVO_REST_US \(1200\)/,
    );
    try {
      loadDeviceConfig({ BONKER_SERVO_REST_US: '1200', BONKER_SERVO_STRIKE_US: '1200', BONKER_DEDUP_SIZE: 'lots' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });
});
