import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDashboards, slugOf } from './dashboards.js';
import { dashboardUrl, grafanaBaseUrl, runDashboardLinks, RUN_RANGE_MARGIN_MS } from './links.js';

describe('Grafana dashboards and links', () => {
  it('reads uid and title of every dashboard in dashboards/json (no second copy of them in code)', () => {
    const found = readDashboards();
    expect(found.length).toBeGreaterThanOrEqual(2);
    expect(found.map((d) => d.uid)).toEqual(expect.arrayContaining(['eventflow-resilience', 'eventflow-runtime']));
    expect(new Set(found.map((d) => d.uid)).size).toBe(found.length);
    for (const d of found) expect(d.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('a dashboard file without a uid is an error that names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-dash-'));
    try {
      writeFileSync(join(dir, 'a.json'), JSON.stringify({ uid: 'a', title: 'A' }));
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ title: 'B' }));
      writeFileSync(join(dir, 'notes.txt'), 'not a dashboard');
      expect(() => readDashboards(dir)).toThrow(/b\.json: a Grafana dashboard needs a string "uid"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('slugs titles like Grafana: lower case, one dash for each run of other characters', () => {
    expect(slugOf('EventFlow — services & runtime')).toBe('eventflow-services-runtime');
    expect(slugOf('  Hello, World!  ')).toBe('hello-world');
  });

  it('links through the gateway under /grafana at the run time range plus the margin on both sides (epoch ms)', () => {
    const base = grafanaBaseUrl('http://127.0.0.1:8080/');
    expect(base).toBe('http://127.0.0.1:8080/grafana');
    const d = { uid: 'eventflow-resilience', title: 'EventFlow — resilience', slug: 'eventflow-resilience' };
    expect(dashboardUrl(base, d, 1000.4, 2000.2)).toBe('http://127.0.0.1:8080/grafana/d/eventflow-resilience/eventflow-resilience?orgId=1&from=1000&to=2001');
    const run = { startMs: 1_764_300_000_000.5, endMs: 1_764_300_002_600.2 };
    const [link] = runDashboardLinks(base, [d], run);
    const url = new URL(link!.url);
    expect(url.pathname).toBe('/grafana/d/eventflow-resilience/eventflow-resilience');
    expect(Number(url.searchParams.get('from'))).toBe(Math.floor(run.startMs - RUN_RANGE_MARGIN_MS));
    expect(Number(url.searchParams.get('to'))).toBe(Math.ceil(run.endMs + RUN_RANGE_MARGIN_MS));
    expect(link).toMatchObject({ uid: d.uid, title: d.title });
  });
});
