// Broker configuration: defaults, `off` ports, TLS pairs, the users file, refusing anonymous access off loopback, limits.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../contract/index.ts';
import { loadBrokerConfig } from './config.ts';
import { describePersistence } from './persistence.ts';
import { hashPassword, isPasswordHash, verifyPassword } from './passwords.ts';
import { makeTempDir } from '../test/helpers/broker-test-support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

async function usersFile(content: unknown): Promise<string> {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const path = join(dir.path, 'users.json');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadBrokerConfig', () => {
  it('has loopback defaults with anonymous access and level persistence', () => {
    expect(loadBrokerConfig({})).toEqual({
      host: '127.0.0.1', mqttPort: 1883, wsPort: 9001, httpPort: 9102, tls: undefined,
      persistence: { kind: 'level', dataDir: '.bonker/broker' }, users: undefined, allowAnonymous: true, topicPrefix: 'bonker',
      limits: { maxConnectBytes: 16384, maxPacketBytes: 262144, maxConnections: 500, connectTimeoutMs: 10000 },
    });
  });

  it('turns listeners off and reports every bad variable at once', () => {
    const config = loadBrokerConfig({ BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: 'off', BONKER_PERSISTENCE: 'memory' });
    expect(config).toMatchObject({ wsPort: undefined, httpPort: undefined, persistence: { kind: 'memory' } });
    const problems = problemsOf(() =>
      loadBrokerConfig({ BONKER_BROKER_WS_PORT: 'on', BONKER_PERSISTENCE: 'redis', BONKER_TOPIC_PREFIX: 'a/#' }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^BONKER_BROKER_WS_PORT: expected a TCP port number 0-65535 or "off"/),
      expect.stringMatching(/^BONKER_PERSISTENCE: expected one of level, memory/),
      expect.stringMatching(/^BONKER_TOPIC_PREFIX: expected topic levels/),
    ]);
  });

  it('wants a users file on a non-loopback host', () => {
    expect(problemsOf(() => loadBrokerConfig({ BONKER_BROKER_HOST: '0.0.0.0' }))).toEqual([
      expect.stringMatching(/^BONKER_USERS_FILE: required when BONKER_BROKER_HOST \(0\.0\.0\.0\) is not loopback/),
    ]);
  });

  it('wants both TLS files, readable', () => {
    expect(problemsOf(() => loadBrokerConfig({ BONKER_BROKER_TLS_CERT: '/nonexistent/cert.pem' }))).toEqual([
      expect.stringMatching(/^BONKER_BROKER_TLS_KEY: expected a path too/),
    ]);
    const both = { BONKER_BROKER_TLS_CERT: '/nonexistent/cert.pem', BONKER_BROKER_TLS_KEY: '/nonexistent/key.pem' };
    expect(problemsOf(() => loadBrokerConfig(both))).toHaveLength(2);
  });

  it('loads a valid users file and then allows no anonymous clients', async () => {
    const password = await hashPassword('s3cret');
    const path = await usersFile({ users: [{ username: 'tux', role: 'device', device: 'tux', password }] });
    const config = loadBrokerConfig({ BONKER_BROKER_HOST: '0.0.0.0', BONKER_USERS_FILE: path });
    expect(config.allowAnonymous).toBe(false);
    expect(config.users).toEqual([{ username: 'tux', role: 'device', device: 'tux', password }]);
  });

  it('names each problem of a bad users file with its path, refusing plain-text passwords', async () => {
    const hash = await hashPassword('x');
    const path = await usersFile({
      users: [
        { username: 'edge', role: 'edge', password: 'hunter2' },
        { username: 'tux', role: 'device', password: hash },
        { username: 'boss', role: 'root', password: hash },
        { username: 'edge', role: 'viewer', password: hash },
      ],
    });
    const problems = problemsOf(() => loadBrokerConfig({ BONKER_USERS_FILE: path }));
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems).toEqual([
      expect.stringMatching(/^BONKER_USERS_FILE \(.*users\.json\): users\.0\.password: expected a hash made by hashPassword/),
      expect.stringMatching(/: users\.1\.device: /),
      expect.stringMatching(/: users\.2\.role: expected "role" to be one of edge, device, admin, viewer/),
      expect.stringMatching(/: users\.3\.username: duplicate username "edge"/),
    ]);
  });

  it('reports an unreadable or non-JSON users file', async () => {
    expect(problemsOf(() => loadBrokerConfig({ BONKER_USERS_FILE: '/nonexistent/users.json' }))[0]).toMatch(/cannot be read \(ENOENT\)/);
    const path = await usersFile('{ users: [');
    expect(problemsOf(() => loadBrokerConfig({ BONKER_USERS_FILE: path }))[0]).toMatch(/not valid JSON/);
  });
});

describe('broker limits', () => {
  it('takes each limit from its variable', () => {
    const env = {
      BONKER_BROKER_MAX_CONNECT_BYTES: '1024', BONKER_BROKER_MAX_PACKET_BYTES: '1024',
      BONKER_BROKER_MAX_CONNECTIONS: '20', BONKER_BROKER_CONNECT_TIMEOUT_MS: '250',
    };
    expect(loadBrokerConfig(env).limits).toEqual({ maxConnectBytes: 1024, maxPacketBytes: 1024, maxConnections: 20, connectTimeoutMs: 250 });
  });

  it('reports every bad limit at once, with the range expected', () => {
    const problems = problemsOf(() =>
      loadBrokerConfig({
        BONKER_BROKER_MAX_CONNECT_BYTES: '16k', BONKER_BROKER_MAX_PACKET_BYTES: '0',
        BONKER_BROKER_MAX_CONNECTIONS: '2.5', BONKER_BROKER_CONNECT_TIMEOUT_MS: '-1',
      }),
    );
    expect(problems).toEqual([
      'BONKER_BROKER_MAX_CONNECT_BYTES: expected a whole number of bytes from 64 to 268435460',
      'BONKER_BROKER_MAX_PACKET_BYTES: expected a whole number of bytes from 64 to 268435460',
      'BONKER_BROKER_MAX_CONNECTIONS: expected a whole number of connections from 1 to 1000000',
      'BONKER_BROKER_CONNECT_TIMEOUT_MS: expected a whole number of milliseconds from 100 to 600000',
    ]);
  });

  it('refuses 0, and sizes beyond what MQTT can express', () => {
    expect(problemsOf(() => loadBrokerConfig({ BONKER_BROKER_MAX_CONNECTIONS: '0' }))).toEqual([
      expect.stringMatching(/^BONKER_BROKER_MAX_CONNECTIONS: expected a whole number/),
    ]);
    expect(problemsOf(() => loadBrokerConfig({ BONKER_BROKER_MAX_PACKET_BYTES: '268435461' }))).toEqual([
      expect.stringMatching(/^BONKER_BROKER_MAX_PACKET_BYTES: expected a whole number of bytes from 64 to 268435460/),
    ]);
  });

  it('wants the packet limit at least as large as the CONNECT limit, reported beside other problems', () => {
    const problems = problemsOf(() =>
      loadBrokerConfig({ BONKER_BROKER_MAX_CONNECT_BYTES: '4096', BONKER_BROKER_MAX_PACKET_BYTES: '1024', BONKER_BROKER_WS_PORT: 'on' }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^BONKER_BROKER_WS_PORT: /),
      'BONKER_BROKER_MAX_PACKET_BYTES: 1024 is below BONKER_BROKER_MAX_CONNECT_BYTES (4096); ' +
        'expected at least that, because the CONNECT limit is the stricter one, before authentication',
    ]);
  });
});

describe('passwords', () => {
  it('hashes into a self-describing salted string and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('bonk'), hashPassword('bonk')]);
    expect(a).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(a).not.toBe(b);
    expect(isPasswordHash(a)).toBe(true);
    expect(await verifyPassword('bonk', a)).toBe(true);
    expect(await verifyPassword('bonK', a)).toBe(false);
    expect(await verifyPassword('bonk', 'bonk')).toBe(false);
    expect(isPasswordHash('scrypt$N=3,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$' + 'A'.repeat(44))).toBe(false);
  });
});

describe('BONKER_PERSISTENCE=redis://', () => {
  it('selects the shared Redis store and emitter, and never shows the password', () => {
    const { persistence } = loadBrokerConfig({ BONKER_PERSISTENCE: 'redis://:s3cret@10.0.0.5:6380/2' });
    expect(persistence).toEqual({ kind: 'redis', redis: { host: '10.0.0.5', port: 6380, db: 2, tls: false, password: 's3cret' } });
    expect(describePersistence(persistence)).toBe('redis (redis://10.0.0.5:6380/2)');
    expect(loadBrokerConfig({ BONKER_PERSISTENCE: 'rediss://cache.example' }).persistence).toEqual({
      kind: 'redis', redis: { host: 'cache.example', port: 6379, db: 0, tls: true },
    });
  });

  it('names what is wrong with a bad URL without echoing it', () => {
    const problems = problemsOf(() => loadBrokerConfig({ BONKER_PERSISTENCE: 'redis://:s3cret@host/99' }));
    expect(problems).toEqual([expect.stringMatching(/^BONKER_PERSISTENCE: redis URL: database "99" is not a number 0-15; expected/)]);
    expect(problems.join()).not.toContain('s3cret');
    expect(problemsOf(() => loadBrokerConfig({ BONKER_PERSISTENCE: 'redis' }))).toEqual([
      expect.stringMatching(/^BONKER_PERSISTENCE: expected one of level, memory, or redis:\/\/host:port\[\/db\]/),
    ]);
  });
});
