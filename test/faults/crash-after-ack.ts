// Scenario shared by level and Redis mode: the broker is SIGKILLed the moment the edge has answered 200 for a bonk.
import type { BrokerProcess } from '../cluster/broker-process.ts';
import { doneCounts, numberedAlert, postAlert, startRecordedDevice, startTestEdge } from './fault-kit.ts';

export interface CrashFigures {
  /** Bonks the edge answered 200 for (the broker had stored them). */
  acknowledged: string[];
  /** Requests answered otherwise (503 / connection error) because the broker died under them. */
  refused: number;
  /** Acknowledged bonks that never struck after the restart. */
  lost: number;
  /** Ids struck more than once. */
  duplicated: number;
  /** Refused bonks that struck anyway (stored, but the broker died before it could confirm): allowed, never twice. */
  deliveredAnyway: number;
}

/**
 * Posts `total` alerts at once while the device is away, SIGKILLs the broker as the `killAt`-th 200 arrives, restarts
 * it (`restart` may pick another broker for the device, as in a cluster), brings the device back and counts.
 */
export async function crashRightAfterAck(opts: {
  edgeBroker: BrokerProcess;
  deviceBrokerUrl: string;
  stateDir: string;
  total: number;
  killAt: number;
  restart(): Promise<void>;
}): Promise<CrashFigures> {
  // The device's first visit creates its persistent session; then it is away while the bonks are stored.
  await (await startRecordedDevice(opts.deviceBrokerUrl, opts.stateDir)).close();
  const edge = await startTestEdge(opts.edgeBroker.url, { BONKER_EDGE_PUBLISH_TIMEOUT_MS: '3000' });
  const acknowledged: string[] = [];
  let refused = 0;
  try {
    await Promise.all(
      Array.from({ length: opts.total }, (_, n) =>
        postAlert(edge.url, numberedAlert(n)).then((result) => {
          if (result.status !== 200) return void refused++;
          acknowledged.push(...result.published);
          // Synchronously, in the same tick the 200 arrived: nothing more reaches the store after it.
          if (acknowledged.length === opts.killAt) opts.edgeBroker.current().kill('SIGKILL');
        }),
      ),
    );
  } finally {
    await edge.close();
  }
  await opts.edgeBroker.current().exited;
  await opts.restart();

  const device = await startRecordedDevice(opts.deviceBrokerUrl, opts.stateDir);
  try {
    await device.waitForIds(acknowledged, 30_000).catch(() => undefined);
    // A sentinel published now arrives after everything stored before it (the replay comes first), so once it is
    // acked no straggler from the crash can still be on its way.
    const sentinelEdge = await startTestEdge(opts.deviceBrokerUrl);
    const sentinel = await postAlert(sentinelEdge.url, numberedAlert(opts.total + 1)).finally(() => sentinelEdge.close());
    await device.waitForIds(sentinel.published, 30_000);
    const counts = doneCounts(device.acks);
    const struck = new Set(counts.keys());
    return {
      acknowledged,
      refused,
      lost: acknowledged.filter((id) => !struck.has(id)).length,
      duplicated: [...counts.values()].filter((n) => n > 1).length,
      deliveredAnyway: struck.size - 1 - acknowledged.filter((id) => struck.has(id)).length,
    };
  } finally {
    await device.close();
  }
}
