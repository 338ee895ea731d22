/**
 * The web GUI in headless Chromium against a small in-process fake of the API
 * (same routes and shapes as docs/architecture.md). The real-stack version is
 * test/observability/gui.itest.ts. Screenshots: test-artifacts/gui-fake/.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { artifactDir, chromiumMissing, launchChromium } from '../../test/observability/browser.js';
import { readDashboards } from '../../cli/grafana/dashboards.js';

const webRoot = dirname(fileURLToPath(import.meta.url));

interface FakeOrder {
  orderId: string;
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED';
  eventId: number;
  quantity: number;
  totalCents: number;
}

/** A fake cluster: PostgreSQL can be "down" (purchases → 202 PENDING, confirmed once it is back). */
class FakeApi {
  dbUp = true;
  /** Grafana behind the gateway (the official image set); without it NGINX answers 404 under /grafana/. */
  grafanaUp = false;
  failNextPurchases = 0;
  readonly orders = new Map<string, FakeOrder>();
  readonly byKey = new Map<string, string>();
  readonly purchaseKeys: string[] = [];
  remaining = 100;

  events() {
    return [
      { id: 1, name: 'EventFlow Live', venue: 'Main Hall', startsAt: '2027-05-01T19:00:00Z', unitPriceCents: 4500, capacity: 100, remaining: this.remaining },
      { id: 4, name: 'Tiny Club Night', venue: 'Cellar', startsAt: '2027-06-01T21:00:00Z', unitPriceCents: 1500, capacity: 5, remaining: 5 },
    ];
  }

  nodeHealth(node: string) {
    return {
      node,
      up: true,
      status: this.dbUp ? 'ok' : 'degraded',
      dependencies: {
        postgres: { up: this.dbUp, latencyMs: this.dbUp ? 2 : 1000 },
        redis: { up: true, latencyMs: 1 },
        rabbitmq: { up: true, latencyMs: 1 },
      },
      breaker: this.dbUp ? 'closed' : 'open',
    };
  }

  handle(req: IncomingMessage, res: ServerResponse, body: string): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-eventflow-node': 'api-1', ...headers });
      res.end(JSON.stringify(json));
    };
    if (req.method === 'GET' && url.pathname === '/events') {
      send(200, { events: this.events(), source: this.dbUp ? 'db' : 'cache', stale: !this.dbUp });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/health') {
      const nodes = [this.nodeHealth('api-1'), this.nodeHealth('api-2'), { node: 'api-3', up: false }];
      send(200, { status: this.dbUp ? 'degraded' : 'degraded', node: 'api-1', nodes }); // api-3 is down: always degraded
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/purchase') {
      const key = String(req.headers['idempotency-key'] ?? '');
      this.purchaseKeys.push(key);
      if (this.failNextPurchases > 0) {
        this.failNextPurchases--;
        send(502, { error: 'UNAVAILABLE', message: 'bad gateway' });
        return true;
      }
      const { eventId, quantity, email } = JSON.parse(body) as { eventId: number; quantity: number; email: string };
      if (!/^[A-Za-z0-9_.:-]{8,128}$/.test(key) || !email.includes('@')) {
        send(422, { error: 'VALIDATION', message: 'bad input' });
        return true;
      }
      const known = this.byKey.get(key);
      const order = known
        ? this.orders.get(known)!
        : { orderId: randomUUID(), status: this.dbUp ? ('CONFIRMED' as const) : ('PENDING' as const), eventId, quantity, totalCents: quantity * 4500 };
      this.orders.set(order.orderId, order);
      this.byKey.set(key, order.orderId);
      if (order.status === 'CONFIRMED' && !known) this.remaining -= quantity;
      send(order.status === 'CONFIRMED' ? 201 : 202, {
        status: order.status === 'CONFIRMED' ? 'CONFIRMED' : 'ACCEPTED_ASYNC',
        orderId: order.orderId,
        eventId,
        quantity,
        totalCents: order.totalCents,
        idempotencyKey: key,
      });
      return true;
    }
    const m = /^\/orders\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const o = this.orders.get(m[1]!);
      if (!o) send(404, { error: 'ORDER_NOT_FOUND' });
      else {
        if (o.status === 'PENDING' && this.dbUp) o.status = 'CONFIRMED'; // the notifier drained the queue
        send(200, o);
      }
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/grafana/api/health' && this.grafanaUp) {
      send(200, { database: 'ok', version: '11.2.0' });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/prometheus/api/v1/query_range') {
      send(200, fakePrometheus(url.searchParams));
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/analytics/summary') {
      send(200, { orders: this.orders.size, revenueCents: [...this.orders.values()].reduce((s, o) => s + o.totalCents, 0), stale: !this.dbUp });
      return true;
    }
    return false;
  }
}

/**
 * Prometheus as the gateway proxies it: a PostgreSQL outage from 3 to 1 minutes before `end`,
 * seen by every api node; purchases are accepted asynchronously during it, a backlog builds.
 */
function fakePrometheus(params: URLSearchParams) {
  const query = params.get('query') ?? '';
  const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(params.get(k)));
  const times: number[] = [];
  for (let t = start!; t <= end!; t += step!) times.push(t);
  const down = (t: number) => t >= end! - 180 && t < end! - 60;
  const series = (metric: Record<string, string>, value: (t: number) => number) => ({ metric, values: times.map((t) => [t, String(value(t))]) });
  const nodes = ['api-1', 'api-2', 'api-3'];
  let result: unknown[] = [];
  if (query.includes('eventflow_purchases_total')) {
    result = [
      series({ outcome: 'confirmed' }, (t) => (down(t) ? 0 : 2)),
      series({ outcome: 'accepted_async' }, (t) => (down(t) ? 2 : 0)),
      series({ outcome: 'refused' }, () => 0),
    ];
  } else if (query.includes('eventflow_notifier_queue_messages')) {
    result = [series({ queue: 'purchases' }, (t) => (down(t) ? Math.round((t - (end! - 180)) / 5) : 0)), series({ queue: 'retry' }, () => 0)];
  } else if (query.includes('eventflow_dependency_up')) {
    result = nodes.flatMap((node) => ['postgres', 'redis', 'rabbitmq'].map((dependency) => series({ node, dependency }, (t) => (dependency === 'postgres' && down(t) ? 0 : 1))));
  } else if (query.includes('up{')) {
    result = [...nodes, 'analytics'].map((node) => series({ node, instance: `${node}:3000` }, () => 1));
    // The notifier started 5 minutes ago: scraped down for 30 s while it came up — start-up, not an outage.
    const born = end! - 300;
    result.push({ metric: { node: 'notifier', instance: 'notifier:9464' }, values: times.filter((t) => t >= born).map((t) => [t, t < born + 30 ? '0' : '1']) });
  }
  return { status: 'success', data: { resultType: 'matrix', result } };
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

let server: Server;
let base: string;
let browser: Browser;
let api: FakeApi;
const shots = artifactDir('gui-fake');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (api.handle(req, res, body)) return;
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = normalize(join(webRoot, path === '/' ? 'index.html' : path));
      if (!file.startsWith(webRoot) || !TYPES[extname(file)]) {
        res.writeHead(404).end();
        return;
      }
      try {
        const content = readFileSync(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)]! }).end(content);
      } catch {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!chromiumMissing()) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

beforeEach(() => {
  api = new FakeApi();
});

async function open(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  (page as Page & { jsErrors: string[] }).jsErrors = errors;
  await page.goto(base, { waitUntil: 'domcontentloaded' });
  return page;
}

it('has Chromium for the GUI tests', () => {
  const missing = chromiumMissing();
  expect(missing, missing).toBeUndefined();
});

describe('web GUI (headless Chromium, fake API)', () => {
  // Never skipped: a missing tool fails with the command that installs it (scripts/provision.sh).
  beforeAll(() => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
  });


  it('lists events, shows node health, buys → CONFIRMED, PostgreSQL down → banner + PENDING → CONFIRMED', async () => {
    const page = await open();
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('health-node').count(), { timeout: 10_000 }).toBe(3);
    expect(await page.locator('[data-testid=health-node][data-node=api-1] [data-testid=dep-postgres]').textContent()).toBe('up');
    expect(await page.locator('[data-testid=health-node][data-node=api-3] [data-testid=node-up]').textContent()).toBe('down');

    // buy while healthy
    await page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=qty-input]').fill('2');
    await page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=buy-button]').click();
    const first = page.getByTestId('order').first();
    await expect.poll(() => first.getByTestId('order-status').textContent(), { timeout: 10_000 }).toBe('CONFIRMED');
    expect(await first.textContent()).toContain('2 × EventFlow Live');
    await page.screenshot({ path: join(shots, '1-confirmed.png'), fullPage: true });

    // PostgreSQL goes down
    api.dbUp = false;
    const banner = page.getByTestId('degraded-banner');
    await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toContain('PostgreSQL is unreachable');
    await page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=buy-button]').click();
    await expect.poll(() => page.getByTestId('order').count(), { timeout: 10_000 }).toBe(2);
    const pending = page.getByTestId('order').first();
    expect(await pending.getByTestId('order-status').textContent()).toBe('PENDING');
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toContain('PENDING');
    await expect.poll(() => page.getByTestId('events-source').textContent(), { timeout: 10_000 }).toContain('stale');
    await page.screenshot({ path: join(shots, '2-degraded-pending.png'), fullPage: true });

    // PostgreSQL is back: the order turns CONFIRMED by itself
    api.dbUp = true;
    await expect.poll(() => pending.getByTestId('order-status').textContent(), { timeout: 10_000 }).toBe('CONFIRMED');
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).not.toContain('PENDING');
    await page.screenshot({ path: join(shots, '3-recovered.png'), fullPage: true });
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('retries a purchase the gateway failed with the same Idempotency-Key and creates one order', async () => {
    const page = await open();
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 10_000 }).toBe(2);
    api.failNextPurchases = 2;
    await page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=buy-button]').click();
    await expect.poll(() => page.getByTestId('order-status').first().textContent(), { timeout: 15_000 }).toBe('CONFIRMED');
    expect(api.purchaseKeys).toHaveLength(3);
    expect(new Set(api.purchaseKeys).size).toBe(1);
    expect(api.purchaseKeys[0]).toMatch(/^[A-Za-z0-9_.:-]{8,128}$/);
    expect(api.orders.size).toBe(1);
    await page.close();
  }, 60_000);

  // The events table once ran past its card at 1400 × 1200: the buy column was cut off.
  it.each([
    { width: 1400, height: 1200 },
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ])('shows every buy button inside the viewport at $width × $height, without horizontal scrolling', async (viewport) => {
    const page = await open(viewport);
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 10_000 }).toBe(2);
    const boxes = await page.getByTestId('buy-button').evaluateAll((buttons) =>
      buttons.map((b) => {
        const r = b.getBoundingClientRect();
        const card = b.closest('.card')!.getBoundingClientRect();
        return { left: r.left, right: r.right, width: r.width, cardRight: card.right };
      }),
    );
    for (const b of boxes) {
      expect(b.width).toBeGreaterThan(20);
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.right).toBeLessThanOrEqual(viewport.width);
      expect(b.right).toBeLessThanOrEqual(b.cardRight);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    await page.screenshot({ path: join(shots, `layout-${viewport.width}x${viewport.height}.png`), fullPage: true });
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('live panel: shades the PostgreSQL outage Prometheus reports and shows the asynchronous purchases and the backlog', async () => {
    const page = await open();
    await expect.poll(() => page.getByTestId('fault-window').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('fault-window').getAttribute('data-what')).toBe('postgres');
    expect(await page.getByTestId('fault-window').textContent()).toMatch(/PostgreSQL down .*\(12\d s\)/);
    // one shade per chart (purchases, queue, strips)
    expect(await page.getByTestId('fault-shade').count()).toBe(3);
    expect(Number(await page.getByTestId('legend-accepted_async').getAttribute('data-max'))).toBe(2);
    expect(Number(await page.getByTestId('legend-confirmed').getAttribute('data-now'))).toBe(2);
    expect(Number(await page.getByTestId('legend-purchases').getAttribute('data-max'))).toBeGreaterThan(10);
    const pg = page.locator('[data-testid=strip][data-node=api-2][data-dependency=postgres]');
    expect(Number(await pg.getAttribute('data-down-samples'))).toBe(24);
    expect(await pg.getAttribute('data-now')).toBe('up');
    expect(await page.locator('[data-testid=strip][data-dependency=node]').count()).toBe(5);
    expect(await page.locator('[data-testid=strip][data-node=notifier][data-dependency=node]').getAttribute('data-down-samples')).toBe('0');
    expect(await page.getByTestId('live-panel').getAttribute('data-down-now')).toBe('');
    expect(await page.getByTestId('grafana-links').isHidden()).toBe(true);
    await page.screenshot({ path: join(shots, 'live-panel.png'), fullPage: true });
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('with Grafana reachable under /grafana/: links to every dashboard of dashboards/json, and each outage window in Grafana', async () => {
    api.grafanaUp = true;
    const page = await open();
    await expect.poll(() => page.getByTestId('grafana-links').isVisible(), { timeout: 15_000 }).toBe(true);
    const links = await page.getByTestId('grafana-links').locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(readDashboards().map((d) => `/grafana/d/${d.uid}?orgId=1&from=now-15m&to=now&refresh=5s`));
    await expect.poll(() => page.getByTestId('fault-window').count(), { timeout: 15_000 }).toBe(1);
    const windowLink = await page.getByTestId('fault-window').locator('a').getAttribute('href');
    const m = /^\/grafana\/d\/([^?]+)\?orgId=1&from=(\d+)&to=(\d+)$/.exec(windowLink ?? '');
    expect(m?.[1]).toBe(readDashboards()[0]!.uid);
    expect(Number(m![3]) - Number(m![2])).toBeGreaterThan(120_000); // the 2-minute outage plus a minute each side
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('says what is wrong with bad input instead of sending it', async () => {
    const page = await open();
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 10_000 }).toBe(2);
    await page.getByTestId('email-input').fill('not-an-email');
    await page.locator('[data-testid=event-row][data-event-id="1"] [data-testid=buy-button]').click();
    await expect.poll(() => page.getByTestId('purchase-message').textContent(), { timeout: 5_000 }).toContain('valid e-mail');
    expect(api.purchaseKeys).toHaveLength(0);
    await page.close();
  }, 60_000);
});
