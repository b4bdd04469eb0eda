// The list of recent bonks: each device's retained `<prefix>/<device>/history` (its last N answers, kept across
// reloads and restarts; contract/device-state.ts) merged with the acks this page saw live.
import { el, plural, timeEl } from './dom.js';

const MAX_SHOWN = 50;
const RESULTS = new Set(['done', 'duplicate', 'rejected', 'rate_limited']);
const text = (value) => (typeof value === 'string' ? value : undefined);

/** `{ total, last, recent }` from a history payload, or undefined: a broken retained message must not break the page. */
export function readHistory(payload) {
  let json;
  try {
    json = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (json?.v !== 1 || !Number.isSafeInteger(json.total) || json.total < 0) return undefined;
  const recent = Array.isArray(json.recent) ? json.recent.map(readEntry).filter(Boolean) : [];
  // `last` is the last strike, which may have left `recent` behind a run of refused commands.
  return { total: json.total, last: json.last ? readEntry({ ...json.last, result: 'done' }) : undefined, recent };
}

/** An ack as a history entry, in the fields the device keeps; undefined when it is not an ack. */
export function ackEntry(ack) {
  const labels = ack?.labels ?? {};
  return readEntry({
    ...ack, at: ack?.finishedAt ?? Date.now(), namespace: labels.namespace, pod: labels.pod, container: labels.container,
  });
}

/** An entry with the fields the page uses, of the types it expects; undefined when its id, time or result is off. */
function readEntry(raw) {
  // A number Date cannot hold (beyond ±8.64e15 ms) would make toISOString throw while rendering.
  const time = typeof raw?.at === 'number' ? new Date(raw.at).getTime() : NaN;
  if (typeof raw?.id !== 'string' || Number.isNaN(time) || !RESULTS.has(raw.result)) return undefined;
  return {
    id: raw.id, at: raw.at, result: raw.result, bonks: Number.isSafeInteger(raw.bonks) ? raw.bonks : 0,
    reason: text(raw.reason) ?? '', source: text(raw.source), namespace: text(raw.namespace), pod: text(raw.pod),
    container: text(raw.container), error: text(raw.error),
  };
}

/** What a bonk was for: `namespace/pod (container)` when an alert named a pod, else its reason. */
export function subject(entry) {
  if (!entry.pod) return entry.reason || 'manual bonk';
  return `${entry.namespace ?? '?'}/${entry.pod}${entry.container ? ` (${entry.container})` : ''}`;
}

export function createHistory(list) {
  const retained = new Map(); // device → entries, newest first
  const live = []; // { device, entry } seen on the ack topic since the page opened
  const render = () => {
    const seen = new Set();
    const rows = [];
    const add = (device, entry) => {
      const key = `${device}\n${entry.id}\n${entry.result}`;
      if (!seen.has(key)) rows.push({ device, entry });
      seen.add(key);
    };
    for (const [device, entries] of retained) for (const entry of entries) add(device, entry);
    for (const { device, entry } of live) add(device, entry);
    rows.sort((a, b) => b.entry.at - a.entry.at);
    list.replaceChildren(...rows.slice(0, MAX_SHOWN).map(row));
    if (!rows.length) list.append(el('li', { class: 'empty' }, 'No bonks recorded yet.'));
  };
  return {
    setRetained(device, entries) {
      retained.set(device, entries);
      render();
    },
    addLive(device, entry) {
      live.unshift({ device, entry });
      live.length = Math.min(live.length, MAX_SHOWN);
      render();
    },
  };
}

function row({ device, entry }) {
  const li = el('li', { 'data-result': entry.result, 'data-device': device, 'data-id': entry.id });
  const meta = [device, plural(entry.bonks, 'bonk'), ...(entry.source ? [entry.source] : [])].join(' · ');
  li.append(
    el('span', { class: 'result' }, entry.result.replace('_', ' ')),
    ' ',
    el('span', { class: 'what' }, subject(entry)),
    el('span', { class: 'meta' }, `${meta} · `, timeEl(new Date(entry.at)), entry.error ? ` · ${entry.error}` : ''),
  );
  return li;
}
