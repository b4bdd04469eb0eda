// Starts the bundled broker: Aedes with our persistence, auth hooks and metrics, behind the configured listeners.
import type { EventEmitter } from 'node:events';
import { Aedes } from 'aedes';
import { createTopics, type Logger } from '../contract/index.ts';
import { createAcl } from './acl.ts';
import { createAuthHooks } from './auth-hooks.ts';
import type { BrokerConfig } from './config.ts';
import { startListeners, type Listener } from './listeners.ts';
import { createBrokerMetrics } from './metrics.ts';
import { createDeviceMetrics } from './device-metrics.ts';
import { createLimitRefusals, watchConnectTimeouts } from './limit-refusals.ts';
import { checkAedesVersion, deliveryHooks, guardPersistence } from './delivery-guards/index.ts';
import { describePersistence, openBackend } from './persistence.ts';
import { dropStaleWills } from './stale-wills.ts';
import { watchStoreHealth, type StoreFailure } from './store-health.ts';

export interface RunningBroker {
  aedes: Aedes;
  host: string;
  mqttPort: number;
  wsPort?: number;
  tlsPort?: number;
  httpPort?: number;
  /** Stops listeners and aedes, then closes the persistence; safe to call more than once. */
  close(): Promise<void>;
}

export interface BrokerTestOverrides {
  /** false restores aedes' unordered enqueues; only for showing that the no-strand test catches the bug. */
  orderOutgoing?: boolean;
  /** false restores aedes' dedupe and reconnect replay; only for showing that delivery-races.test.ts catches the races. */
  raceGuards?: boolean;
}

export async function startBroker(
  config: BrokerConfig,
  logger: Logger,
  overrides: BrokerTestOverrides = {},
): Promise<RunningBroker> {
  const log = logger.child({ module: 'broker' });
  const metrics = createBrokerMetrics();
  const topics = createTopics(config.topicPrefix);
  const refusals = createLimitRefusals({ logger: log, count: metrics.limitRefused });
  const { inspectConnect, ...authHooks } = createAuthHooks({
    users: config.users,
    acl: createAcl(topics),
    logger: log,
    onRefused: metrics.refused,
  });
  const backend = await openBackend(config.persistence, log);
  const store = watchStoreHealth(backend.persistence, { logger: log, onFailure: metrics.storeFailed });
  const persistence = guardPersistence(store.persistence, log, { ordered: overrides.orderOutgoing ?? true });
  let aedes: Aedes | undefined;
  let listeners: Listener[] = [];
  try {
    aedes = await Aedes.createBroker({
      // With Redis, brokers sharing the store share the emitter; aedes closes it in close().
      ...(backend.mq ? { mq: backend.mq as never } : {}),
      // aedes' default is 30 s; an idle socket holds a connection slot until then.
      connectTimeout: config.limits.connectTimeoutMs,
      ...authHooks,
      ...deliveryHooks(persistence, overrides.raceGuards ?? true, () => metrics.forwarded(), inspectConnect),
    });
    checkAedesVersion(aedes);
    metrics.observe(aedes, persistence.queuedMessages, store.health);
    await createDeviceMetrics({ aedes, persistence, topics, registry: metrics.registry, logger: log }).start();
    dropStaleWills(aedes, persistence as never, log);
    logEvents(aedes, log);
    watchConnectTimeouts(aedes, refusals, config.limits.connectTimeoutMs);
    listeners = await startListeners(config, aedes, {
      registry: metrics.registry,
      refusals,
      notReady: () => describeStoreFailure(store.health.failing()),
    });
  } catch (error) {
    await stop(aedes, [], persistence.destroy);
    if (!aedes) backend.mq?.close(() => {});
    throw error;
  }
  const port = (name: Listener['name']) => listeners.find((listener) => listener.name === name)?.port;
  log.info(
    { host: config.host, ports: Object.fromEntries(listeners.map((l) => [l.name, l.port])), persistence: describePersistence(config.persistence), anonymous: config.allowAnonymous },
    'broker listening',
  );
  let closing: Promise<void> | undefined;
  const broker = aedes;
  return {
    aedes: broker,
    host: config.host,
    mqttPort: port('mqtt')!,
    ...optional('wsPort', port('ws')),
    ...optional('tlsPort', port('tls')),
    ...optional('httpPort', port('http')),
    close: () =>
      (closing ??= stop(broker, listeners, persistence.destroy).then(() => {
        refusals.close();
        log.info('broker closed');
      })),
  };
}

/** Clients first (aedes publishes their wills into the store), then sockets, then the store itself. */
async function stop(aedes: Aedes | undefined, listeners: Listener[], destroy: () => Promise<void>): Promise<void> {
  if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await Promise.all(listeners.map((listener) => listener.close()));
  await destroy();
}

function logEvents(aedes: Aedes, log: Logger): void {
  aedes.on('client', (client) => log.debug({ clientId: client.id }, 'client connected'));
  aedes.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'client disconnected'));
  aedes.on('clientError', (client, error) => log.debug({ clientId: client.id, err: error.message }, 'client error'));
  aedes.on('connectionError', (_client, error) => log.debug({ err: error.message }, 'connection error'));
  // aedes emits 'error' when the persistence fails in the publish path ("is this really recoverable?", aedes.js).
  (aedes as EventEmitter).on('error', (error: Error) => log.error({ err: error.message }, 'broker error'));
}

function describeStoreFailure(failure: StoreFailure | undefined): string | undefined {
  if (!failure) return undefined;
  return `cannot store (${failure.operation}: ${failure.cause}; ${failure.count} failures since ${new Date(failure.since).toISOString()})`;
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
