/**
 * The report's pointer to Grafana: links to the stack's dashboards at the
 * run's time range (the fault windows are annotations there), or one line
 * saying this stack has no Grafana and where the live view is instead.
 */
import type { RunReport } from '../model.js';
import { esc } from './format.js';

export function grafanaSection(report: RunReport): string {
  const g = report.environment.grafana;
  // An address, not a link: without Grafana the report links nowhere (the stack may be gone by the time it is read).
  const gui = report.environment.gateway ? `the GUI's live panel (<code>${esc(report.environment.gateway)}/</code>, while the stack runs)` : "the GUI's live panel";
  const body = !g
    ? `No Grafana in this run's stack (its image set has none); the live view of the stack is ${gui}.`
    : g.dashboards.length === 0
      ? 'This stack has Grafana, but no links could be made for this run (see Warnings).'
      : `Grafana (this run's time range): ${g.dashboards.map((d) => `<a href="${esc(d.url)}" data-uid="${esc(d.uid)}">${esc(d.title)}</a>`).join(' · ')}` +
        ` — fault windows as annotations tagged <code>${esc(g.annotations.tags.join(', '))}</code>: ${g.annotations.posted} posted${g.annotations.failed ? `, ${g.annotations.failed} failed (see Warnings)` : ''}.`;
  return `<p class="meta" id="grafana" data-grafana="${g ? 'yes' : 'no'}">${body}</p>`;
}
