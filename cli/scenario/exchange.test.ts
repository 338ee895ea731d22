import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExchanger } from './exchange.js';
import { createAgent, nowMs } from './traffic.js';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 5_000).unref();
    if (req.url === '/chunks') {
      res.writeHead(200, { 'x-eventflow-node': 'api-2' });
      res.write('{"a":');
      return void setTimeout(() => res.end('"ü"}'), 20);
    }
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, body, key: req.headers['idempotency-key'] ?? null })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the load generator exchange (undici dispatch)', () => {
  it('sends method, headers and body and returns status, node header and the whole body across chunks', async () => {
    const agent = createAgent(4);
    try {
      const x = createExchanger(agent, 2_000, nowMs);
      const post = await x.send({ origin, path: '/p', method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: '{"q":1}' });
      expect(post.status).toBe(201);
      expect(JSON.parse(post.text)).toEqual({ method: 'POST', body: '{"q":1}', key: 'k-1' });
      expect(post.node).toBeUndefined();
      const chunks = await x.send({ origin, path: '/chunks', method: 'GET', headers: {} });
      expect(chunks).toEqual({ status: 200, node: 'api-2', text: '{"a":"ü"}' });
      expect(x.pending).toBe(0);
    } finally {
      await agent.close();
    }
  });

  it('times every attempt out after its timeout (one timer for all) while faster ones still answer', async () => {
    const agent = createAgent(8);
    try {
      const x = createExchanger(agent, 1_000, nowMs);
      const t0 = nowMs();
      const settled = await Promise.allSettled([
        x.send({ origin, path: '/slow', method: 'GET', headers: {} }),
        x.send({ origin, path: '/fast', method: 'GET', headers: {} }),
        x.send({ origin, path: '/slow', method: 'GET', headers: {} }),
      ]);
      const took = nowMs() - t0;
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
      const reason = (settled[0] as PromiseRejectedResult).reason as Error;
      expect(reason.name).toBe('TimeoutError');
      expect(took).toBeGreaterThanOrEqual(990);
      expect(took).toBeLessThan(4_000); // not the slow server's 5 s
      expect(x.pending).toBe(0);
    } finally {
      await agent.close();
    }
  });

  it('stops every attempt when the run is stopped, including one still waiting for a connection', async () => {
    const agent = createAgent(1);
    const stop = new AbortController();
    try {
      const x = createExchanger(agent, 5_000, nowMs, stop.signal);
      const first = x.send({ origin, path: '/slow', method: 'GET', headers: {} });
      const queued = x.send({ origin, path: '/fast', method: 'GET', headers: {} });
      setTimeout(() => stop.abort(new Error('run stopped')), 50);
      await expect(first).rejects.toThrow('run stopped');
      await expect(queued).rejects.toThrow('run stopped');
      await expect(x.send({ origin, path: '/fast', method: 'GET', headers: {} })).rejects.toThrow('run stopped');
      expect(x.pending).toBe(0);
    } finally {
      await agent.close();
    }
  });
});
