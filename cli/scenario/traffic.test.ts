import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Op } from './history.js';
import { picked, taggedEmail } from './client.js';
import { createAgent, nowMs, runLoad, type LoadPlan } from './traffic.js';

/** What the loopback server saw: one entry per HTTP request. */
interface Seen {
  key?: string;
  email?: string;
  atMs: number;
}

let server: Server;
let gateway: string;
const seen: Seen[] = [];
/** Per test: how the server answers a request (status, delay). */
let answer: (req: IncomingMessage, n: number) => { status: number; delayMs?: number } = () => ({ status: 201 });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const key = req.headers['idempotency-key'] as string | undefined;
      const email = body ? (JSON.parse(body) as { email?: string }).email : undefined;
      seen.push({ key, email, atMs: nowMs() });
      const { status, delayMs } = answer(req, seen.length);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-eventflow-node': 'api-1' });
        res.end(JSON.stringify(status < 300 ? { status: 'CONFIRMED', orderId: `o-${key ?? email}` } : { error: 'UNAVAILABLE' }));
      }, delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function plan(patch: Partial<LoadPlan>): LoadPlan {
  return { stepId: 's', purchases: 0, reads: 0, concurrency: 4, eventId: 1, quantity: 1, readPath: '/events', timeoutMs: 2_000, email: 'b@eventflow.test', client: { keyless: 0, duplicate: 0 }, ...patch };
}

async function run(p: LoadPlan) {
  seen.length = 0;
  const history: Op[] = [];
  const agent = createAgent(128);
  // Warm up (a connection, undici's first-call costs): the schedule under test should not pay for them.
  await (await agent.request({ origin: gateway, path: '/warm-up', method: 'GET' })).body.text();
  seen.length = 0;
  let op = 0;
  let key = 0;
  try {
    const result = await runLoad(p, { gateway, agent, nextOpId: () => ++op, nextKey: () => `run1-${++key}`, record: (o) => history.push(o), now: nowMs });
    return { result, history };
  } finally {
    await agent.close();
  }
}

describe('the load generator at a constant arrival rate', () => {
  it('keeps the schedule when the server keeps up: every arrival sent, none missed, latency from the intended time', async () => {
    answer = () => ({ status: 200 });
    const { result, history } = await run(plan({ reads: 1, rate: 100, durationMs: 1_000, concurrency: 100 }));
    expect(result).toMatchObject({ planned: 100, started: 100, missed: 0, attempts: 100, rate: 100 });
    expect(history).toHaveLength(100);
    for (const o of history) {
      expect(o.intendedMs).toBeDefined();
      expect(o.latencyMs).toBeCloseTo(o.completeMs - o.intendedMs!, 6);
      expect(o.invokeMs).toBeGreaterThanOrEqual(o.intendedMs! - 1);
    }
    // Arrivals 10 ms apart: the sends follow the schedule, not the responses.
    const intended = history.map((o) => o.intendedMs!).sort((a, b) => a - b);
    expect(intended[99]! - intended[0]!).toBeCloseTo(990, 0);
  });

  it('queues a due arrival for a free connection, counts that wait in its latency, and misses one that cannot start within its timeout', async () => {
    answer = () => ({ status: 200, delayMs: 150 });
    const { result, history } = await run(plan({ reads: 1, rate: 100, durationMs: 600, concurrency: 2, timeoutMs: 300 }));
    expect(result.planned).toBe(60);
    expect(result.missed).toBeGreaterThan(30);
    expect(result.started + result.missed).toBe(60);
    expect(history).toHaveLength(result.started);
    expect(result.sendLag!.max).toBeGreaterThan(100);
    expect(result.latency.max).toBeGreaterThanOrEqual(result.latency.p99);
    for (const o of history) {
      const lag = o.invokeMs - o.intendedMs!;
      expect(lag).toBeLessThan(300 + 50);
      // No coordinated omission: the time spent waiting for a connection is part of what the client saw.
      expect(o.latencyMs).toBeGreaterThanOrEqual(lag + 149);
    }
  });
});

describe('clients that behave like real ones', () => {
  it('sends the keyless fraction without an Idempotency-Key, every purchase with its own e-mail tag', async () => {
    answer = () => ({ status: 201 });
    const { history } = await run(plan({ purchases: 10, client: { keyless: 0.3, duplicate: 0 } }));
    expect(seen.filter((s) => s.key === undefined)).toHaveLength(3);
    expect(new Set(seen.map((s) => s.email)).size).toBe(10);
    const keyless = history.filter((o) => o.keyless);
    expect(keyless).toHaveLength(3);
    for (const o of keyless) expect(o.key).toBeUndefined();
    for (const o of history) expect(o.email).toMatch(/^b\+run1-\d+@eventflow\.test$/);
  });

  it('retries a 5xx with the same key, up to the attempts, backing off; each attempt is an op of the same request', async () => {
    answer = () => ({ status: 503 });
    const started = nowMs();
    const { history } = await run(plan({ purchases: 1, client: { keyless: 0, duplicate: 0, retry: { attempts: 3, backoffMs: 40, sameKey: true } } }));
    expect(history.map((o) => o.attempt ?? 1)).toEqual([1, 2, 3]);
    expect(new Set(history.map((o) => o.key))).toEqual(new Set(['run1-1']));
    expect(history.slice(1).every((o) => o.request === history[0]!.id)).toBe(true);
    // 40 ms, then 80 ms.
    expect(nowMs() - started).toBeGreaterThanOrEqual(120);
  });

  it('retries with a new key when sameKey is false, keeps keyless requests keyless, stops at the first answer below 500', async () => {
    answer = (_req, n) => ({ status: n % 2 === 1 ? 502 : 201 });
    const { history } = await run(plan({ purchases: 2, concurrency: 1, client: { keyless: 0.5, duplicate: 0, retry: { attempts: 4, backoffMs: 1, sameKey: false } } }));
    expect(history).toHaveLength(4);
    const [a1, a2, b1, b2] = history;
    expect([a1!.key, a2!.key]).toEqual(['run1-1', 'run1-2']);
    expect(a2!.email).toBe(a1!.email);
    expect([b1!.keyless, b2!.keyless, b1!.key, b2!.key]).toEqual([true, true, undefined, undefined]);
    expect(history.map((o) => o.outcome)).toEqual(['unknown', 'ok', 'unknown', 'ok']);
  });

  it('a double submit sends the same key twice at once', async () => {
    answer = () => ({ status: 201, delayMs: 50 });
    const { history } = await run(plan({ purchases: 2, concurrency: 1, client: { keyless: 0, duplicate: 0.5 } }));
    expect(history).toHaveLength(3);
    const twin = history.find((o) => o.twin)!;
    const first = history.find((o) => o.id === twin.request)!;
    expect(twin.key).toBe(first.key);
    expect(Math.abs(twin.invokeMs - first.invokeMs)).toBeLessThan(20);
  });

  it('spreads a fraction evenly and tags e-mails as subaddresses', () => {
    expect(Array.from({ length: 10 }, (_, i) => picked(i, 0.2)).filter(Boolean)).toHaveLength(2);
    expect(Array.from({ length: 10 }, (_, i) => picked(i, 0))).not.toContain(true);
    expect(Array.from({ length: 10 }, (_, i) => picked(i, 1))).not.toContain(false);
    expect(taggedEmail('x@y.test', 'r-1')).toBe('x+r-1@y.test');
    expect(taggedEmail('', 'r-1')).toBe('scenario+r-1@eventflow.test');
  });
});
