// OOM Bonker dashboard: follows `<P>/+/status`, `<P>/+/info` (servo driver) and `<P>/+/ack` over MQTT-over-WebSocket
// (mqtt.js browser bundle) and posts manual bonks to the edge's POST /bonk. Plain browser JavaScript, no build step.
const HISTORY_SIZE = 50;
const TOKEN_KEY = 'oom-bonker-token';
const $ = (id) => document.getElementById(id);

const devices = new Map();
let settings;

main().catch((error) => setConnection('error', `Dashboard failed to start: ${error.message}`));

async function main() {
  settings = await (await fetch('/dashboard/config.json')).json();
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
    client.subscribe([`${prefix}/+/status`, `${prefix}/+/info`, `${prefix}/+/ack`], { qos: 1 }, (error) => {
      if (error) setConnection('error', `Could not subscribe: ${error.message}`);
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
  const json = kind === 'ack' || kind === 'info' ? parseJson(text) : undefined;
  // `auto` that found no servo hardware simulates: say so where the device is shown, nothing moves.
  if (kind === 'info' && typeof json?.servo?.driver === 'string') {
    setDevice(device, { driver: json.servo.fallback ? 'SIMULATED: no servo hardware found' : `${json.servo.driver} servo`, fallback: json.servo.fallback === true });
  }
  if (kind === 'ack') {
    const ack = json;
    if (typeof ack?.id !== 'string' || typeof ack.result !== 'string') return;
    addHistory(device, ack);
    if (ack.result === 'done' && ack.bonks > 0) strike(device, ack);
  }
}

function setConnection(state, text) {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = text;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function setDevice(device, patch) {
  devices.set(device, { status: 'unknown', driver: '', fallback: false, ...devices.get(device), ...patch });
  const list = $('devices');
  list.replaceChildren(
    ...[...devices].sort(([a], [b]) => a.localeCompare(b)).map(([name, { status, driver, fallback }]) => {
      const li = el('li', { 'data-device': name, 'data-status': status });
      const driverEl = el('span', { class: 'driver', 'data-fallback': String(fallback) }, driver);
      li.append(el('span', { class: 'name' }, name), driverEl, el('span', { class: 'status' }, status));
      return li;
    }),
  );
  renderDeviceChoices();
}

function renderDeviceChoices() {
  const select = $('bonk-device');
  const chosen = select.value || settings.defaultDevice;
  const names = new Set([settings.defaultDevice, ...devices.keys()]);
  select.replaceChildren(...[...names].sort().map((name) => el('option', { value: name }, name)));
  select.value = chosen;
}

function addHistory(device, ack) {
  const list = $('history');
  list.querySelector('.empty')?.remove();
  const labels = ack.labels ?? {};
  const what = labels.pod
    ? `${labels.namespace ?? '?'}/${labels.pod}${labels.container ? ` (${labels.container})` : ''}`
    : ack.reason || 'manual bonk';
  const when = new Date(ack.finishedAt ?? Date.now());
  const li = el('li', { 'data-result': ack.result, 'data-device': device, 'data-id': ack.id });
  li.append(
    el('span', { class: 'result' }, ack.result.replace('_', ' ')),
    ' ',
    el('span', { class: 'what' }, what),
    el('span', { class: 'meta' }, `${device} · ${ack.bonks} bonk${ack.bonks === 1 ? '' : 's'} · `, timeEl(when),
      ack.error ? ` · ${ack.error}` : ''),
  );
  list.prepend(li);
  while (list.children.length > HISTORY_SIZE) list.lastElementChild.remove();
}

let pending = 0;
/** Plays the bonk once per strike; the caption is the text alternative and is updated even without animation. */
function strike(device, ack) {
  const stage = $('stage');
  stage.dataset.strikes = String(Number(stage.dataset.strikes) + ack.bonks);
  const pod = ack.labels?.pod ? ` for pod ${ack.labels.pod}` : '';
  $('tux-caption').textContent = `Bonk! ${device} struck Tux ${ack.bonks} time${ack.bonks === 1 ? '' : 's'}${pod} at ${new Date().toLocaleTimeString()}.`;
  pending += ack.bonks;
  if (!stage.classList.contains('bonking')) playNext();
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
    if (response.status === 401) {
      $('token-form').hidden = false;
      $('token-input').focus();
      return report(`Not allowed: ${body.error ?? 'credential required'}. Enter the edge's token.`);
    }
    // 504: stored, but the device did not answer in time; the edge's message says so.
    if (response.status === 504) return report(`No ack yet: ${body.error}`);
    if (!response.ok) return report(`Bonk failed (${response.status}): ${body.error ?? 'unknown error'}`);
    const ack = body.acks?.[0];
    report(ack ? `Ack from ${device}: ${ack.result} (${ack.bonks} bonk${ack.bonks === 1 ? '' : 's'})` : `Sent to ${device}; no ack yet (is it online?)`);
  } catch (error) {
    report(`Bonk failed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
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

function timeEl(date) {
  return el('time', { datetime: date.toISOString() }, date.toLocaleTimeString());
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
