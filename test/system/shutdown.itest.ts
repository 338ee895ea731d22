/**
 * Graceful shutdown of the real compiled entry point (`node dist/system/main.js <role>`)
 * against real containers:
 *  - api: requests in flight when SIGTERM arrives complete with their normal status
 *    (no reset), new connections are refused afterwards, the process exits 0 within a
 *    bound and logs that it shut down;
 *  - notifier: exits 0 in the middle of a backlog and loses nothing (every message is
 *    either persisted+acked or back in the queue, and a new notifier drains the rest).
 *
 * The compiled `dist/` is rebuilt when it is older than the sources (`npm run build`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_QUEUE, encodeMessage, QUEUE, RETRY_QUEUE } from '../../system/shared/message.js';
import { startInfra, type Infra } from '../support/infra.js';
import { amqpChannel, sleep, sql, until } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/system/main.js');
/** the entry point gives up (exit 1) after 10 s; a clean drain must be well inside that */
const EXIT_BOUND_MS = 8000;

let infra: Infra;
const children: Service[] = [];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    /* not built yet */
  }
  if (built >= newestMtime(join(ROOT, 'system'))) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

interface Service {
  proc: ChildProcess;
  port: number;
  /** parsed JSON log lines (stdout) */
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  hasLog(msg: string | RegExp): boolean;
}

async function spawnService(role: 'api' | 'notifier', nodeId: string): Promise<Service> {
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN, role], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: infra.databaseUrl,
      REDIS_URL: infra.redisUrl,
      AMQP_URL: infra.amqpUrl,
      NODE_ID: nodeId,
      PORT: String(port),
      PEERS: `127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      DB_QUERY_TIMEOUT_MS: '1000',
      BREAKER_RESET_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let buffered = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    proc.on('exit', (code, signal) => done({ code, signal, at: Date.now() })),
  );
  const svc: Service = {
    proc,
    port,
    logs,
    stderr,
    exited,
    hasLog: (msg) => logs.some((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))),
  };
  children.push(svc);
  return svc;
}

function describeService(svc: Service): string {
  return `logs:\n${svc.logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${svc.stderr.join('')}`;
}

async function waitForLog(svc: Service, msg: string, timeoutMs = 60_000): Promise<void> {
  await Promise.race([
    until(`log line "${msg}"`, async () => svc.hasLog(msg), timeoutMs, 50),
    svc.exited.then((e) => {
      throw new Error(`process exited early (${String(e.code ?? e.signal)})\n${describeService(svc)}`);
    }),
  ]);
}

/** Raw HTTP request whose body can be held back: the request is in flight on the server. */
function heldRequest(port: number, path: string, body: string, headers: Record<string, string> = {}, agent: http.Agent | false = false) {
  const data = Buffer.from(body);
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers },
  });
  const response = new Promise<{ status: number; body: string }>((done, fail) => {
    req.on('error', fail);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      res.on('error', fail);
    });
  });
  response.catch(() => undefined); // observed by the test
  const split = Math.floor(data.length / 2);
  req.write(data.subarray(0, split)); // headers + half of the body
  return { response, finish: () => req.end(data.subarray(split)) };
}

function connectionRefused(port: number): Promise<string> {
  return new Promise((done) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health/node', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      done(`answered ${res.statusCode ?? 0}`);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

beforeAll(async () => {
  ensureBuilt();
  infra = await startInfra({ label: 'shutdown-itest' });
});

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await infra?.close();
});

describe('api: SIGTERM drains in-flight requests', () => {
  it('completes in-flight purchases, refuses new connections, exits 0 and says so', async () => {
    const api = await spawnService('api', 'api-shutdown');
    await waitForLog(api, 'listening');
    const base = `http://127.0.0.1:${api.port}`;
    // ready for business: schema migrated, PostgreSQL reachable (a purchase is confirmed synchronously)
    await until('api healthy', async () => {
      const r = await fetch(`${base}/health/node`);
      const h = (await r.json()) as { status?: string };
      return h.status === 'ok';
    }, 60_000, 200);
    // health says nothing about the migrations (they run in the background): wait for the seeded event itself
    await until('event 1 seeded', async () => (await fetch(`${base}/events/1`)).status === 200, 60_000, 200);
    const warm = await fetch(`${base}/purchase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventId: 1, quantity: 1, email: 'warm@example.com' }),
    });
    expect(warm.status).toBe(201);
    // `warm` leaves an idle keep-alive connection open: it must not hold the shutdown up

    const keys = Array.from({ length: 6 }, (_, i) => `shutdown-${i}-${randomUUID()}`);
    // half of them on keep-alive connections: once answered, those connections must not hold the shutdown up either
    const keepAlive = new http.Agent({ keepAlive: true });
    const held = keys.map((key, i) =>
      heldRequest(
        api.port,
        '/purchase',
        JSON.stringify({ eventId: 1, quantity: 1 + (i % 3), email: `inflight${i}@example.com` }),
        { 'idempotency-key': key },
        i % 2 === 0 ? keepAlive : false,
      ),
    );
    await sleep(300); // the server has the headers of every request: they are in flight

    const signalledAt = Date.now();
    api.proc.kill('SIGTERM');
    await waitForLog(api, 'shutting down: draining in-flight requests', 5000);
    // the listening socket is closed while the requests are still waiting for their bodies
    await until('new connections refused', async () => (await connectionRefused(api.port)) === 'ECONNREFUSED', 3000, 50);
    expect(api.proc.exitCode).toBeNull(); // still draining

    for (const h of held) h.finish();
    const answers = await Promise.all(held.map((h) => h.response));
    for (const [i, a] of answers.entries()) {
      expect(a.status, a.body).toBe(201);
      expect(JSON.parse(a.body)).toMatchObject({ status: 'CONFIRMED', idempotencyKey: keys[i] });
    }

    const exit = await Promise.race([api.exited, sleep(EXIT_BOUND_MS).then(() => undefined)]);
    expect(exit, `api did not exit within ${EXIT_BOUND_MS} ms\n${describeService(api)}`).toBeDefined();
    expect(exit!.code, describeService(api)).toBe(0);
    expect(exit!.at - signalledAt).toBeLessThan(EXIT_BOUND_MS);
    expect(api.hasLog('shut down cleanly'), describeService(api)).toBe(true);
    expect(await connectionRefused(api.port)).toBe('ECONNREFUSED');
    keepAlive.destroy();

    // every answered order is really in PostgreSQL
    const rows = await sql<{ idempotency_key: string; status: string }>(
      infra,
      'SELECT idempotency_key, status FROM orders WHERE idempotency_key = ANY($1)',
      [keys],
    );
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual([...keys].sort());
    expect(rows.every((r) => r.status === 'CONFIRMED')).toBe(true);
  });
});

describe('notifier: SIGTERM in the middle of a backlog', () => {
  it('exits 0 and loses no message (persisted+acked, or back in the queue)', async () => {
    const notifier = await spawnService('notifier', 'notifier-shutdown');
    await waitForLog(notifier, 'consuming');

    const total = 1500;
    const orderIds: string[] = [];
    const { conn, ch } = await amqpChannel(infra);
    try {
      for (let i = 0; i < total; i++) {
        const orderId = randomUUID();
        orderIds.push(orderId);
        const body = encodeMessage({
          v: 1,
          orderId,
          idempotencyKey: `notifier-shutdown-${orderId}`,
          eventId: 1,
          quantity: 1,
          buyerEmail: `buyer${i}@example.com`,
          totalCents: 5050,
          nodeId: 'api-test',
          acceptedAt: new Date().toISOString(),
        });
        ch.sendToQueue(QUEUE, body, { persistent: true, contentType: 'application/json', messageId: orderId });
      }
      const persistedCount = async (): Promise<number> =>
        Number((await sql<{ n: string }>(infra, 'SELECT count(*) AS n FROM orders WHERE id = ANY($1::uuid[])', [orderIds]))[0]?.n ?? 0);

      await until('notifier is working through the backlog', async () => (await persistedCount()) >= 30, 30_000, 20);
      const signalledAt = Date.now();
      notifier.proc.kill('SIGTERM');
      const exit = await Promise.race([notifier.exited, sleep(EXIT_BOUND_MS).then(() => undefined)]);
      expect(exit, `notifier did not exit within ${EXIT_BOUND_MS} ms\n${describeService(notifier)}`).toBeDefined();
      expect(exit!.code, describeService(notifier)).toBe(0);
      expect(exit!.at - signalledAt).toBeLessThan(EXIT_BOUND_MS);
      expect(notifier.hasLog('shut down cleanly'), describeService(notifier)).toBe(true);

      // nothing lost: what was not persisted is back in the queue (unacked deliveries are requeued
      // when the connection closes); nothing was retried or dead-lettered
      const persisted = await persistedCount();
      const queued = await until('queue counts settle', async () => {
        const q = await ch.checkQueue(QUEUE);
        return persisted + q.messageCount >= total ? q.messageCount : undefined;
      }, 10_000, 100).catch(async () => (await ch.checkQueue(QUEUE)).messageCount);
      expect(persisted, 'the signal should arrive in the middle of the backlog').toBeLessThan(total);
      expect(persisted + queued).toBeGreaterThanOrEqual(total);
      expect((await ch.checkQueue(RETRY_QUEUE)).messageCount).toBe(0);
      expect((await ch.checkQueue(DEAD_QUEUE)).messageCount).toBe(0);

      // a new notifier drains the rest: every order exactly once
      const next = await spawnService('notifier', 'notifier-shutdown-2');
      await waitForLog(next, 'consuming');
      await until('backlog drained by the next notifier', async () => (await persistedCount()) === total, 60_000, 200);
      // exactly once: every queued order is a row under its own key (none missing, none under another id), and
      // the stock taken equals the tickets of the confirmed orders (a delivery persisted twice would take it twice)
      const rows = await sql<{ id: string; idempotency_key: string }>(
        infra,
        "SELECT id, idempotency_key FROM orders WHERE idempotency_key LIKE 'notifier-shutdown-%'",
      );
      const persistedIds = new Set(rows.map((r) => r.id));
      expect(orderIds.filter((id) => !persistedIds.has(id)), 'queued orders missing from PostgreSQL').toEqual([]);
      expect(rows.filter((r) => r.idempotency_key !== `notifier-shutdown-${r.id}`), 'rows under another order id').toEqual([]);
      expect(rows).toHaveLength(total);
      const [stock] = await sql<{ taken: number; confirmed: string }>(
        infra,
        `SELECT e.capacity - e.remaining AS taken,
                (SELECT coalesce(sum(quantity), 0) FROM orders o WHERE o.event_id = e.id AND o.status = 'CONFIRMED') AS confirmed
           FROM events e WHERE e.id = 1`,
      );
      expect(stock?.taken, 'stock taken from event 1 = tickets of its confirmed orders').toBe(Number(stock?.confirmed));
      const notes = await sql<{ n: string }>(infra, 'SELECT count(*) AS n FROM notifications WHERE order_id = ANY($1::uuid[])', [orderIds]);
      expect(Number(notes[0]?.n)).toBe(total);
      next.proc.kill('SIGTERM');
      expect((await next.exited).code).toBe(0);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });
});
