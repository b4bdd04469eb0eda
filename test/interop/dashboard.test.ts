// The dashboard in Debian's chromium (playwright-core, never a downloaded browser) against the whole chain:
// bundled broker with its WebSocket listener, edge serving the page, device agent with a simulated servo.
import { mkdir } from 'node:fs/promises';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../contract/index.ts';
import { loadBrokerConfig } from '../../broker/config.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { startChain, type Chain } from '../helpers/chain.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { fixtures } from '../fixtures/index.ts';
import { CHROMIUM, requireProgram } from './require-programs.ts';

const TOKEN = 'dashboard-test-token';
const SCREENSHOT = new URL('../../test-results/dashboard.png', import.meta.url);
/** FACTS/brief: headless, no sandbox (CI runs as root), and nothing that phones home. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

describe('dashboard in chromium', () => {
  let broker: RunningBroker;
  let chain: Chain;
  let profile: { path: string; remove(): Promise<void> };
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    broker = await startBroker(
      loadBrokerConfig({
        BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: '0', BONKER_BROKER_HTTP_PORT: 'off', BONKER_PERSISTENCE: 'memory',
      }),
      silentLogger,
    );
    chain = await startChain(`mqtt://127.0.0.1:${broker.mqttPort}`, {
      BONKER_EDGE_TOKEN: TOKEN,
      BONKER_EDGE_DASHBOARD_MQTT_URL: `ws://127.0.0.1:${broker.wsPort}`,
    });
    profile = await makeTempDir('bonker-chromium-');
    // A persistent context on a fresh directory is how playwright takes --user-data-dir.
    context = await chromium.launchPersistentContext(profile.path, {
      executablePath: requireProgram(CHROMIUM),
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 390, height: 844 }, // a phone
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await context?.close();
    await chain?.close();
    await broker?.close();
    await profile?.remove();
  });

  it('shows the device online, the alert bonk with its pod and the animation, then a manual bonk and its ack', async () => {
    await page.goto(chain.edgeUrl);
    await page.locator('#connection[data-state="online"]').waitFor();
    await page.locator('#devices li[data-device="tux"][data-status="online"]').waitFor();
    // The driver in use, from the device's retained info: the chain's servo is the simulated one, asked for by name.
    await page.locator('#devices li[data-device="tux"] .driver[data-fallback="false"]', { hasText: 'simulated servo' }).waitFor();

    const pod = fixtures.firingOne.alerts[0]!.labels.pod!;
    const posted = await chain.post(fixtures.firingOne);
    expect(posted.status).toBe(200);
    const row = page.locator('#history li[data-result="done"]', { hasText: pod });
    await row.waitFor();
    expect(await row.textContent()).toContain(fixtures.firingOne.alerts[0]!.labels.namespace);
    // The page counts the mallet's animationend: the CSS animation really ran in the browser.
    await page.waitForFunction(() => Number(document.getElementById('stage')!.dataset.animations) >= 1);
    await expect(page.locator('#tux-caption').textContent()).resolves.toContain(`pod ${pod}`);

    // Keyboard first: the Bonk button is reachable and the edge asks for its token.
    const bonk = page.getByRole('button', { name: 'Bonk', exact: true });
    await bonk.focus();
    await page.keyboard.press('Enter');
    await page.locator('#token-form:not([hidden])').waitFor();
    await page.getByLabel(/token/).fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    const acksBefore = chain.acks.length;
    await bonk.click();
    await page.locator('#bonk-result', { hasText: 'Ack from tux: done' }).waitFor();
    expect(chain.acks.slice(acksBefore)).toMatchObject([{ result: 'done', reason: 'manual bonk' }]);
    await page.locator('#history li[data-result="done"]', { hasText: 'manual bonk' }).waitFor();
    await page.waitForFunction(() => Number(document.getElementById('stage')!.dataset.animations) >= 2);

    await mkdir(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('serves the page with a content security policy and mqtt.js from the edge, not a CDN', async () => {
    const response = await fetch(chain.edgeUrl);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${chain.edgeUrl}/dashboard/mqtt.min.js`)).status).toBe(200);
  });
});
