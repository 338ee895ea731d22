/**
 * The web GUI on the live stack, in headless Chromium (Debian's binary):
 * buy a ticket → CONFIRMED; the buy buttons fit the viewport at 1280 × 800 and
 * on a phone (390 × 844); kill PostgreSQL (the stack's fault handle) → the
 * degraded banner, a purchase PENDING, and the live panel — Prometheus through
 * the gateway — shows PostgreSQL down on every api node, the asynchronous
 * purchases and the outage window while it happens; PostgreSQL back → the
 * order turns CONFIRMED. Screenshots: test-artifacts/gui/, and the documentation's
 * (docs/screenshots/) when EVENTFLOW_SCREENSHOTS names a folder (`npm run screenshots`).
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackEndpoints, StackHandle } from '../../cli/stack/types.js';
import { artifactDir, launchChromium } from './browser.js';
import { acquireStack, drive, purchase, releaseStack, until } from './live-stack.js';

let stack: StackHandle;
let ep: StackEndpoints;
let startedHere = false;
let browser: Browser;
let page: Page;
let postgresDown = false;
const shots = artifactDir('gui');
const docShots = process.env.EVENTFLOW_SCREENSHOTS;
const jsErrors: string[] = [];

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

beforeAll(async () => {
  ({ stack, endpoints: ep, startedHere } = await acquireStack());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: DESKTOP, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => jsErrors.push(String(e)));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (postgresDown) await stack.faults.start('postgres').catch(() => {});
  await releaseStack(startedHere);
}, 120_000);

const shot = (name: string) => page.screenshot({ path: join(shots, name), fullPage: true });
/** A documentation screenshot (only when asked for: they are committed). */
const docShot = async (name: string) => {
  if (docShots) await page.screenshot({ path: join(docShots, name), fullPage: true });
};
const buyButton = () => page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=buy-button]');

/** Every buy button lies inside the viewport's width and its card; the page does not scroll sideways. */
async function expectBuyButtonsVisible(width: number): Promise<void> {
  const boxes = await page.getByTestId('buy-button').evaluateAll((buttons) =>
    buttons.map((b) => {
      const r = b.getBoundingClientRect();
      return { left: r.left, right: r.right, width: r.width, cardRight: b.closest('.card')!.getBoundingClientRect().right };
    }),
  );
  expect(boxes.length).toBeGreaterThanOrEqual(4);
  for (const b of boxes) {
    expect(b.width).toBeGreaterThan(20);
    expect(b.left).toBeGreaterThanOrEqual(0);
    expect(b.right).toBeLessThanOrEqual(Math.min(width, b.cardRight));
  }
  // Polled: after a resize the live charts redraw for the new width.
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth), { timeout: 5000 }).toBeLessThanOrEqual(width);
}

describe('web GUI on the live stack (headless Chromium)', () => {
  it('lists events and shows the health of every api node', async () => {
    await page.goto(ep.gateway, { waitUntil: 'domcontentloaded' });
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
    const apiNodes = stack.servicesInGroup('api');
    await expect
      .poll(async () => (await page.getByTestId('health-node').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.node))).sort(), { timeout: 30_000 })
      .toEqual([...apiNodes].sort());
    // Polled: on a loaded machine a health probe can time out for a moment.
    for (const n of apiNodes) {
      const row = page.locator(`[data-testid=health-node][data-node="${n}"]`);
      await expect.poll(() => row.getByTestId('node-up').textContent(), { timeout: 60_000 }).toBe('up');
      await expect.poll(() => row.getByTestId('dep-postgres').textContent(), { timeout: 60_000 }).toBe('up');
    }
    await expect.poll(() => page.getByTestId('cluster-status').textContent(), { timeout: 60_000 }).toBe('ok');
    await expect.poll(() => page.getByTestId('degraded-banner').isVisible(), { timeout: 60_000 }).toBe(false);
    // The live panel reads Prometheus through the gateway: every api node reports PostgreSQL up.
    for (const n of apiNodes) {
      await expect.poll(() => page.locator(`[data-testid=strip][data-node="${n}"][data-dependency=postgres]`).getAttribute('data-now'), { timeout: 60_000 }).toBe('up');
    }
    await shot('1-healthy.png');
  }, 180_000);

  it('buys a ticket → CONFIRMED', async () => {
    await buyButton().click();
    const order = page.getByTestId('order').first();
    await expect.poll(() => order.getByTestId('order-status').textContent(), { timeout: 30_000 }).toBe('CONFIRMED');
    await shot('2-confirmed.png');
  }, 60_000);

  it('shows every buy button inside the viewport at 1280 × 800 and 390 × 844', async () => {
    for (const viewport of [PHONE, DESKTOP]) {
      await page.setViewportSize(viewport);
      await expectBuyButtonsVisible(viewport.width);
    }
  }, 60_000);

  it('PostgreSQL killed → degraded banner, a PENDING purchase, and the live panel shows the outage while it happens; back → CONFIRMED', async () => {
    // For the documentation's pictures: some ordinary traffic first, so the charts have a "before".
    if (docShots) await drive(ep.gateway, 30_000, 2);
    await stack.faults.kill('postgres');
    postgresDown = true;
    const banner = page.getByTestId('degraded-banner');
    await expect.poll(() => banner.textContent(), { timeout: 60_000 }).toContain('PostgreSQL is unreachable');
    await expect.poll(() => page.getByTestId('cluster-status').textContent(), { timeout: 30_000 }).toBe('degraded');

    const before = await page.getByTestId('order').count();
    await buyButton().click();
    await expect.poll(() => page.getByTestId('order').count(), { timeout: 60_000 }).toBe(before + 1);
    const pending = page.getByTestId('order').first();
    expect(await pending.getByTestId('order-status').textContent()).toBe('PENDING');
    expect(await pending.textContent()).toContain('accepted asynchronously');
    const orderId = await pending.getAttribute('data-order-id');

    // A few more purchases while the database is down: each one 202 ACCEPTED_ASYNC.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await purchase(ep.gateway)).status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(6);

    // The live panel, from Prometheus: PostgreSQL down as seen by every api node now, an open outage
    // window naming it, asynchronous purchases on the chart, the backlog in the queue.
    const live = page.getByTestId('live-panel');
    await expect.poll(async () => (await live.getAttribute('data-down-now'))?.split(',') ?? [], { timeout: 90_000, interval: 1000 }).toContain('postgres');
    for (const n of stack.servicesInGroup('api')) {
      await expect.poll(() => page.locator(`[data-testid=strip][data-node="${n}"][data-dependency=postgres]`).getAttribute('data-now'), { timeout: 60_000 }).toBe('down');
    }
    const outage = page.locator('[data-testid=fault-window][data-what*=postgres]');
    await expect.poll(() => outage.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    expect(await outage.last().textContent()).toMatch(/PostgreSQL.* down .*– now/);
    await expect.poll(async () => Number(await page.getByTestId('legend-accepted_async').getAttribute('data-max')), { timeout: 60_000, interval: 1000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number(await page.getByTestId('legend-purchases').getAttribute('data-max')), { timeout: 60_000, interval: 1000 }).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=chart-purchases] [data-testid=fault-shade]').count()).toBeGreaterThanOrEqual(1);
    await shot('3-outage-live.png');
    if (docShots) {
      // …and an outage long enough to read on them (purchases keep coming: 202 each).
      await drive(ep.gateway, 25_000, 2);
      const updated = await page.getByTestId('live-status').textContent();
      await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 30_000 }).not.toBe(updated);
    }
    await docShot('gui-db-outage-1280x800.png');
    await page.setViewportSize(PHONE);
    await expectBuyButtonsVisible(PHONE.width);
    await expect.poll(() => page.locator('[data-testid=chart-purchases] [data-testid=fault-shade]').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await shot('4-outage-phone.png');
    await docShot('gui-db-outage-390x844.png');
    await page.setViewportSize(DESKTOP);

    // The order stays PENDING while PostgreSQL is down.
    expect(await page.locator(`[data-testid=order][data-order-id="${orderId}"] [data-testid=order-status]`).textContent()).toBe('PENDING');

    await stack.faults.start('postgres');
    postgresDown = false;
    await expect
      .poll(() => page.locator(`[data-testid=order][data-order-id="${orderId}"] [data-testid=order-status]`).textContent(), { timeout: 120_000, interval: 1000 })
      .toBe('CONFIRMED');
    await expect.poll(() => banner.textContent(), { timeout: 60_000 }).not.toContain('PENDING');
    // Node health recovers: PostgreSQL up again on every node, and the outage window closes.
    await until(
      'every node to see PostgreSQL again',
      async () => (await page.getByTestId('dep-postgres').allTextContents()).every((t) => t === 'up'),
      60_000,
    );
    await expect.poll(async () => (await live.getAttribute('data-down-now')) ?? 'x', { timeout: 60_000, interval: 1000 }).toBe('');
    await shot('5-recovered.png');
    expect(jsErrors).toEqual([]);
  }, 400_000);
});
