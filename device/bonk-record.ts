// The device's own record of its bonks: the total strikes and the last BONKER_HISTORY_SIZE answered commands, kept in
// the state directory (so a restart keeps them) and published retained on `<prefix>/<device>/history` for the dashboard.
import type { DeviceEvents } from './device-events.ts';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { bonkEntry, lastBonkOf, parseDeviceState, QOS, type Ack, type DeviceState, type Logger } from '../contract/index.ts';
import type { DeviceConfig } from './config.ts';

/** Named when only Home Assistant read it; kept, so an upgraded device keeps its total. */
export const STATE_FILE = 'home-assistant-state.json';

export interface BonkRecord {
  state(): DeviceState;
  /** Runs after every save with the state saved (publishers); settled() waits for it too. */
  onSaved(listener: (state: DeviceState) => Promise<unknown>): void;
  /** Resolves once every ack so far is saved and published (awaited before disconnecting). */
  settled(): Promise<void>;
}

/** Loads the saved record and, from then on, adds every answered command the agent emits as 'ack'. */
export async function createBonkRecord(deps: {
  config: Pick<DeviceConfig, 'stateDir' | 'historySize'>;
  events: DeviceEvents;
  logger: Logger;
}): Promise<BonkRecord> {
  const { config, events } = deps;
  const logger = deps.logger.child({ module: 'bonk-record' });
  const file = path.join(config.stateDir, STATE_FILE);
  let state = await loadState(file, config.historySize, logger);
  const listeners: ((state: DeviceState) => Promise<unknown>)[] = [];
  let saving: Promise<unknown> = Promise.resolve();
  let saveQueued = false;

  events.on('ack', (ack: Ack) => {
    const next = nextState(state, ack, config.historySize);
    if (next === state) return;
    state = next;
    // One write at a time, always of the latest state, so the file and the retained copies never go backwards.
    // Acks arriving meanwhile share one later write: a write and a publish per ack kept a Pi-class agent busy for
    // minutes after 1,000 bonks and competed with the strikes themselves.
    if (saveQueued) return;
    saveQueued = true;
    saving = saving.then(async () => {
      saveQueued = false;
      const saved = state;
      await saveState(file, saved, logger);
      await Promise.all(listeners.map((listener) => listener(saved)));
    });
  });
  return {
    state: () => state,
    onSaved: (listener) => void listeners.push(listener),
    settled: () => saving.then(() => undefined),
  };
}

/**
 * The record after `ack`: every answer but `duplicate` (the same bonk again) joins the history, newest first; only
 * strikes count in the total and become `last`. Returns `state` itself when nothing changes.
 */
export function nextState(state: DeviceState, ack: Ack, historySize: number, now: () => number = Date.now): DeviceState {
  if (ack.result === 'duplicate') return state;
  const entry = bonkEntry(ack, now);
  const recent = [entry, ...(state.recent ?? [])].slice(0, historySize);
  if (ack.result !== 'done' || ack.bonks === 0) return { ...state, recent };
  return { v: 1, total: state.total + ack.bonks, last: lastBonkOf(ack, now), recent };
}

/** Publishes the record, retained, on every (re)connect and after every save; the viewer role may read it. */
export function linkHistoryTopic(deps: {
  client: MqttClient;
  record: BonkRecord;
  topic: string;
  events: DeviceEvents;
  logger: Logger;
}): void {
  const { client, record, topic, events, logger } = deps;
  const publish = (state: DeviceState) =>
    client.publishAsync(topic, JSON.stringify(state), { qos: QOS.history, retain: true }).catch((error: unknown) => {
      logger.warn({ err: error, topic }, 'could not publish the bonk history');
    });
  events.on('connected', () => void publish(record.state()));
  record.onSaved(publish);
}

async function loadState(file: string, historySize: number, logger: Logger): Promise<DeviceState> {
  try {
    const parsed = parseDeviceState(await readFile(file, 'utf8'));
    // A smaller BONKER_HISTORY_SIZE than the last run's applies at once.
    if (parsed) return { ...parsed, recent: (parsed.recent ?? []).slice(0, historySize) };
    logger.warn({ file }, 'bonk record file is not understood; counting from 0');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') logger.warn({ err: error, file }, 'cannot read the bonk record');
  }
  return { v: 1, total: 0, last: null, recent: [] };
}

/** Write-temp-then-rename, so a crash leaves the old record rather than half a file. Best effort: a counter, not a bonk. */
async function saveState(file: string, state: DeviceState, logger: Logger): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(state));
    await rename(`${file}.tmp`, file);
  } catch (error) {
    logger.warn({ err: error, file }, 'cannot save the bonk record');
  }
}
