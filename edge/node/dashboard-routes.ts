// Node only: serves the dashboard page (web/) and mqtt.js's browser bundle from disk, plus the page's settings.
// Kept out of app.ts because reading files is not something a Worker can do; the Worker build has no page.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Hono } from 'hono';
import type { EdgeConfig } from '../core/config.ts';

// web/ at the package root: two levels up from edge/node/ in the sources and from dist/cli/ in the bundles.
const WEB_DIR = new URL('../../web/', import.meta.url);
/** mqtt.js ships a browser bundle that sets the global `mqtt`; served from here, the page needs no CDN. */
const MQTT_BROWSER_BUNDLE = createRequire(import.meta.url).resolve('mqtt/dist/mqtt.min');

const JS = 'text/javascript; charset=utf-8';
const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/': { file: new URL('index.html', WEB_DIR), type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.css': { file: new URL('dashboard.css', WEB_DIR), type: 'text/css; charset=utf-8' },
  '/dashboard/favicon.svg': { file: new URL('favicon.svg', WEB_DIR), type: 'image/svg+xml' },
  '/dashboard/mqtt.min.js': { file: MQTT_BROWSER_BUNDLE, type: JS },
  ...Object.fromEntries(
    ['dashboard.js', 'devices.js', 'dom.js', 'history.js'].map((name) => [`/dashboard/${name}`, { file: new URL(name, WEB_DIR), type: JS }]),
  ),
};

/**
 * The page talks only to this edge and to the broker's WebSocket; nothing inline, nothing from elsewhere.
 * `worker-src blob:`: mqtt.js runs its keepalive timer in a Worker it builds from a blob: URL (the worker-timers
 * package), because browsers throttle timers of a background tab to one a minute, late enough for the broker to drop
 * the page for a missed PINGREQ. Only script already running here (script-src 'self') can make such a blob, so this
 * lets nothing new in; turning the worker off (timerVariant 'native') would trade the CSP line for reconnects.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What the page needs to connect: read by dashboard.js from /dashboard/config.json. */
export interface DashboardSettings {
  topicPrefix: string;
  defaultDevice: string;
  /** null: the page uses ws://<its own host>:9001, the bundled broker's default WebSocket port. */
  mqttUrl: string | null;
  username: string | null;
  password: string | null;
  /** Whether the Bonk button must send a credential (the page then asks for the token). */
  bonkAuth: 'bearer' | 'basic' | 'none';
}

export function dashboardSettings(config: EdgeConfig): DashboardSettings {
  return {
    topicPrefix: config.topicPrefix,
    defaultDevice: config.defaultDevice,
    mqttUrl: config.dashboard.mqttUrl ?? null,
    // The viewer credential is read-only (status and acks), so handing it to every browser is acceptable.
    username: config.dashboard.username ?? null,
    password: config.dashboard.password ?? null,
    bonkAuth: config.auth.token ? 'bearer' : config.auth.basic ? 'basic' : 'none',
  };
}

/** Reads every asset once at start-up (a missing file fails the start, not the first visitor) and adds the routes. */
export async function mountDashboard(app: Hono, config: EdgeConfig): Promise<void> {
  const settings = JSON.stringify(dashboardSettings(config));
  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = await readFile(asset.file, 'utf8');
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(asset.type.startsWith('text/html') ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
    };
    app.get(path, (c) => c.body(body, 200, headers));
  }
  app.get('/dashboard/config.json', (c) => c.body(settings, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }));
}
