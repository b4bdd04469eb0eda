import { describe, expect, it } from 'vitest';
import { createTopics, deviceIdSchema, topicPrefixSchema } from './topics.ts';
import { ConfigError, envValue, isLoopbackHost, parseEnv } from './env-config.ts';

describe('createTopics', () => {
  it('builds and parses topics under the default and a custom prefix', () => {
    const t = createTopics();
    expect(t.bonk('tux')).toBe('bonker/tux/bonk');
    expect(t.all('ack')).toBe('bonker/+/ack');
    expect(t.parse('bonker/tux/status')).toEqual({ device: 'tux', kind: 'status' });
    expect(t.history('tux')).toBe('bonker/tux/history');
    expect(t.parse('bonker/tux/history')).toEqual({ device: 'tux', kind: 'history' });
    const home = createTopics('home/bonker');
    expect(home.ack('pi-1')).toBe('home/bonker/pi-1/ack');
    expect(home.parse('home/bonker/pi-1/bonk')).toEqual({ device: 'pi-1', kind: 'bonk' });
  });

  it.each(['other/tux/bonk', 'bonker/tux/bonk/extra', 'bonker/tux/reboot', 'bonker/+/bonk', 'bonker'])(
    'does not claim %s',
    (topic) => expect(createTopics().parse(topic)).toBeUndefined(),
  );

  it('refuses device ids and prefixes that would break topic levels', () => {
    for (const bad of ['', 'a/b', '+', '#', 'x'.repeat(65), 'tüx']) expect(deviceIdSchema.safeParse(bad).success).toBe(false);
    for (const bad of ['', '/bonker', 'bonker/', 'a//b', 'bonk#']) expect(topicPrefixSchema.safeParse(bad).success).toBe(false);
  });
});

describe('parseEnv', () => {
  const shape = { BONKER_X_PORT: envValue.port(1883), BONKER_X_MAX: envValue.positiveInt(10, 100) };

  it('applies defaults, treating empty strings as unset', () => {
    expect(parseEnv(shape, { BONKER_X_PORT: '' })).toEqual({ BONKER_X_PORT: 1883, BONKER_X_MAX: 10 });
  });

  it('reports every problem at once as NAME: expectation', () => {
    try {
      parseEnv(shape, { BONKER_X_PORT: 'http', BONKER_X_MAX: '0' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^BONKER_X_PORT: expected a TCP port/);
      expect(problems[1]).toMatch(/^BONKER_X_MAX: expected a whole number 1-100/);
    }
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.5', 'pi.local'].some(isLoopbackHost)).toBe(false);
  });
});
