import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderJunit, xmlEscape } from './junit.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { listingOf, listRuns, renderRunsIndex } from './runs-index.js';
import { renderRunsSummary } from './runs-summary.js';
import { checkerLine } from '../summary-lines.js';
import { writeRunReports } from '../write.js';
import { syntheticReport } from '../../test/scenario/synthetic.js';

/**
 * A strict little well-formedness check for the XML we emit: one root, tags
 * balanced and properly nested, attributes quoted, only the five predefined
 * entities or character references, no raw `<` or `&` in text.
 */
function assertWellFormedXml(xml: string): { root: string; elements: { name: string; attrs: Record<string, string>; text: string }[] } {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const elements: { name: string; attrs: Record<string, string>; text: string }[] = [];
  let root = '';
  let i = 0;
  const checkText = (t: string) => {
    if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(t)) throw new Error(`bad character data: ${t.slice(0, 60)}`);
  };
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    if (lt < 0) {
      checkText(s.slice(i));
      if (s.slice(i).trim()) throw new Error('text after the root element');
      break;
    }
    const text = s.slice(i, lt);
    checkText(text);
    if (stack.length === 0 && text.trim()) throw new Error('text outside the root element');
    if (elements.length && stack.length) elements[elements.length - 1]!.text += text;
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = s.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*\/?$/.exec(tag);
      if (!m) throw new Error(`malformed tag <${tag.slice(0, 80)}>`);
      const attrs: Record<string, string> = {};
      for (const a of m[2]!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
        checkText(a[2]!);
        if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]!] = a[2]!;
      }
      if (stack.length === 0) {
        if (root) throw new Error('two root elements');
        root = m[1]!;
      }
      elements.push({ name: m[1]!, attrs, text: '' });
      if (!selfClosing) stack.push(m[1]!);
    }
    i = gt + 1;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
  s = '';
  return { root, elements };
}

describe('junit.xml', () => {
  it('is well-formed, one testcase per check, failures counted', () => {
    const report = syntheticReport(1);
    const xml = renderJunit(report);
    const { root, elements } = assertWellFormedXml(xml);
    expect(root).toBe('testsuites');
    const cases = elements.filter((e) => e.name === 'testcase');
    expect(cases).toHaveLength(report.checks.length);
    const failures = elements.filter((e) => e.name === 'failure');
    expect(failures.length).toBe(report.checks.filter((c) => !c.passed).length);
    const suite = elements.find((e) => e.name === 'testsuite')!;
    expect(suite.attrs.tests).toBe(String(cases.length));
    expect(suite.attrs.failures).toBe(String(failures.length));
    const lost = cases.find((c) => c.attrs.name!.startsWith('lost = 0'))!;
    expect(lost.attrs.classname).toBe('eventflow.scenario.db-outage.invariant');
    expect(xml).toMatch(/<failure message="lost=1 of \d+ acknowledged/);
  });

  it('escapes markup, quotes and control characters', () => {
    expect(xmlEscape('a<b>&"c"\'\u0001\u0007')).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;');
    const report = syntheticReport(0);
    report.checks.push({ id: 'x', name: 'evil <name> & "quotes" \u0000', category: 'step', passed: false, message: ']]> </testcase> & \u001b[31m' });
    expect(() => assertWellFormedXml(renderJunit(report))).not.toThrow();
  });

  it('adds an <error> testcase when the run itself broke', () => {
    const report = { ...syntheticReport(0), verdict: 'error' as const, exitCode: 3, error: 'docker <gone>' };
    const { elements } = assertWellFormedXml(renderJunit(report));
    expect(elements.find((e) => e.name === 'error')!.attrs.message).toBe('docker &lt;gone&gt;');
  });
});

describe('index.html', () => {
  it('is self-contained and shows the verdict, the timeline, the phases and the checks', () => {
    const report = syntheticReport(1);
    const html = renderHtml(report);
    expect(html).toContain('id="verdict"');
    expect(html).toContain('>FAIL<');
    expect(html).toMatch(/<svg class="timeline"/);
    expect(html).toContain('class="fault-window"');
    expect((html.match(/class="op"/g) ?? []).length).toBe(report.history.ops.length);
    expect(html).toContain('id="phases"');
    expect(html).toContain('lost = 0 (no acknowledged purchase is lost)');
    expect(html).toContain('id="metrics"');
    // no network: no external src/href, no remote URL loads
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
    // escaped
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('index.html: Grafana', () => {
  it('with Grafana: a "Grafana (this run\'s time range)" link per dashboard next to the metrics, and the annotations posted', () => {
    const report = syntheticReport(1);
    const url = (uid: string) => `${report.environment.gateway}/grafana/d/${uid}/${uid}?orgId=1&from=${report.startMs - 30_000}&to=${report.endMs + 30_000}`;
    report.environment.grafana = {
      dashboards: [
        { uid: 'eventflow-resilience', title: 'EventFlow — resilience', url: url('eventflow-resilience') },
        { uid: 'eventflow-runtime', title: 'EventFlow — services & runtime', url: url('eventflow-runtime') },
      ],
      annotations: { tags: ['eventflow', report.runId], posted: 1, failed: 0 },
    };
    const html = renderHtml(report);
    const line = /<p class="meta" id="grafana" data-grafana="yes">(.*?)<\/p>/.exec(html)?.[1];
    expect(line).toMatch(/^Grafana \(this run's time range\): /);
    const hrefs = [...line!.matchAll(/<a href="([^"]+)" data-uid="([^"]+)">/g)].map((m) => [m[2], m[1]!.replace(/&amp;/g, '&')]);
    expect(hrefs).toEqual([
      ['eventflow-resilience', url('eventflow-resilience')],
      ['eventflow-runtime', url('eventflow-runtime')],
    ]);
    expect(line).toContain('EventFlow — services &amp; runtime');
    expect(line).toContain(`tagged <code>eventflow, ${report.runId}</code>: 1 posted.`);
    // right after the metrics
    expect(html.indexOf('id="grafana"')).toBeGreaterThan(html.indexOf('id="metrics"'));
    expect(html.indexOf('id="grafana"')).toBeLessThan(html.indexOf('id="verdicts"'));
  });

  it('without Grafana: one line saying so and where the live view is, and no link at all', () => {
    const report = syntheticReport(1);
    const html = renderHtml(report);
    const line = /<p class="meta" id="grafana" data-grafana="no">(.*?)<\/p>/.exec(html)?.[1];
    expect(line).toBe(`No Grafana in this run's stack (its image set has none); the live view of the stack is the GUI's live panel (<code>${report.environment.gateway}/</code>, while the stack runs).`);
    expect(html).not.toMatch(/<a\b[^>]*href=/);
    expect(html).not.toContain('/grafana/');
  });

  it('Grafana present but no links for this run (it never reached the gateway): says so instead of a dead link', () => {
    const report = syntheticReport(1);
    report.environment.grafana = { dashboards: [], annotations: { tags: [], posted: 0, failed: 0 } };
    expect(renderHtml(report)).toContain('This stack has Grafana, but no links could be made for this run (see Warnings).');
  });
});

describe('writeRunReports', () => {
  it('writes the three files under <dir>/<run-id>/ and the runs index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-reports-'));
    const report = syntheticReport(0);
    const w = await writeRunReports(report, dir);
    expect(w.dir).toBe(join(dir, report.runId));
    for (const f of [w.json, w.junit, w.html, w.index]) expect(existsSync(f)).toBe(true);
    expect(JSON.parse(readFileSync(w.json, 'utf8'))).toEqual(JSON.parse(renderJson(report)));
    const index = readFileSync(w.index, 'utf8');
    expect(index).toContain(`${report.runId}/index.html`);
    expect(index).toContain('db-outage');
  });

  it('the index lists runs from their listing.json, and still from report.json for a run written before it existed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-reports-'));
    const a = { ...syntheticReport(0), verdict: 'pass' as const };
    const b = { ...syntheticReport(1), runId: 'older-run-without-listing', startedAt: '2020-01-01T00:00:00.000Z' };
    const w = await writeRunReports(a, dir);
    expect(JSON.parse(readFileSync(join(w.dir, 'listing.json'), 'utf8'))).toEqual(listingOf(a));
    // an old run: only its report.json
    mkdirSync(join(dir, b.runId));
    writeFileSync(join(dir, b.runId, 'report.json'), renderJson(b));
    // the listing is what the index reads: a report.json rewritten behind it does not change the line
    writeFileSync(w.json, renderJson({ ...a, verdict: 'interrupted' }));
    const runs = await listRuns(dir);
    expect(runs.map((r) => [r.runId, r.verdict])).toEqual([
      [a.runId, 'pass'],
      [b.runId, b.verdict],
    ]);
    // and the old run got its listing.json on the way
    expect(JSON.parse(readFileSync(join(dir, b.runId, 'listing.json'), 'utf8'))).toEqual(listingOf(b));
  });
});

describe('runs index and --runs summary pages', () => {
  it('history per scenario: one square per run, oldest first, and a duration trend', () => {
    const html = renderRunsIndex([
      { runId: 'r3', scenario: 'db-outage', verdict: 'fail', startedAt: '2026-01-03', durationMs: 3000, checks: 5, failed: 1 },
      { runId: 'r2', scenario: 'node-kill', verdict: 'pass', startedAt: '2026-01-02', durationMs: 2000, checks: 5, failed: 0 },
      { runId: 'r1', scenario: 'db-outage', verdict: 'pass', startedAt: '2026-01-01', durationMs: 1000, checks: 5, failed: 0 },
    ]);
    const row = /<tr data-scenario="db-outage">(.*?)<\/tr>/s.exec(html)![1]!;
    expect(row).toContain('<td>1/2</td>');
    expect([...row.matchAll(/class="run (\w+)"/g)].map((m) => m[1])).toEqual(['pass', 'fail']);
    expect(row).toContain('<polyline points=');
    expect(html).toContain('data-scenario="node-kill"');
  });

  it('the summary page says the pass rate, its interval and which runs failed which check', () => {
    const html = renderRunsSummary({
      schemaVersion: 1,
      kind: 'eventflow-runs-summary',
      batchId: 'b',
      scenario: 'db-outage',
      parameters: { purchases: 5 },
      stackId: 's',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:01:00Z',
      durationMs: 60_000,
      requested: 2,
      passed: 1,
      passRate: 0.5,
      confidence: { level: 0.95, method: 'wilson', low: 0.0945, high: 0.9055 },
      runs: [
        { index: 1, runId: 'a', verdict: 'pass', durationMs: 1000, failedChecks: [], report: '../../a/index.html' },
        { index: 2, runId: 'b', verdict: 'fail', durationMs: 1000, failedChecks: ['lost = 0'], report: '../../b/index.html' },
      ],
      failedChecks: [{ name: 'lost = 0', runs: [2] }],
      latency: { before: { count: 0 }, during: { count: 10, p50: 80, p95: 150, p99: 160, max: 170, perRunP95: { min: 140, median: 145, max: 150 } }, after: { count: 0 } },
      exitCode: 1,
    });
    expect(html).toContain('id="pass-rate">50.0 %<');
    expect(html).toContain('9.4 % … 90.5 % (Wilson score)');
    expect(html).toMatch(/<td>lost = 0<\/td><td>1<\/td><td>#2<\/td>/);
    expect(html).toContain('banner fail');
  });
});

describe('summary lines: confirmed / rejected after acknowledgement / pending', () => {
  it('in the checker line, the HTML header and junit.xml', () => {
    const base = syntheticReport(0);
    const report = { ...base, checker: { ...base.checker!, attempted: 22, acknowledged: 22, persisted: 22, orders: { confirmed: 5, rejected: 17, pending: 0 } } };
    expect(checkerLine(report.checker)).toMatch(/^22 attempted, 22 acknowledged — 5 confirmed, 17 rejected after acknowledgement, 0 pending — lost /);
    expect(renderHtml(report)).toMatch(/id="orders">purchases: 22 attempted, 22 acknowledged — 5 confirmed · 17 rejected after acknowledgement · 0 pending</);
    const junit = renderJunit(report);
    expect(junit).toContain('<property name="orders.confirmed" value="5"/>');
    expect(junit).toContain('<property name="orders.rejected-after-acknowledgement" value="17"/>');
    expect(junit).toContain('checker: 22 attempted, 22 acknowledged — 5 confirmed, 17 rejected after acknowledgement, 0 pending');
    // a report written before the split existed still reads
    expect(checkerLine({ ...report.checker, orders: undefined })).toContain('22 persisted');
  });
});
