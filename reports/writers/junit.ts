/**
 * junit.xml: one <testcase> per check (steady state, invariants,
 * expectations, thresholds, steps), in the de-facto JUnit schema that CI
 * consumers (GitHub Actions reporters, GitLab, Jenkins) read.
 */
import type { RunReport } from '../model.js';
import { checkerLine } from '../summary-lines.js';

/** Escape for XML text and attribute values; drop characters XML 1.0 forbids. */
export function xmlEscape(value: unknown): string {
  return String(value)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderJunit(report: RunReport): string {
  const suite = `eventflow.scenario.${report.scenario.name}`;
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  for (const c of report.checks) {
    const attrs = `classname="${xmlEscape(`${suite}.${c.category}`)}" name="${xmlEscape(c.name)}" time="0"`;
    const out = `      <system-out>${xmlEscape(`${c.message}${c.value !== undefined ? `\nvalue: ${c.value}` : ''}${c.limit !== undefined ? `\nlimit: ${c.limit}` : ''}`)}</system-out>\n`;
    if (c.passed) cases.push(`    <testcase ${attrs}>\n${out}    </testcase>`);
    else {
      failures++;
      cases.push(`    <testcase ${attrs}>\n      <failure message="${xmlEscape(c.message)}" type="${xmlEscape(c.category)}">${xmlEscape(`${c.name}\n${c.message}`)}</failure>\n${out}    </testcase>`);
    }
  }
  if (report.verdict === 'error' || report.verdict === 'interrupted') {
    errors++;
    cases.push(
      `    <testcase classname="${xmlEscape(`${suite}.run`)}" name="scenario run completes" time="${(report.durationMs / 1000).toFixed(3)}">\n      <error message="${xmlEscape(report.error ?? report.verdict)}" type="${report.verdict}">${xmlEscape(report.error ?? report.verdict)}</error>\n    </testcase>`,
    );
  }
  const props = [
    ['run-id', report.runId],
    ['verdict', report.verdict],
    ['exit-code', report.exitCode],
    ['stack', report.environment.stackId],
    ...Object.entries(report.scenario.parameters).map(([k, v]) => [`param.${k}`, v]),
    ['time-to-detect-ms', report.timings.timeToDetectMs ?? ''],
    ['time-to-recover-ms', report.timings.timeToRecoverMs ?? ''],
    ['drain-ms', report.timings.drainMs ?? ''],
    ...(report.checker?.orders
      ? [
          ['orders.confirmed', report.checker.orders.confirmed],
          ['orders.rejected-after-acknowledgement', report.checker.orders.rejected],
          ['orders.pending', report.checker.orders.pending],
        ]
      : []),
  ]
    .map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`)
    .join('\n');
  const time = (report.durationMs / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="eventflow" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}">
  <testsuite name="${xmlEscape(suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${xmlEscape(report.startedAt.replace(/Z$/, ''))}" hostname="${xmlEscape(report.environment.hostname)}">
    <properties>
${props}
    </properties>
${cases.join('\n')}
    <system-out>${xmlEscape([...(report.checker ? [`checker: ${checkerLine(report.checker)}`] : []), ...report.steps.map((s) => `${s.section}/${s.id}: ${s.label} — ${s.status}${s.durationMs !== undefined ? ` (${s.durationMs} ms)` : ''}${s.detail ? ` — ${s.detail}` : ''}`)].join('\n'))}</system-out>
  </testsuite>
</testsuites>
`;
}
