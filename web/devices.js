// The device cards (status, strikes, last bonk) and the strikes summed over every device.
import { el, plural, timeEl } from './dom.js';
import { subject } from './history.js';

/**
 * One row per fact on each card, in order; a fact whose value is undefined is left out. To show more about a device,
 * keep it in its record (see update) and add a row here.
 */
const CARD_ROWS = [
  { key: 'total', label: 'Strikes', value: (device) => device.total?.toLocaleString() },
  {
    key: 'last', label: 'Last bonk',
    value: (device) => device.last && [subject(device.last), ' · ', timeEl(new Date(device.last.at))],
  },
];

export function createDevices({ list, total }) {
  const devices = new Map(); // name → { status?, driver?, fallback?, total?, last? }
  const render = () => {
    const names = [...devices.keys()].sort((a, b) => a.localeCompare(b));
    list.replaceChildren(...names.map((name) => card(name, devices.get(name))));
    if (!names.length) list.append(el('li', { class: 'empty' }, 'No device has reported yet.'));
    const counted = [...devices.values()].filter((device) => device.total !== undefined);
    const sum = counted.reduce((strikes, device) => strikes + device.total, 0);
    total.dataset.total = String(sum);
    total.textContent = counted.length
      ? `${plural(sum, 'strike')} in total on ${plural(counted.length, 'device')}`
      : 'No strikes recorded yet.';
  };
  return {
    names: () => [...devices.keys()],
    /** The device that struck last and that strike, or undefined before any. */
    latest() {
      const struck = [...devices].filter(([, device]) => device.last).sort(([, a], [, b]) => b.last.at - a.last.at);
      return struck.length ? { name: struck[0][0], last: struck[0][1].last } : undefined;
    },
    /** Merges what is known about a device (its status, or its total and last strike from its history). */
    update(name, fields) {
      devices.set(name, { ...devices.get(name), ...fields });
      render();
    },
  };
}

function card(name, device) {
  const li = el('li', { 'data-device': name, 'data-status': device.status ?? 'unknown' });
  const facts = el('dl', { class: 'facts' });
  for (const fact of CARD_ROWS) {
    const value = fact.value(device);
    if (value === undefined || value === null) continue;
    facts.append(el('div', {}, el('dt', {}, fact.label), el('dd', { 'data-fact': fact.key }, ...[value].flat())));
  }
  // The servo driver in use (the device's retained info); red when `auto` found no hardware and simulates.
  const driver = device.driver === undefined ? [] : [el('span', { class: 'driver', 'data-fallback': String(device.fallback === true) }, device.driver)];
  li.append(
    el('div', { class: 'device-head' }, el('span', { class: 'name' }, name), ...driver, el('span', { class: 'status' }, device.status ?? 'no status yet')),
    facts,
  );
  return li;
}
