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
    if (req.method === 'GET' && url.pathname === '/analytics/summary') {
      send(200, { orders: this.orders.size, revenueCents: [...this.orders.values()].reduce((s, o) => s + o.totalCents, 0), stale: !this.dbUp });
      return true;
    }
    return false;
  }
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

async function open(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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
