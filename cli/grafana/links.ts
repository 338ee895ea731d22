/**
 * Links to the stack's Grafana dashboards at one run's time range. Grafana is
 * served through the gateway under /grafana/ (cli/stack/render.ts), the one
 * address a report and the GUI share.
 */
import type { GrafanaDashboardLink } from '../../reports/model.js';
import type { DashboardRef } from './dashboards.js';

/** Time shown before the run's start and after its end: the steady state on both sides. */
export const RUN_RANGE_MARGIN_MS = 30_000;

export function grafanaBaseUrl(gateway: string): string {
  return `${gateway.replace(/\/+$/, '')}/grafana`;
}

/** The dashboard from `fromMs` to `toMs` (epoch ms, Grafana's absolute time range). */
export function dashboardUrl(base: string, d: DashboardRef, fromMs: number, toMs: number): string {
  const q = new URLSearchParams({ orgId: '1', from: String(Math.floor(fromMs)), to: String(Math.ceil(toMs)) });
  return `${base}/d/${encodeURIComponent(d.uid)}/${d.slug}?${q}`;
}

/** One link per dashboard at the run's time range plus the margin on both sides. */
export function runDashboardLinks(base: string, dashboards: readonly DashboardRef[], run: { startMs: number; endMs: number }, marginMs = RUN_RANGE_MARGIN_MS): GrafanaDashboardLink[] {
  const from = run.startMs - marginMs;
  const to = run.endMs + marginMs;
  return dashboards.map((d) => ({ uid: d.uid, title: d.title, url: dashboardUrl(base, d, from, to) }));
}
