// OOM Bonker dashboard: follows `<P>/+/status`, `<P>/+/history`, `<P>/+/info` (retained; info names the servo driver) and `<P>/+/ack` over MQTT-over-WebSocket
// (mqtt.js browser bundle) and posts manual bonks to the edge's POST /bonk. Plain browser JavaScript, no build step.
import { createDevices } from './devices.js';
import { $, el, formatTime, plural } from './dom.js';
import { ackEntry, createHistory, readHistory, subject } from './history.js';

const TOKEN_KEY = 'oom-bonker-token';

let settings;
let devices;
let history;

main().catch((error) => setConnection('error', `Dashboard failed to start: ${error.message}`));

async function main() {
  settings = await (await fetch('/dashboard/config.json')).json();
  devices = createDevices({ list: $('devices'), total: $('total-strikes') });
  history = createHistory($('history'));
  renderDeviceChoices();
  if (settings.bonkAuth === 'basic') $('token-form').querySelector('label').textContent = 'The edge needs user:password for manual bonks';
  $('bonk-form').addEventListener('submit', onBonk);
  $('token-form').addEventListener('submit', onToken);
  $('stage').addEventListener('animationend', onAnimationEnd);
  connect();
}

function connect() {
  const url = settings.mqttUrl ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:9001`;
  // 3.1.1 (protocolVersion 4): the bundled Aedes broker does not speak MQTT 5.
  // The viewer namespace of client ids: a broker with a users file binds client ids to roles (contract/client-ids.ts).
  // getRandomValues, not randomUUID: the page may be served over plain http, which is not a secure context.
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  const clientId = `bonker-viewer-page-${suffix}`;
  const options = { clientId, protocolVersion: 4, clean: true, reconnectPeriod: 2000, connectTimeout: 10000 };
  if (settings.username) Object.assign(options, { username: settings.username, password: settings.password ?? '' });
  const client = window.mqtt.connect(url, options);
  const prefix = settings.topicPrefix;
  client.on('connect', () => {
    setConnection('online', `Live: connected to ${url}`);
    client.subscribe([`${prefix}/+/status`, `${prefix}/+/history`, `${prefix}/+/info`, `${prefix}/+/ack`], { qos: 1 }, (error, granted) => {
      if (error) return setConnection('error', `Could not subscribe: ${error.message}`);
      const refused = (granted ?? []).filter((grant) => grant.qos === 128).map((grant) => grant.topic);
      if (refused.length) setConnection('error', `The broker refused ${refused.join(', ')} to this viewer`);
    });
  });
  client.on('reconnect', () => setConnection('connecting', `Reconnecting to ${url}…`));
  client.on('error', (error) => setConnection('error', `Broker error: ${error.message}`));
  client.on('message', (topic, payload) => onMessage(prefix, topic, new TextDecoder().decode(payload)));
}

function onMessage(prefix, topic, text) {
  if (!topic.startsWith(`${prefix}/`)) return;
  const [device, kind, extra] = topic.slice(prefix.length + 1).split('/');
  if (!device || extra !== undefined) return;
  if (kind === 'status' && (text === 'online' || text === 'offline')) setDevice(device, { status: text });
  if (kind === 'history') {
    const kept = readHistory(text);
    if (!kept) return;
    history.setRetained(device, kept.recent);
    setDevice(device, { total: kept.total, last: kept.last });
    const latest = devices.latest();
    // Until a strike plays on this page, the caption tells the last one the devices kept.
    if ($('stage').dataset.strikes === '0' && latest) {
      $('tux-caption').textContent = `Tux is waiting. ${caption(latest.name, latest.last, 'Last bonk')}`;
    }
  }
  // `auto` that found no servo hardware simulates: say so where the device is shown, nothing moves.
  if (kind === 'info') {
    const servo = parseJson(text)?.servo;
    if (typeof servo?.driver !== 'string') return;
    setDevice(device, { driver: servo.fallback ? 'SIMULATED: no servo hardware found' : `${servo.driver} servo`, fallback: servo.fallback === true });
  }
  if (kind === 'ack') {
    const entry = ackEntry(parseJson(text));
    if (!entry) return;
    history.addLive(device, entry);
    if (entry.result === 'done' && entry.bonks > 0) strike(device, entry);
  }
}

function setConnection(state, text) {
  const node = $('connection');
  node.dataset.state = state;
  node.textContent = text;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function setDevice(name, fields) {
  devices.update(name, fields);
  renderDeviceChoices();
}

function renderDeviceChoices() {
  const select = $('bonk-device');
  const chosen = select.value || settings.defaultDevice;
  const names = new Set([settings.defaultDevice, ...devices.names()]);
  select.replaceChildren(...[...names].sort().map((name) => el('option', { value: name }, name)));
  select.value = chosen;
}

let pending = 0;
/** Plays the bonk once per strike; the caption is the text alternative and is updated even without animation. */
function strike(device, entry) {
  const stage = $('stage');
  stage.dataset.strikes = String(Number(stage.dataset.strikes) + entry.bonks);
  $('tux-caption').textContent = caption(device, entry);
  pending += entry.bonks;
  if (!stage.classList.contains('bonking')) playNext();
}

/** "Bonk on tux for bonk/memory-eater at 10:02:03." or "Bonk on tux: manual bonk, 3 strikes at 10:02:03." */
function caption(device, entry, lead = 'Bonk') {
  const what = entry.pod ? ` for ${subject(entry)}` : `: ${subject(entry)}`;
  const strikes = entry.bonks > 1 ? `, ${plural(entry.bonks, 'strike')}` : '';
  return `${lead} on ${device}${what}${strikes} at ${formatTime(new Date(entry.at))}.`;
}

function playNext() {
  const stage = $('stage');
  if (pending === 0) return;
  pending -= 1;
  stage.classList.remove('bonking');
  void stage.getBoundingClientRect(); // restart the CSS animation
  stage.classList.add('bonking');
  // Reduced motion: no animation runs, so no animationend; show the word briefly, then move on.
  if (matchMedia('(prefers-reduced-motion: reduce)').matches) setTimeout(() => finishOne(stage), 600);
}

function onAnimationEnd(event) {
  if (event.animationName !== 'swing') return;
  const stage = $('stage');
  stage.dataset.animations = String(Number(stage.dataset.animations) + 1);
  finishOne(stage);
}

function finishOne(stage) {
  stage.classList.remove('bonking');
  playNext();
}

async function onBonk(event) {
  event.preventDefault();
  const device = $('bonk-device').value || settings.defaultDevice;
  // The settings say a credential is needed: ask first rather than send a request bound to fail with 401.
  if (settings.bonkAuth !== 'none' && !sessionStorage.getItem(TOKEN_KEY)) return askForToken('The edge needs its credential first.');
  const button = $('bonk-button');
  button.disabled = true;
  report(`Bonking ${device}…`);
  try {
    const response = await fetch(`/bonk?device=${encodeURIComponent(device)}&wait=ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization() },
      body: JSON.stringify({ count: 1 }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) return askForToken(`Not allowed: ${body.error ?? 'credential required'}. Enter the edge's token.`);
    // 504: stored, but the device did not answer in time; the edge's message says so.
    if (response.status === 504) return report(`No ack yet: ${body.error}`);
    if (!response.ok) return report(`Bonk failed (${response.status}): ${body.error ?? 'unknown error'}`);
    const ack = body.acks?.[0];
    report(ack ? `Ack from ${device}: ${ack.result} (${plural(ack.bonks, 'bonk')})` : `Sent to ${device}; no ack yet (is it online?)`);
  } catch (error) {
    report(`Bonk failed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function askForToken(text) {
  $('token-form').hidden = false;
  $('token-input').focus();
  report(text);
}

function onToken(event) {
  event.preventDefault();
  // sessionStorage: gone when the tab closes; never in a cookie or localStorage.
  sessionStorage.setItem(TOKEN_KEY, $('token-input').value);
  $('token-input').value = '';
  $('token-form').hidden = true;
  $('bonk-button').focus();
  report('Token kept for this tab. Press Bonk again.');
}

function authorization() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return {};
  return settings.bonkAuth === 'basic' ? { authorization: `Basic ${btoa(token)}` } : { authorization: `Bearer ${token}` };
}

function report(text) {
  $('bonk-result').textContent = text;
}
