import { createServer, type Server } from 'node:http';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterHealth } from './wait.js';

/** A gateway stand-in on 127.0.0.1 answering `/health` with whatever the test sets. */
let answer: { status: number; body: unknown } = { status: 200, body: {} };
let server: Server;
let gateway: string;
const agent = new Agent();

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? answer.status : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  gateway = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await agent.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const node = (name: string, over: Record<string, unknown> = {}) => ({
  node: name,
  up: true,
  status: 'ok',
  breaker: 'closed',
  dependencies: { postgres: { up: true }, redis: { up: true }, rabbitmq: { up: true } },
  ...over,
});

describe('wait until cluster-ok', () => {
  it('holds when the cluster says ok', async () => {
    answer = { status: 200, body: { status: 'ok', nodes: [node('api-1'), node('api-2')] } };
    expect(await clusterHealth(gateway, agent)).toEqual({ ok: true, detail: '2 api nodes ok (dependencies up, breakers closed)' });
  });

  it('names each degraded node: a half-open breaker, a dependency down, a node down', async () => {
    answer = {
      status: 200,
      body: {
        status: 'degraded',
        nodes: [
          node('api-1'),
          node('api-2', { status: 'degraded', breaker: 'half-open' }),
          node('api-3', { status: 'degraded', breaker: 'open', dependencies: { postgres: { up: false }, redis: { up: true } } }),
          { node: 'api-4', up: false },
        ],
      },
    };
    const r = await clusterHealth(gateway, agent);
    expect(r.ok).toBe(false);
    expect(r.detail).toBe('degraded: api-2 breaker half-open; api-3 breaker open, postgres down; api-4 down');
  });

  it('does not hold while the gateway answers an error', async () => {
    answer = { status: 502, body: { error: 'bad gateway' } };
    expect(await clusterHealth(gateway, agent)).toEqual({ ok: false, detail: 'gateway /health answered 502' });
  });

  it('does not hold while nothing answers', async () => {
    const r = await clusterHealth('http://127.0.0.1:1', agent);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^gateway \/health: /);
  });
});
