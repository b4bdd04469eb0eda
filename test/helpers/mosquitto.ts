// Debian's Mosquitto as a child process on a free loopback port, with the settings that keep it from dropping bonks.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findProgram, MOSQUITTO_CANDIDATES } from '../interop/require-programs.ts';
import { freePort } from './free-port.ts';
import { makeTempDir } from './temp-dir.ts';

export interface Mosquitto {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * With Mosquitto 2.0.11's defaults (max_inflight_messages 20, max_queued_messages 1000) QoS 2 bursts to a persistent
 * subscriber were acknowledged and then dropped; `max_inflight_messages 0` removed the loss (docs/mqtt-clients.md).
 */
export function mosquittoConfig(port: number, dataDir: string): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_inflight_messages 0',
    'max_queued_messages 0',
    // Like our own sockets: without it small packets wait up to 40 ms for a delayed ACK (docs/mqtt-clients.md, Nagle).
    'set_tcp_nodelay true',
    'persistence true',
    `persistence_location ${dataDir}/`,
    'autosave_interval 1',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
  ].join('\n');
}

/** `config` replaces the test configuration, e.g. with a shipped file whose port and paths the test rewrites. */
export async function startMosquitto(config: (port: number, dataDir: string) => string | Promise<string> = mosquittoConfig): Promise<Mosquitto> {
  const program = findProgram(MOSQUITTO_CANDIDATES);
  if (!program) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
  const dir = await makeTempDir('bonker-mosquitto-');
  const port = await freePort();
  const conf = path.join(dir.path, 'mosquitto.conf');
  await writeFile(conf, await config(port, dir.path));
  const child = spawn(program, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosquitto did not start:\n${log}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/mosquitto version \S+ running/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mosquitto exited with ${code}:\n${log}`));
    });
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await dir.remove();
    },
  };
}
