/**
 * Dashboards proven on live data (Grafana cannot run here): on a live stack,
 * buy tickets, stop PostgreSQL, keep buying (202 ACCEPTED_ASYNC), start it,
 * wait for the backlog to drain, then run EVERY panel query of EVERY dashboard
 * through Prometheus's HTTP API (query_range over the run window, Grafana's
 * variables substituted). A query without data fails the test, naming its panel.
 * The PostgreSQL-up series must show the outage. One malformed message is
 * published so that the dead-letter panels show a real dead letter.
 *
 * Artifacts: test-artifacts/observability/{panels.json,series.json}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureSeries, durationSeconds, queryRange } from '../../cli/scenario/metrics-capture.js';
import type { StackEndpoints, StackHandle } from '../../cli/stack/types.js';
import { artifactDir } from './browser.js';
import { annotationQueries, loadDashboards, panelQueries, parseLabelValues, substitute, variableQuery } from './dashboard-queries.js';
import { acquireStack, drive, promQuery, releaseStack, sleep, until } from './live-stack.js';

let stack: StackHandle;
let ep: StackEndpoints;
let startedHere = false;
let scrapeSeconds = 5;
const window = { start: 0, outageStart: 0, outageEnd: 0, end: 0 };
const traffic: Record<string, Record<number, number>> = {};
const artifacts = artifactDir('observability');

beforeAll(async () => {
  ({ stack, endpoints: ep, startedHere } = await acquireStack());
  const cfg = (await (await fetch(`${ep.prometheus}/api/v1/status/config`)).json()) as { data: { yaml: string } };
  const m = /scrape_interval:\s*(\S+)/.exec(cfg.data.yaml);
  if (m) scrapeSeconds = durationSeconds(m[1]!);

  // Everything scraped and PostgreSQL up, as Prometheus sees it.
  const apiNodes = stack.servicesInGroup('api').length;
  await until(
    'Prometheus to scrape every api node, the notifier and analytics',
    async () => (await promQuery(ep.prometheus, 'up{job=~"api|notifier|analytics"} == 1')).length >= apiNodes + 2,
    120_000,
    2000,
  );
  await until('postgres up everywhere', async () => (await promQuery(ep.prometheus, 'min(eventflow_dependency_up{dependency="postgres"}) == 1')).length === 1, 60_000, 2000);

  window.start = Date.now();
  traffic.before = await drive(ep.gateway, 25_000);

  window.outageStart = Date.now();
  await stack.faults.stop('postgres');
  await until(
    'Prometheus to see PostgreSQL down',
    async () => (await promQuery(ep.prometheus, 'max(eventflow_dependency_up{dependency="postgres"}) == 0')).length === 1,
    60_000,
    1000,
  );
  traffic.during = await drive(ep.gateway, 40_000);
  await stack.faults.start('postgres');
  window.outageEnd = Date.now();

  // Light traffic while the notifier drains the queue, then until the series settle.
  traffic.after = await drive(ep.gateway, 10_000, 2);
  await until(
    'the purchase backlog to drain',
    async () => (await promQuery(ep.prometheus, 'max(eventflow_notifier_queue_messages{queue="purchases"}) == 0')).length === 1 &&
      (await promQuery(ep.prometheus, 'min(eventflow_dependency_up{dependency="postgres"}) == 1')).length === 1,
    180_000,
    2000,
  );
  // One poison message (not JSON) so the dead-letter path shows real data: the notifier must
  // dead-letter it (reason invalid_json) and count it.
  await publishPoisonMessage(ep.amqpUrl);
  traffic.drained = await drive(ep.gateway, 15_000, 2);
  await until(
    'the notifier to count the dead letter',
    async () => (await promQuery(ep.prometheus, 'sum(eventflow_notifier_dead_lettered_total) > 0')).length === 1,
    60_000,
    2000,
  );
  await sleep(2 * scrapeSeconds * 1000);
  window.end = Date.now();
  console.log('traffic by phase (HTTP status → count):', JSON.stringify(traffic), 'window', JSON.stringify(window));
}, 900_000);

async function publishPoisonMessage(amqpUrl: string): Promise<void> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue('eventflow.purchases', Buffer.from('{"v":1, this is not json'), {
      persistent: true,
      contentType: 'application/json',
      messageId: `obs-itest-poison-${Date.now()}`,
    });
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
}

afterAll(async () => {
  await releaseStack(startedHere);
}, 120_000);

describe('dashboards on a live stack after a PostgreSQL outage', () => {
  it('the outage really happened: async purchases during it, confirmed before and after', () => {
    expect(traffic.before?.[201] ?? 0, JSON.stringify(traffic)).toBeGreaterThan(0);
    expect(traffic.during?.[202] ?? 0, JSON.stringify(traffic)).toBeGreaterThan(0);
    expect((traffic.drained?.[201] ?? 0) + (traffic.after?.[201] ?? 0), JSON.stringify(traffic)).toBeGreaterThan(0);
  });

  it('every panel query of every dashboard returns data over the run window', async () => {
    const dashboards = loadDashboards();
    expect(dashboards.length).toBeGreaterThan(0);
    const rangeSeconds = (window.end - window.start) / 1000;
    const step = Math.max(scrapeSeconds, Math.ceil(rangeSeconds / 300));
    const failures: string[] = [];
    const report: { dashboard: string; panel: string; refId: string; query: string; series: number; points: number; error?: string }[] = [];
    for (const d of dashboards) {
      for (const q of panelQueries(d.json)) {
        const query = substitute(q.expr, d.json, { stepSeconds: step, scrapeSeconds, rangeSeconds });
        try {
          const series = await queryRange(ep.prometheus, query, window.start, window.end, step);
          const points = series.reduce((n, s) => n + s.points.length, 0);
          report.push({ dashboard: d.json.title, panel: q.panel, refId: q.refId, query, series: series.length, points });
          if (points === 0) failures.push(`${d.file}: panel "${q.panel}" query ${q.refId} returned no data: ${query}`);
        } catch (e) {
          report.push({ dashboard: d.json.title, panel: q.panel, refId: q.refId, query, series: 0, points: 0, error: (e as Error).message });
          failures.push(`${d.file}: panel "${q.panel}" query ${q.refId} failed: ${(e as Error).message}`);
        }
      }
    }
    writeFileSync(join(artifacts, 'panels.json'), `${JSON.stringify({ window, scrapeSeconds, step, report }, null, 2)}\n`);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 180_000);

  it('the template variables list the nodes and the annotation queries run; the outage annotation has data', async () => {
    const rangeSeconds = (window.end - window.start) / 1000;
    for (const d of loadDashboards()) {
      for (const v of d.json.templating?.list ?? []) {
        const q = variableQuery(v);
        if (!q) continue;
        const lv = parseLabelValues(q);
        expect(lv, `${d.file}: variable $${v.name}: only label_values(…) queries are supported here`).toBeDefined();
        const params = new URLSearchParams({ start: String(window.start / 1000), end: String(window.end / 1000) });
        if (lv!.match) params.append('match[]', lv!.match);
        const body = (await (await fetch(`${ep.prometheus}/api/v1/label/${lv!.label}/values?${params}`)).json()) as { data: string[] };
        expect(body.data.length, `${d.file}: variable $${v.name} has no values`).toBeGreaterThan(0);
        if (v.name === 'node') expect(body.data).toEqual(expect.arrayContaining(stack.servicesInGroup('api')));
      }
      for (const a of annotationQueries(d.json)) {
        const query = substitute(a.expr, d.json, { stepSeconds: scrapeSeconds, scrapeSeconds, rangeSeconds });
        const series = await queryRange(ep.prometheus, query, window.start, window.end, scrapeSeconds);
        if (/postgres/i.test(a.name)) {
          expect(series.length, `${d.file}: annotation "${a.name}" shows no outage`).toBeGreaterThan(0);
        }
      }
    }
  }, 60_000);

  it('the PostgreSQL-up series shows the outage (a 0 inside the outage, 1 before and after)', async () => {
    const series = await queryRange(ep.prometheus, 'min(eventflow_dependency_up{dependency="postgres"})', window.start, window.end, scrapeSeconds);
    expect(series).toHaveLength(1);
    const points = series[0]!.points;
    const zeros = points.filter(([, v]) => v === 0).map(([t]) => t);
    expect(zeros.length, JSON.stringify(points)).toBeGreaterThan(0);
    // (a loaded machine can make a probe time out outside the outage too: require a 0 inside it)
    expect(
      zeros.some((t) => t >= window.outageStart && t <= window.outageEnd + 2 * scrapeSeconds * 1000),
      `no 0 between ${window.outageStart} and ${window.outageEnd}: ${JSON.stringify(points)}`,
    ).toBe(true);
    expect(points.some(([t, v]) => v === 1 && t < window.outageStart)).toBe(true);
    expect(points.some(([t, v]) => v === 1 && t > Math.max(...zeros))).toBe(true);
  });

  it('the alerts fired on live data: database down, running degraded, dead-lettering', async () => {
    for (const alertname of ['EventflowDatabaseDown', 'EventflowRunningDegraded', 'EventflowNotifierDeadLettering']) {
      const series = await queryRange(ep.prometheus, `ALERTS{alertname="${alertname}", alertstate="firing"}`, window.start, window.end, scrapeSeconds);
      expect(series.length, `${alertname} never fired during the run`).toBeGreaterThan(0);
    }
    // …and the outage alerts resolved once PostgreSQL was back.
    const now = await promQuery(ep.prometheus, 'ALERTS{alertname="EventflowDatabaseDown", alertstate="firing"}');
    expect(now).toEqual([]);
  });

  it('captureSeries (the report’s key series) sees the same outage and backlog', async () => {
    const series = await captureSeries(ep.prometheus, window.start, window.end);
    writeFileSync(join(artifacts, 'series.json'), `${JSON.stringify(series)}\n`);
    const pg = series.dependency_up!.find((s) => s.labels.dependency === 'postgres');
    expect(pg?.points.some(([, v]) => v === 0)).toBe(true);
    expect(series.purchases_by_outcome!.find((s) => s.labels.outcome === 'accepted_async')?.points.some(([, v]) => v > 0)).toBe(true);
    expect(series.queue_depth!.find((s) => s.labels.queue === 'purchases')?.points.length).toBeGreaterThan(0);
  }, 60_000);
});
