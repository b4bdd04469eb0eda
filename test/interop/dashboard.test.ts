// The dashboard in Debian's chromium (playwright-core, never a downloaded browser) against the whole chain:
// bundled broker with its WebSocket listener, edge serving the page, device agent with a simulated servo.
import { mkdir } from 'node:fs/promises';
import mqtt from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, silentLogger } from '../../contract/index.ts';
import { loadBrokerConfig } from '../../broker/config.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { startChain, type Chain } from '../helpers/chain.ts';
import { CHROMIUM_ARGS } from '../helpers/chromium.ts';
import { fixtures } from '../fixtures/index.ts';
import { CHROMIUM, requireProgram } from './require-programs.ts';

const TOKEN = 'dashboard-test-token';
const RESULTS = new URL('../../test-results/', import.meta.url);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const topics = createTopics();
/** Retained on the broker before any page opens: what a broken or hostile history must not do to the page. */
const ODD_POD = '<img src=x onerror="document.title=1">';
const ODD_HISTORY = {
  v: 1, total: 2, last: null,
  recent: [null, 5, { id: 7 }, { id: 'far', at: 1e20, result: 'done' }, { id: 'soon', at: '2026', result: 'done' }, {
    // A container name as long as the device lets through (FIELD_MAX_CHARS), with no place to break: it must wrap.
    id: 'odd-1', at: 1_700_000_000_000, result: 'done', bonks: 2, reason: 'r', namespace: 'n', pod: ODD_POD,
    container: `sidecar-${'x'.repeat(111)}`,
  }],
};

/** Everything a page reports as going wrong: console errors, uncaught errors, failed requests, HTTP errors. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => void (message.type() === 'error' && problems.push(`console: ${message.text()}`)));
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`requestfailed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => void (response.status() >= 400 && problems.push(`HTTP ${response.status()}: ${response.url()}`)));
  return problems;
}

describe('dashboard in chromium', () => {
  let broker: RunningBroker;
  let chain: Chain;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startBroker(
      loadBrokerConfig({
        BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: '0', BONKER_BROKER_HTTP_PORT: 'off', BONKER_PERSISTENCE: 'memory',
      }),
      silentLogger,
    );
    const brokerUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
    const admin = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0 });
    await admin.publishAsync(topics.history('ghost'), '{"v":1,"total":', { qos: 1, retain: true });
    await admin.publishAsync(topics.history('odd'), JSON.stringify(ODD_HISTORY), { qos: 1, retain: true });
    await admin.publishAsync(topics.ack('ghost'), 'not an ack', { qos: 1 });
    await admin.endAsync();
    chain = await startChain(brokerUrl, {
      BONKER_EDGE_TOKEN: TOKEN,
      BONKER_EDGE_DASHBOARD_MQTT_URL: `ws://127.0.0.1:${broker.wsPort}`,
    });
    // launch(), not a persistent context: playwright starts chromium on a fresh --user-data-dir of its own and removes
    // it afterwards, and one browser can then hold two isolated contexts (two viewers).
    browser = await chromium.launch({ executablePath: requireProgram(CHROMIUM), headless: true, args: CHROMIUM_ARGS });
    await mkdir(RESULTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await chain?.close();
    await broker?.close();
  });

  it('shows live bonks, keeps them over a reload and for a second viewer, with totals and no console errors', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(chain.edgeUrl);
    await page.locator('#connection[data-state="online"]').waitFor();
    await page.locator('#devices li[data-device="tux"][data-status="online"]').waitFor();
    // The driver in use, from the device's retained info: the chain's servo is the simulated one, asked for by name.
    await page.locator('#devices li[data-device="tux"] .driver[data-fallback="false"]', { hasText: 'simulated servo' }).waitFor();

    const { namespace, pod } = fixtures.firingOne.alerts[0]!.labels;
    expect((await chain.post(fixtures.firingOne)).status).toBe(200);
    await page.locator('#history li[data-result="done"][data-device="tux"]', { hasText: `${namespace}/${pod}` }).waitFor();
    // The page counts the mallet's animationend: the CSS animation really ran in the browser.
    await page.waitForFunction(() => Number(document.getElementById('stage')!.dataset.animations) >= 1);
    expect(await page.locator('#tux-caption').textContent()).toMatch(new RegExp(`^Bonk on tux for ${namespace}/${pod} \\(eater\\) at `));

    await bonkByHand(page);
    await page.waitForFunction(() => Number(document.getElementById('stage')!.dataset.animations) >= 2);
    expect(await page.locator('#tux-caption').textContent()).toMatch(/^Bonk on tux: manual bonk at /);

    const acks = await chain.waitForAcks(2);
    const total = acks.reduce((sum, ack) => sum + (ack.result === 'done' ? ack.bonks : 0), 0);
    expect(total).toBe(2);
    await expectKept(page, acks.map((ack) => ack.id), total);

    // A reload starts from nothing on the page: what it shows now comes from the devices' retained histories.
    await page.reload();
    await expectKept(page, acks.map((ack) => ack.id), total);
    await page.locator('#tux-caption', { hasText: /^Tux is waiting\. Last bonk on tux: manual bonk at / }).waitFor();
    await page.screenshot({ path: new URL('dashboard-1280x800.png', RESULTS).pathname });
    await page.screenshot({ path: new URL('dashboard-1280x800-full.png', RESULTS).pathname, fullPage: true });

    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const second = await phone.newPage();
    const secondProblems = watchProblems(second);
    await second.goto(chain.edgeUrl);
    await expectKept(second, acks.map((ack) => ack.id), total);
    await second.screenshot({ path: new URL('dashboard-390x844.png', RESULTS).pathname });
    await second.screenshot({ path: new URL('dashboard-390x844-full.png', RESULTS).pathname, fullPage: true });
    // Nothing wider than the phone: no sideways scrolling, no label cut off at the edge.
    expect(await second.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);

    expect(problems).toEqual([]);
    expect(secondProblems).toEqual([]);
    await phone.close();
    await context.close();
  });

  it('serves the page with a content security policy and mqtt.js from the edge, not a CDN', async () => {
    const response = await fetch(chain.edgeUrl);
    const policy = response.headers.get('content-security-policy');
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain('worker-src blob:');
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${chain.edgeUrl}/dashboard/mqtt.min.js`)).status).toBe(200);
  });
});

/** Keyboard first: the Bonk button is reachable, the edge asks for its token, then the bonk is acknowledged. */
async function bonkByHand(page: Page): Promise<void> {
  const bonk = page.getByRole('button', { name: 'Bonk', exact: true });
  await bonk.focus();
  await page.keyboard.press('Enter');
  await page.locator('#token-form:not([hidden])').waitFor();
  await page.getByLabel(/token/).fill(TOKEN);
  await page.getByRole('button', { name: 'Use token' }).click();
  expect(await page.locator('#token-form').isHidden()).toBe(true);
  await bonk.click();
  await page.locator('#bonk-result', { hasText: 'Ack from tux: done' }).waitFor();
  await page.locator('#history li[data-result="done"]', { hasText: 'manual bonk' }).waitFor();
}

/**
 * The bonks `ids` of tux are listed and its total is `total`; the retained histories of the other devices are shown
 * as far as they make sense (odd: one good entry, total 2) or not at all (ghost: not JSON), and never as markup.
 */
async function expectKept(page: Page, ids: string[], total: number): Promise<void> {
  await page.locator('#connection[data-state="online"]').waitFor();
  for (const id of ids) await page.locator(`#history li[data-device="tux"][data-id="${id}"]`).waitFor();
  await page.locator(`#devices li[data-device="tux"] dd[data-fact="total"]`, { hasText: String(total) }).waitFor();
  await page.locator(`#total-strikes[data-total="${total + ODD_HISTORY.total}"]`).waitFor();
  expect(await page.locator('#total-strikes').textContent()).toBe(`${total + ODD_HISTORY.total} strikes in total on 2 devices`);
  expect(await page.locator('#history li[data-device="odd"]').allTextContents()).toEqual([expect.stringContaining(ODD_POD)]);
  expect(await page.locator('#history img, #devices img').count()).toBe(0);
  expect(await page.locator('#devices li[data-device="ghost"]').count()).toBe(0);
}
