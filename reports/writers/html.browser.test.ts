/**
 * The HTML report in a real browser: headless Debian Chromium through
 * playwright-core (no browser download). Never skipped: without Chromium it fails
 * with the command that installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../test/observability/browser.js';
import { readCharts } from '../../test/observability/report-charts.js';
import type { RunReport } from '../model.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { syntheticReport } from '../../test/scenario/synthetic.js';

describe('HTML report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders: verdict, timeline with fault window and every request, verdict table, metrics; no console errors, no network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-html-'));
    const report = syntheticReport(1);
    const file = join(dir, 'index.html');
    writeFileSync(file, renderHtml(report));
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    expect(await page.locator('#verdict .verdict-word').textContent()).toBe('FAIL');
    const timeline = page.locator('svg.timeline');
    expect(await timeline.isVisible()).toBe(true);
    const box = await timeline.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(100);
    expect(await page.locator('svg.timeline .op').count()).toBe(report.history.ops.length);
    expect(await page.locator('svg.timeline rect.fault-window').count()).toBe(report.faultWindows.length);
    expect(await page.locator('#verdicts tbody tr').count()).toBe(report.checks.length);
    expect(await page.locator('#verdicts tr.failed').count()).toBe(report.checks.filter((c) => !c.passed).length);
    expect(await page.locator('#verdicts tr[data-check="invariant.lost"]').textContent()).toContain('lost=1');
    expect(await page.locator('#phases tbody tr').count()).toBe(8);
    expect(await page.locator('#metrics svg polyline').count()).toBe(2);
    // the hover tooltip works
    await page.locator('svg.timeline .op').first().hover({ force: true });
    expect(await page.locator('#tip').isHidden()).toBe(false);

    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await page.close();
  }, 60_000);

  it('metric charts: points inside the shaded fault window on every chart with data, up/down as strips, "no data" in words', async () => {
    const base = syntheticReport(1);
    const w = base.faultWindows[0]!;
    const every = (from: number, to: number, f: (t: number) => number): [number, number][] => Array.from({ length: Math.floor((to - from) / 250) + 1 }, (_, i) => [from + i * 250, f(from + i * 250)]);
    const down = (t: number) => (t >= w.startMs && t < w.endMs! ? 0 : 1);
    const report: RunReport = {
      ...base,
      metricsInfo: {
        source: 'service-endpoints',
        intervalMs: 250,
        charts: [
          { key: 'dependency_up', title: 'Dependency up', unit: 'up' },
          { key: 'queue_depth', title: 'Backlog', unit: 'count' },
          { key: 'notifier_drain_rate', title: 'Drained', unit: 'per_second' },
        ],
      },
      metrics: {
        dependency_up: [
          { labels: { service: 'api-1', dependency: 'postgres' }, points: every(base.startMs, base.endMs, down) },
          { labels: { service: 'api-1', dependency: 'redis' }, points: every(base.startMs, base.endMs, () => 1) },
        ],
        queue_depth: [{ labels: { queue: 'purchases' }, points: every(base.startMs, base.endMs, (t) => (down(t) ? 0 : 5)) }],
        notifier_drain_rate: [],
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'ef-html-'));
    writeFileSync(join(dir, 'index.html'), renderHtml(report));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
    const charts = await readCharts(page);
    expect(charts.map((c) => c.key)).toEqual(['dependency_up', 'queue_depth', 'notifier_drain_rate']);
    for (const c of charts) expect(c.faultWindows, c.key).toBe(1);
    expect(charts[0]!.pointsInFault).toBeGreaterThan(4);
    expect(await page.locator('#metrics figure[data-key="dependency_up"] rect.seg.down').count()).toBeGreaterThan(4);
    expect(charts[1]!.pointsInFault).toBeGreaterThan(4);
    expect(charts[2]).toMatchObject({ points: 0, noData: expect.stringMatching(/^No data/) });
    expect(await page.locator('#metrics').textContent()).toContain('every 250 ms');
    await page.close();
  }, 60_000);

  it('junit.xml parses with the browser\'s XML parser', async () => {
    const page = await browser.newPage();
    const xml = renderJunit(syntheticReport(1));
    const result = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const err = doc.getElementsByTagName('parsererror')[0];
      return { error: err ? err.textContent : null, cases: doc.getElementsByTagName('testcase').length, failures: doc.getElementsByTagName('failure').length, root: doc.documentElement.nodeName };
    }, xml);
    expect(result.error).toBeNull();
    expect(result.root).toBe('testsuites');
    expect(result.cases).toBeGreaterThan(5);
    expect(result.failures).toBe(2);
    await page.close();
  }, 60_000);
});
