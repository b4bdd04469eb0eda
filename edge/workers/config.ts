// Settings of the Worker entry: the edge's BONKER_* settings plus the Worker-only ones, from wrangler vars/secrets.
import { z } from 'zod';
import { collectProblems, ConfigError, createTopics, envValue, parseEnv, type Env } from '../../contract/index.ts';
import { loadEdgeConfig, type EdgeConfig } from '../core/config.ts';
import { createConsoleLogger, type LogLevel } from './console-logger.ts';
import { brokerAddress, type BrokerAddress } from './publisher.ts';

export const workerEnvShape = {
  BONKER_LOG_LEVEL: envValue.logLevel(),
  BONKER_EDGE_WORKER_MODE: z
    .enum(['per-request', 'durable-object'], { error: 'expected "per-request" or "durable-object"' })
    .default('per-request'),
};

export interface WorkerConfig {
  edge: EdgeConfig;
  broker: BrokerAddress;
  logLevel: LogLevel;
  /** per-request: a connection per HTTP request; durable-object: one held by the BrokerConnection Durable Object. */
  mode: 'per-request' | 'durable-object';
}

/**
 * A deployed Worker is reachable from the whole internet, so unless BONKER_EDGE_HOST says otherwise the edge's
 * "credential required off loopback" rule applies: without BONKER_EDGE_TOKEN or basic auth the Worker refuses to run.
 * `wrangler dev` sets BONKER_EDGE_HOST=127.0.0.1 to allow a credential-less local edge.
 */
export function loadWorkerConfig(bindings: Record<string, unknown>): WorkerConfig {
  const env: Env = { BONKER_EDGE_HOST: '0.0.0.0', ...stringsOf(bindings) };
  const problems: string[] = [];
  // A plain Error (an unreadable broker URL) is a configuration problem here too.
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return collectProblems(load, problems);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };
  const edge = attempt(() => loadEdgeConfig(env));
  const worker = attempt(() => parseEnv(workerEnvShape, env));
  const broker = edge && attempt(() => brokerAddress(edge.brokerUrl));
  if (!edge || !worker || !broker) throw new ConfigError(problems);
  return { edge, broker, logLevel: worker.BONKER_LOG_LEVEL, mode: worker.BONKER_EDGE_WORKER_MODE };
}

/** Where and as whom the Worker publishes, the same in both modes. */
export function brokerLogin({ broker, edge }: WorkerConfig) {
  return { address: broker, username: edge.mqttUsername, password: edge.mqttPassword, topics: createTopics(edge.topicPrefix) };
}

/** Bindings also hold objects (Durable Object namespaces, KV); only strings are settings. */
function stringsOf(bindings: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(bindings).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Bad settings are the operator's to fix: say which ones (never their values) on every request until they are. */
export function configErrorResponse(error: unknown): Response {
  const problems = error instanceof ConfigError ? error.problems : [String(error)];
  createConsoleLogger('error').error({ problems }, 'invalid Worker configuration');
  return Response.json({ error: 'invalid Worker configuration', problems }, { status: 500 });
}
