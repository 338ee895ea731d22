/** Synthetic histories, states and reports for unit tests of the checker and the writers. */
import type { EventRow, OrderRow } from '../../cli/scenario/checker.js';
import type { Op } from '../../cli/scenario/history.js';
import type { RunReport } from '../../reports/model.js';
import { checkHistory } from '../../cli/scenario/checker.js';
import { invariantChecks } from '../../cli/scenario/verify.js';
import { summarize } from '../../cli/scenario/history.js';
import { computeTimings, phaseTable, type FaultWindow } from '../../cli/scenario/stats.js';
import { ScenarioSchema } from '../../cli/scenario/format.js';

export const PREFIX = 'run1-';
let seq = 0;

export function purchase(n: number, patch: Partial<Op> = {}): Op {
  const invokeMs = 1_000 + n * 100;
  return {
    id: ++seq,
    kind: 'purchase',
    step: 'outage-purchases',
    method: 'POST',
    path: '/purchase',
    key: `${PREFIX}${n}`,
    eventId: 1,
    quantity: 1,
    invokeMs,
    completeMs: invokeMs + 20,
    latencyMs: 20,
    outcome: 'ok',
    httpStatus: 202,
    status: 'ACCEPTED_ASYNC',
    orderId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    node: 'api-1',
    degraded: true,
    ...patch,
  };
}

export function read(n: number, patch: Partial<Op> = {}): Op {
  const invokeMs = 1_000 + n * 100;
  return { id: ++seq, kind: 'read', step: 'outage-reads', method: 'GET', path: '/events', invokeMs, completeMs: invokeMs + 5, latencyMs: 5, outcome: 'ok', httpStatus: 200, node: 'api-2', degraded: false, source: 'cache', stale: false, ...patch };
}

export function rowFor(op: Op, patch: Partial<OrderRow> = {}): OrderRow {
  return { id: op.orderId!, idempotencyKey: op.key!, eventId: op.eventId!, quantity: op.quantity!, status: 'CONFIRMED', path: 'async', ...patch };
}

export const EVENTS: EventRow[] = [{ id: 1, capacity: 100_000, remaining: 99_990, confirmedQuantity: 10 }];

const SCENARIO = ScenarioSchema.parse({
  version: 1,
  name: 'db-outage',
  description: 'Kill <PostgreSQL> & check "everything"',
  steps: [{ id: 'kill-db', fault: 'kill', target: 'postgres' }, { id: 'outage-purchases', load: { purchases: 5 } }],
  verify: { expect: [{ step: 'outage-purchases', status: ['ACCEPTED_ASYNC'] }] },
});

/** A complete report: db-outage with `lost` lost purchases (0 = pass). */
export function syntheticReport(lost = 0): RunReport {
  const ops: Op[] = [read(0, { invokeMs: 900, completeMs: 905 }), purchase(0, { httpStatus: 201, status: 'CONFIRMED', degraded: false, invokeMs: 950, completeMs: 960 })];
  for (let i = 1; i <= 5; i++) ops.push(purchase(i, { invokeMs: 1_200 + i * 50, completeMs: 1_230 + i * 50, latencyMs: 30 }));
  ops.push(purchase(6, { outcome: 'unknown', httpStatus: undefined, status: undefined, orderId: undefined, error: 'UND_ERR_HEADERS_TIMEOUT: <timeout> & "reset"', invokeMs: 1_600, completeMs: 2_100, latencyMs: 500 }));
  ops.push(purchase(7, { outcome: 'fail', httpStatus: 503, status: 'UNAVAILABLE', orderId: undefined, invokeMs: 1_700, completeMs: 1_710, latencyMs: 10 }));
  ops.push(purchase(8, { httpStatus: 201, status: 'CONFIRMED', degraded: false, invokeMs: 2_600, completeMs: 2_640, latencyMs: 40 }));
  const windows: FaultWindow[] = [{ service: 'postgres', action: 'kill', startMs: 1_100, endMs: 2_500, healedBy: 'start' }];
  const acked = ops.filter((o) => o.kind === 'purchase' && (o.httpStatus === 201 || o.httpStatus === 202));
  const rows = acked.slice(lost).map((o) => rowFor(o));
  const checker = checkHistory(ops, { orders: rows, events: EVENTS }, PREFIX);
  const timings = { ...computeTimings(ops, windows), drainMs: 800 };
  const checks = [
    { id: 'steady-state.before.1', name: 'steady state before: GET /health', category: 'steady-state' as const, passed: true, message: 'HTTP 200' },
    ...invariantChecks(SCENARIO, checker),
    { id: 'expect.1.outage-purchases', name: 'every request of step outage-purchases: status ∈ {ACCEPTED_ASYNC}', category: 'expectation' as const, passed: false, value: '5/7', message: '1× 503 UNAVAILABLE <&>' },
  ];
  const failed = checks.some((c) => !c.passed);
  return {
    schemaVersion: 1,
    runId: '20250101-120000-db-outage-abcd',
    keyPrefix: PREFIX,
    scenario: { name: 'db-outage', description: SCENARIO.description, file: 'scenarios/db-outage.yaml', source: 'version: 1\nname: db-outage # <script>alert(1)</script>\n', parameters: { purchases: 5 }, definition: SCENARIO },
    verdict: failed ? 'fail' : 'pass',
    exitCode: failed ? 1 : 0,
    startedAt: '2025-01-01T12:00:00.000Z',
    finishedAt: '2025-01-01T12:00:03.000Z',
    startMs: 800,
    endMs: 3_000,
    durationMs: 2_200,
    environment: { stackId: 'default', ephemeral: false, gateway: 'http://127.0.0.1:8080', node: 'v22.23.0', platform: 'linux-x64', hostname: 'ci', eventflowVersion: '0.1.0' },
    steps: [
      { index: 0, id: 'kill-db', kind: 'fault', label: 'kill postgres', section: 'steps', startMs: 1_050, endMs: 1_100, durationMs: 50, status: 'ok', services: ['postgres'] },
      { index: 1, id: 'outage-purchases', kind: 'load', label: '5 purchases, concurrency 5', section: 'steps', startMs: 1_200, endMs: 2_100, durationMs: 900, status: 'ok', detail: '7 requests' },
      { index: 2, id: 'start-db', kind: 'fault', label: 'start postgres', section: 'steps', startMs: 2_400, endMs: 2_500, durationMs: 100, status: 'ok' },
      { index: 3, id: 'step-4', kind: 'wait', label: 'until backlog-drained', section: 'steps', startMs: 2_500, endMs: 2_550, durationMs: 50, status: 'ok' },
    ],
    probes: { before: [{ name: 'GET /health', kind: 'http', ok: true, detail: 'HTTP 200', atMs: 820, durationMs: 5 }], after: [{ name: 'GET /health', kind: 'http', ok: true, detail: 'HTTP 200', atMs: 2_900, durationMs: 5 }] },
    faultWindows: windows,
    history: { summary: summarize(ops), phases: phaseTable(ops, windows), ops },
    timings,
    checker,
    checks,
    wall: { setupMs: 20, faultMs: 50, purchasesMs: 900, recoveryMs: 100, drainMs: 50, checksMs: 30, rollbackMs: 1, totalMs: 2_200 },
    warnings: ['a warning with <markup> & "quotes"'],
    metrics: {
      eventflow_purchases_total: [
        { labels: { outcome: 'accepted_async' }, points: [[0.9, 0], [1.5, 3], [2.2, 6]] },
        { labels: { outcome: 'confirmed' }, points: [[0.9, 1], [2.7, 2]] },
      ],
    },
  };
}
