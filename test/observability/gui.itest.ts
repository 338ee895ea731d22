/**
 * The web GUI on the live stack, in headless Chromium (Debian's binary):
 * buy a ticket → CONFIRMED; stop PostgreSQL → the degraded banner appears and
 * a purchase shows PENDING, which turns CONFIRMED after PostgreSQL returns;
 * every api node's health is shown. Screenshots: test-artifacts/gui/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackEndpoints, StackHandle } from '../../cli/stack/types.js';
import { artifactDir, launchChromium } from './browser.js';
import { acquireStack, releaseStack, until } from './live-stack.js';

let stack: StackHandle;
let ep: StackEndpoints;
let startedHere = false;
let browser: Browser;
let page: Page;
let postgresStopped = false;
const shots = artifactDir('gui');
const jsErrors: string[] = [];

beforeAll(async () => {
  ({ stack, endpoints: ep, startedHere } = await acquireStack());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => jsErrors.push(String(e)));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (postgresStopped) await stack.faults.start('postgres').catch(() => {});
  await releaseStack(startedHere);
}, 120_000);

const shot = (name: string) => page.screenshot({ path: join(shots, name), fullPage: true });
const buyButton = () => page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=buy-button]');

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
    await shot('1-healthy.png');
  }, 120_000);

  it('buys a ticket → CONFIRMED', async () => {
    await buyButton().click();
    const order = page.getByTestId('order').first();
    await expect.poll(() => order.getByTestId('order-status').textContent(), { timeout: 30_000 }).toBe('CONFIRMED');
    await shot('2-confirmed.png');
  }, 60_000);

  it('PostgreSQL stopped → degraded banner; a purchase is PENDING, then CONFIRMED after PostgreSQL returns', async () => {
    await stack.faults.stop('postgres');
    postgresStopped = true;
    const banner = page.getByTestId('degraded-banner');
    await expect.poll(() => banner.isVisible(), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => banner.textContent(), { timeout: 60_000 }).toContain('PostgreSQL is unreachable');
    await expect.poll(() => page.getByTestId('cluster-status').textContent(), { timeout: 30_000 }).toBe('degraded');
    await shot('3-degraded.png');

    const before = await page.getByTestId('order').count();
    await buyButton().click();
    await expect.poll(() => page.getByTestId('order').count(), { timeout: 60_000 }).toBe(before + 1);
    const pending = page.getByTestId('order').first();
    expect(await pending.getByTestId('order-status').textContent()).toBe('PENDING');
    expect(await pending.textContent()).toContain('accepted asynchronously');
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toContain('PENDING');
    const orderId = await pending.getAttribute('data-order-id');
    await shot('4-pending.png');

    // The order stays PENDING while PostgreSQL is down.
    await page.waitForTimeout(3000);
    expect(await page.locator(`[data-testid=order][data-order-id="${orderId}"] [data-testid=order-status]`).textContent()).toBe('PENDING');

    await stack.faults.start('postgres');
    postgresStopped = false;
    await expect
      .poll(() => page.locator(`[data-testid=order][data-order-id="${orderId}"] [data-testid=order-status]`).textContent(), { timeout: 120_000, interval: 1000 })
      .toBe('CONFIRMED');
    await expect.poll(() => banner.textContent(), { timeout: 60_000 }).not.toContain('PENDING');
    // Node health recovers: PostgreSQL up again on every node.
    await until(
      'every node to see PostgreSQL again',
      async () => (await page.getByTestId('dep-postgres').allTextContents()).every((t) => t === 'up'),
      60_000,
    );
    await shot('5-recovered.png');
    expect(jsErrors).toEqual([]);
  }, 300_000);
});
