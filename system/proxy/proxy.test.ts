/**
 * The fault proxy with real sockets on loopback: an echo server behind it, the
 * HTTP API driven by the same client the fault layer uses against Toxiproxy.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ToxiproxyClient } from '../../cli/stack/faults/toxiproxy-client.js';
import { createProxyApi } from './api.js';

let echo: Server;
let api: ReturnType<typeof createProxyApi>['app'];
let client: ToxiproxyClient;
let proxyPort: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  echo = createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const upstream = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
  api = createProxyApi().app;
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  client = new ToxiproxyClient(url);
  const proxy = await client.ensureProxy({ name: 'echo', listen: '127.0.0.1:0', upstream });
  proxyPort = Number(proxy.listen.split(':').pop());
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await client.reset();
});

afterAll(async () => {
  await api.close();
  echo.close();
});

async function open(): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port: proxyPort, noDelay: true });
  sockets.push(s);
  s.on('error', () => undefined);
  await once(s, 'connect');
  return s;
}

/** Send one byte, resolve with the round-trip time in ms, or undefined when nothing came back within waitMs. */
function roundTrip(s: Socket, waitMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = performance.now();
    const timer = setTimeout(() => {
      s.off('data', onData);
      resolve(undefined);
    }, waitMs);
    const onData = (): void => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    };
    s.once('data', onData);
    s.write('x');
  });
}

const closed = (s: Socket): Promise<{ error?: string }> =>
  new Promise((resolve) => {
    let error: string | undefined;
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    s.once('close', () => resolve(error ? { error } : {}));
  });

describe('fault proxy (Toxiproxy API subset)', () => {
  it('passes data through unchanged with no toxic', async () => {
    const s = await open();
    const rtt = await roundTrip(s);
    expect(rtt).toBeDefined();
    expect(rtt!).toBeLessThan(50);
  });

  it('adds the latency of a latency toxic, on a live connection, and removing it restores', async () => {
    const s = await open();
    await client.setToxic('echo', { name: 'slow', type: 'latency', attributes: { latency: 150, jitter: 0 } });
    const slow = await roundTrip(s);
    expect(slow).toBeGreaterThanOrEqual(148);
    await client.removeToxic('echo', 'slow');
    // Upper bounds relative to the toxic, not absolute: a loaded CI host stretches every round trip.
    expect(await roundTrip(s)).toBeLessThan(slow! - 100);
  });

  it('keeps latency within ± jitter', async () => {
    const s = await open();
    await client.setToxic('echo', { name: 'jittery', type: 'latency', stream: 'upstream', attributes: { latency: 100, jitter: 50 } });
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) samples.push((await roundTrip(s))!);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(48);
    expect(Math.max(...samples)).toBeLessThan(1500); // 150 + scheduling delay on a loaded host
  });

  it('a timeout toxic stops data, then closes the connection; new connections work once it is removed', async () => {
    const s = await open();
    const gone = closed(s);
    await client.setToxic('echo', { name: 'black-hole', type: 'timeout', attributes: { timeout: 400 } });
    const started = performance.now();
    expect(await roundTrip(s, 250)).toBeUndefined();
    await gone;
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    await client.removeToxic('echo', 'black-hole');
    expect(await roundTrip(await open())).toBeLessThan(50);
  });

  it('a timeout toxic of 0 holds the connection open without data until removed, then closes it', async () => {
    const s = await open();
    const gone = closed(s);
    await client.setToxic('echo', { name: 'hang', type: 'timeout', attributes: { timeout: 0 } });
    expect(await roundTrip(s, 300)).toBeUndefined();
    expect(s.destroyed).toBe(false);
    await client.removeToxic('echo', 'hang');
    await gone;
  });

  it('reset_peer resets the connection (ECONNRESET) on the next data', async () => {
    const s = await open();
    const gone = closed(s);
    await client.setToxic('echo', { name: 'rst', type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    s.write('x');
    expect(await gone).toEqual({ error: 'ECONNRESET' });
  });

  it('bandwidth caps throughput', async () => {
    const s = await open();
    await client.setToxic('echo', { name: 'thin', type: 'bandwidth', attributes: { rate: 100 } }); // 100 KB/s
    const payload = Buffer.alloc(50_000, 1);
    let got = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= payload.length) resolve();
      });
      s.write(payload);
    });
    // 50 KB at 100 KB/s ≥ 0.5 s
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('toxicity 0 leaves connections alone', async () => {
    await client.setToxic('echo', { name: 'never', type: 'latency', toxicity: 0, attributes: { latency: 500 } });
    expect(await roundTrip(await open())).toBeLessThan(50);
  });

  it("delivers a server's last words before its close, even when they are delayed", async () => {
    const farewell = createServer((s) => s.end('bye'));
    farewell.listen(0, '127.0.0.1');
    await once(farewell, 'listening');
    try {
      const proxy = await client.ensureProxy({ name: 'farewell', listen: '127.0.0.1:0', upstream: `127.0.0.1:${(farewell.address() as AddressInfo).port}` });
      await client.setToxic('farewell', { name: 'slow', type: 'latency', attributes: { latency: 150 } });
      const s = connect({ host: '127.0.0.1', port: Number(proxy.listen.split(':').pop()) });
      sockets.push(s);
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      await once(s, 'end');
      expect(got).toBe('bye');
    } finally {
      farewell.close();
    }
  });

  it('answers Toxiproxy-shaped JSON and errors', async () => {
    const toxic = await client.setToxic('echo', { name: 'l', type: 'latency', attributes: { latency: 10 } });
    expect(toxic).toEqual({ name: 'l', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 10, jitter: 0 } });
    const all = await client.proxies();
    expect(all.echo).toMatchObject({ name: 'echo', enabled: true, toxics: [toxic] });
    const base = client.baseUrl;
    const dup = await fetch(new URL('/proxies/echo/toxics', base), { method: 'POST', body: JSON.stringify({ name: 'l', type: 'latency' }), headers: { 'content-type': 'application/json' } });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toEqual({ error: 'toxic already exists', status: 409 });
    const bad = await fetch(new URL('/proxies/echo/toxics', base), { method: 'POST', body: JSON.stringify({ type: 'slicer' }), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/invalid toxic type/);
    const missing = await fetch(new URL('/proxies/nope', base));
    expect(await missing.json()).toEqual({ error: 'proxy not found', status: 404 });
    await client.removeToxic('echo', 'not-there'); // idempotent
    await expect(client.removeToxic('nope', 'l')).rejects.toThrow(/no proxy named nope/);
  });

  it('a disabled proxy refuses connections; reset enables it again', async () => {
    const res = await fetch(new URL('/proxies/echo', client.baseUrl), { method: 'POST', body: JSON.stringify({ enabled: false }), headers: { 'content-type': 'application/json' } });
    expect(((await res.json()) as { enabled: boolean }).enabled).toBe(false);
    const refused = connect({ host: '127.0.0.1', port: proxyPort });
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
    await client.reset();
    expect(await roundTrip(await open())).toBeLessThan(50);
  });
});
