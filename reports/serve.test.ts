import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { serveReports, type ReportServer } from './serve.js';

const root = mkdtempSync(join(tmpdir(), 'ef-serve-'));
let served: ReportServer;
const get = async (path: string) => {
  const res = await request(`http://127.0.0.1:${served.port}${path}`);
  return { status: res.statusCode, type: res.headers['content-type'], body: await res.body.text() };
};

beforeAll(async () => {
  mkdirSync(join(root, 'run-1'));
  writeFileSync(join(root, 'index.html'), '<h1>runs</h1>');
  writeFileSync(join(root, 'run-1', 'report.json'), '{"verdict":"pass"}');
  served = await serveReports(root, 0);
});
afterAll(() => served.close());

describe('report viewer (reports/serve.ts) over HTTP on 127.0.0.1', () => {
  it('serves the runs index and a run file with its content type', async () => {
    expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<h1>runs</h1>' });
    expect(await get('/run-1/report.json')).toMatchObject({ status: 200, type: 'application/json', body: '{"verdict":"pass"}' });
  });

  it('answers 400 to a malformed percent-encoding and keeps serving', async () => {
    expect(await get('/%E0%A4%A')).toMatchObject({ status: 400, body: 'malformed percent-encoding in the path' });
    expect(await get('/run-1/%')).toMatchObject({ status: 400 });
    expect((await get('/')).status).toBe(200);
  });

  it('refuses paths that leave the directory and answers 404 to missing files', async () => {
    expect((await get('/..%2f..%2fetc%2fpasswd')).status).toBe(403);
    expect((await get('/run-2/index.html')).status).toBe(404);
  });
});
