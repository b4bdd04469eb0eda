// Cluster mode without a Redis to reach: the broker refuses to start, saying where it looked, never the password.
import { expect, it } from 'vitest';
import { silentLogger } from '../contract/index.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { startBroker } from './start-broker.ts';
import { testBrokerConfig } from '../test/helpers/broker-test-support.ts';

it('fails start-up with the address when Redis is unreachable, instead of hanging', async () => {
  const port = await freePort();
  const config = testBrokerConfig({ BONKER_PERSISTENCE: `redis://:hunter2@127.0.0.1:${port}/3` });
  const failure = await startBroker(config, silentLogger).then(
    () => undefined,
    (error: Error) => error.message,
  );
  expect(failure).toMatch(new RegExp(`^cannot reach Redis at redis \\(redis://127\\.0\\.0\\.1:${port}/3\\) \\(.*ECONNREFUSED.*\\)`));
  expect(failure).not.toContain('hunter2');
});
