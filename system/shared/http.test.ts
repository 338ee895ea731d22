import { describe, expect, it } from 'vitest';
import { describeValidation } from './http.js';

describe('describeValidation', () => {
  it('names the missing field with a 400', () => {
    expect(describeValidation([{ keyword: 'required', instancePath: '', params: { missingProperty: 'email' } }], 'body')).toEqual({
      status: 400,
      body: { error: 'VALIDATION', message: 'body: email is required', field: 'email' },
    });
  });
  it('names an out-of-range value with a 422', () => {
    const r = describeValidation([{ keyword: 'maximum', instancePath: '/quantity', message: 'must be <= 10', params: {} }], 'body');
    expect(r).toEqual({ status: 422, body: { error: 'VALIDATION', message: 'body: quantity must be <= 10', field: 'quantity' } });
  });
  it('handles a root type error without a field', () => {
    const r = describeValidation([{ keyword: 'type', instancePath: '', params: { type: 'object' } }], 'body');
    expect(r.status).toBe(400);
    expect(r.body.field).toBeUndefined();
    expect(r.body.message).toBe('body: body must be object');
  });
  it('never throws on an empty list', () => {
    expect(describeValidation([], undefined).status).toBe(400);
  });
});

describe('createHttpApp while closing (rolling-restart: one read answered "503 Service Unavailable" by a node going away)', () => {
  it('a request that arrives on an open connection after close() began is served, not refused with 503', async () => {
    const { connect } = await import('node:net');
    const { createHttpApp } = await import('./http.js');
    const { createMetrics } = await import('./metrics.js');
    const app = createHttpApp({ nodeId: 'n1', metrics: createMetrics('api', 'n1'), logLevel: 'silent' });
    let release!: () => void;
    const slowStarted = new Promise<void>((started) => {
      app.get('/slow', async () => {
        started();
        await new Promise<void>((r) => (release = r));
        return { ok: 'slow' };
      });
    });
    app.get('/next', async () => ({ ok: 'next' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await slowStarted;
    const closed = app.close();
    // the next request on the same (busy, so not reaped) connection arrives once closing began, as NGINX's
    // next request on a reused connection reaches a node that has just been told to stop
    socket.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    release();
    const answers = () => [...received.matchAll(/HTTP\/1\.1 \d{3}/g)].length;
    for (let i = 0; i < 100 && answers() < 2; i++) await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    await closed;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses, received).toEqual([200, 200]);
    expect(received).toContain('{"ok":"next"}');
    // and tells the client not to reuse the connection
    expect(received.slice(received.lastIndexOf('HTTP/1.1 '))).toMatch(/^connection: close\r$/im);
  });
});
