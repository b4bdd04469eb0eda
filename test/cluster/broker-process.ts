// `oom-bonker broker` as a child process on a fixed loopback port, so a test can SIGKILL it and start it again there.
import { startBonker, type BonkerProcess } from '../helpers/child-process.ts';
import { freePort } from '../helpers/free-port.ts';

export interface BrokerProcess {
  name: string;
  port: number;
  url: string;
  /** The running child (a new one after each start). */
  current(): BonkerProcess;
  /** Starts the broker (again) on the same port and resolves once it logs "broker listening". */
  start(): Promise<void>;
  /** SIGKILL: no clean shutdown, nothing flushed beyond what the store already had. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `persistence` is BONKER_PERSISTENCE (`level` needs `dataDir`; a redis:// URL shares the store with other brokers).
 * Only the TCP listener: WebSocket and HTTP off, so several brokers fit side by side.
 */
export async function createBrokerProcess(
  name: string,
  settings: { persistence: string; dataDir?: string; env?: Record<string, string> },
): Promise<BrokerProcess> {
  const port = await freePort();
  let child: BonkerProcess | undefined;
  const halt = async (signal: NodeJS.Signals) => {
    if (!child) return;
    child.kill(signal);
    await child.exited;
  };
  return {
    name,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    current: () => child!,
    async start() {
      await halt('SIGKILL');
      child = startBonker(['broker', '--broker-port', String(port), '--broker-ws-port', 'off', '--broker-http-port', 'off'], {
        BONKER_PERSISTENCE: settings.persistence,
        ...(settings.dataDir ? { BONKER_DATA_DIR: settings.dataDir } : {}),
        ...settings.env,
      });
      await child.waitForLog((line) => line.msg === 'broker listening', 20_000);
    },
    crash: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
  };
}
