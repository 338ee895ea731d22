/**
 * The engine against fakes (unit level): a fake stack whose fault driver
 * flips the state of an in-process fake gateway, and a fake state reader.
 * The real stack is exercised by test/scenario/*.itest.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FaultDriver, ServiceGroup, StackHandle } from '../stack/types.js';
import { grafanaRunDashboards } from '../grafana/annotations.js';
import { readDashboards } from '../grafana/dashboards.js';
import { runScenario } from './engine.js';
import { consoleLog } from './console-log.js';
import type { FinalState } from './checker.js';
import type { SystemState } from './final-state.js';
import { validateScenarioFile, validateScenarioSource } from './validate.js';
import { resolveScenarioRef } from './catalog.js';
import { defaultTopologyNames } from './topology-names.js';

class FakeSystem {
  down = new Set<string>();
  orders = new Map<string, { id: string; key: string; status: string }>();
  pending = new Map<string, { id: string; key: string }>();
  calls: string[] = [];
  /** Simulates the notifier: pending orders persist once postgres is up. */
  drain() {
    if (this.down.has('postgres')) return;
    for (const [k, p] of this.pending) this.orders.set(k, { ...p, status: 'CONFIRMED' });
    this.pending.clear();
  }
}

function fakeStack(sys: FakeSystem, gateway: string): StackHandle {
  const groups = defaultTopologyNames(3).groups;
  const act = (name: string, f: (s: string) => void) => async (s: string) => {
    sys.calls.push(`${name} ${s}`);
    f(s);
  };
  const faults: FaultDriver = {
    kill: act('kill', (s) => sys.down.add(s)),
    stop: act('stop', (s) => sys.down.add(s)),
    start: act('start', (s) => sys.down.delete(s)),
    restart: act('restart', (s) => sys.down.delete(s)),
    pause: act('pause', (s) => sys.down.add(s)),
    unpause: act('unpause', (s) => sys.down.delete(s)),
    disconnect: act('disconnect', (s) => sys.down.add(s)),
    reconnect: act('reconnect', (s) => sys.down.delete(s)),
    isHealthy: async (s) => !sys.down.has(s),
  };
  return {
    id: 'fake',
    credentials: { postgres: { user: 'u', password: 'p', database: 'd' }, rabbitmq: { user: 'u', password: 'p' }, redis: { password: 'p' } },
    serviceNames: () => defaultTopologyNames(3).services,
    servicesInGroup: (g: ServiceGroup) => groups[g],
    endpoints: async () => ({ gateway, rabbitmqManagement: 'http://127.0.0.1:1', prometheus: '', postgresUrl: 'postgres://x', redisUrl: 'redis://x', amqpUrl: 'amqp://x' }),
    services: async () => [],
    faults,
  };
}

function fakeState(sys: FakeSystem): SystemState {
  return {
    async readFinalState(prefix): Promise<FinalState> {
      sys.drain();
      const orders = [...sys.orders.values()].filter((o) => o.key.startsWith(prefix)).map((o) => ({ id: o.id, idempotencyKey: o.key, eventId: 1, quantity: 1, status: o.status }));
      return { orders, events: [{ id: 1, capacity: 100_000, remaining: 100_000 - sys.orders.size, confirmedQuantity: sys.orders.size }] };
    },
    async persistedKeys(prefix) {
      sys.drain();
      return new Set([...sys.orders.keys()].filter((k) => k.startsWith(prefix)));
    },
    async queueDepths() {
      return { depths: { 'eventflow.purchases': sys.down.has('postgres') ? sys.pending.size : 0 }, source: 'amqp' };
    },
    async deleteOneOrder(prefix, key) {
      const k = key ?? [...sys.orders.keys()].find((x) => x.startsWith(prefix));
      if (k) sys.orders.delete(k);
      return k;
    },
    async close() {},
  };
}

let server: Server;
let gateway: string;
const sys = new FakeSystem();
/** What the fake gateway's /grafana/api/annotations received, and the status it answers. */
const grafana = { posts: [] as { tags: string[]; time: number; timeEnd: number }[], status: 200 };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-eventflow-node': 'api-1' });
        res.end(JSON.stringify(obj));
      };
      if (req.url === '/health') return json(200, { status: 'ok' });
      if (req.url === '/grafana/api/annotations' && req.method === 'POST') {
        grafana.posts.push(JSON.parse(body) as (typeof grafana.posts)[number]);
        return json(grafana.status, grafana.status === 200 ? { id: grafana.posts.length, message: 'Annotation added' } : { message: 'Unauthorized' });
      }
      if (req.url?.startsWith('/events')) return json(200, { events: [], source: sys.down.has('postgres') ? 'cache' : 'db', stale: sys.down.has('postgres') });
      if (req.url === '/purchase' && req.method === 'POST') {
        JSON.parse(body);
        const key = String(req.headers['idempotency-key']);
        const existing = sys.orders.get(key) ?? sys.pending.get(key);
        if (existing) return json(200, { status: 'CONFIRMED', orderId: existing.id });
        const id = randomUUID();
        if (!sys.down.has('postgres')) {
          sys.orders.set(key, { id, key, status: 'CONFIRMED' });
          return json(201, { status: 'CONFIRMED', orderId: id });
        }
        if (sys.down.has('rabbitmq')) return json(503, { error: 'UNAVAILABLE', message: 'database and broker unreachable; nothing was stored' });
        sys.pending.set(key, { id, key });
        return json(202, { status: 'ACCEPTED_ASYNC', orderId: id });
      }
      json(404, { error: 'NOT_FOUND' });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const a = server.address();
  gateway = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

async function builtin(name: string, overrides: Record<string, string> = {}) {
  const r = await validateScenarioFile(resolveScenarioRef(name)!, { overrides });
  if (!r.ok) throw new Error('invalid');
  return r;
}

/** A scenario written in the test, validated; an invalid one fails the test with its errors. */
function fromSource(src: string, file: string) {
  const v = validateScenarioSource(src, file);
  if (!v.ok) throw new Error(`${file}: ${JSON.stringify(v.errors)}`);
  return v;
}

type RunOptions = Parameters<typeof runScenario>[0];

/** runScenario against the fakes (no metrics capture, 20 ms polls); `extra` adds or replaces options: another stack, signals, listeners. */
function runOnFakes(v: Omit<RunOptions, 'stack' | 'state'>, extra: Partial<RunOptions> = {}) {
  return runScenario({ ...v, stack: extra.stack ?? fakeStack(sys, gateway), state: fakeState(sys), captureMetrics: false, pollMs: 20, ...extra });
}

describe('engine (fakes)', () => {
  it('runs db-outage: faults, load, waits, checker — pass', async () => {
    sys.calls = [];
    const v = await builtin('db-outage', { purchases: '6' });
    const report = await runOnFakes(v);
    expect(report.verdict, JSON.stringify(report.checks.filter((c) => !c.passed))).toBe('pass');
    expect(report.exitCode).toBe(0);
    expect(sys.calls).toEqual(['kill postgres', 'start postgres']);
    expect(report.checker).toMatchObject({ attempted: 8, acknowledged: 8, persisted: 8, lost: { count: 0 }, duplicated: { count: 0 } });
    const outage = report.history.ops.filter((o) => o.step === 'outage-purchases');
    expect(outage.map((o) => o.status)).toEqual(Array(6).fill('ACCEPTED_ASYNC'));
    expect(new Set(report.history.ops.filter((o) => o.key).map((o) => o.key)).size).toBe(8);
    expect(report.history.ops.every((o) => !o.key || o.key.startsWith(report.keyPrefix))).toBe(true);
    expect(report.faultWindows).toHaveLength(1);
    expect(report.faultWindows[0]).toMatchObject({ service: 'postgres', action: 'kill', healedBy: 'start' });
    expect(report.timings.timeToDetectMs).toBeGreaterThan(0);
    expect(report.timings.timeToRecoverMs).toBeGreaterThan(0);
    expect(report.timings.drainMs).toBeGreaterThanOrEqual(0);
    expect(report.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['invariant.lost', 'expect.1.outage-purchases', 'threshold.1', 'steady-state.before.1', 'steady-state.after.1']));
    expect(report.history.phases.during.purchase.count).toBe(6);
  });

  it('records metrics from the connected stack until the metrics phase; a capture that fails is a warning', async () => {
    const v = await builtin('db-outage', { purchases: '2' });
    const seen: { startedAt?: number; stoppedAt?: number } = {};
    const info = { source: 'service-endpoints' as const, intervalMs: 250, charts: [{ key: 'k', title: 'K', unit: 'count' as const }] };
    const report = await runScenario({
      ...v,
      stack: fakeStack(sys, gateway),
      state: fakeState(sys),
      pollMs: 20,
      captureMetrics: {
        async start({ startMs }) {
          seen.startedAt = startMs;
          return { stop: async (endMs) => ((seen.stoppedAt = endMs), { series: { k: [{ labels: {}, points: [[startMs, 1]] }] }, info }) };
        },
      },
    });
    expect(seen.startedAt).toBeCloseTo(report.startMs, 0);
    expect(seen.stoppedAt).toBeGreaterThan(report.faultWindows[0]!.endMs!);
    expect(report.metricsInfo).toEqual(info);
    expect(report.metrics!.k![0]!.points).toHaveLength(1);
    expect(report.checker!.orders).toEqual({ confirmed: 4, rejected: 0, pending: 0 });

    const failing = await runScenario({ ...v, stack: fakeStack(sys, gateway), state: fakeState(sys), pollMs: 20, captureMetrics: { start: async () => Promise.reject(new Error('no route')) } });
    expect(failing.verdict).toBe('pass');
    expect(failing.metrics).toBeUndefined();
    expect(failing.warnings).toContain('metrics capture did not start: no route');
  });

  it('with Grafana: fault windows posted as annotations, links at the run time range in the report; a refusing Grafana is a warning', async () => {
    const v = await builtin('db-outage', { purchases: '2' });
    const dashboards = () => grafanaRunDashboards({ credentials: { user: 'u', password: 'p' }, timeoutMs: 2_000 });
    grafana.posts.length = 0;
    grafana.status = 200;
    const report = await runOnFakes(v, { dashboards: dashboards() });
    expect(report.verdict).toBe('pass');
    const w = report.faultWindows[0]!;
    expect(grafana.posts).toEqual([{ time: Math.floor(w.startMs), timeEnd: Math.ceil(w.endMs!), tags: ['eventflow', report.runId, 'kill'], text: expect.stringContaining('kill postgres') }]);
    const g = report.environment.grafana!;
    expect(g.annotations).toEqual({ tags: ['eventflow', report.runId], posted: 1, failed: 0 });
    expect(g.dashboards.map((d) => d.uid)).toEqual(readDashboards().map((d) => d.uid));
    for (const d of g.dashboards) {
      const url = new URL(d.url);
      expect(url.origin + url.pathname).toMatch(new RegExp(`^${gateway}/grafana/d/${d.uid}/`));
      expect(Number(url.searchParams.get('from'))).toBeLessThan(report.startMs);
      expect(Number(url.searchParams.get('to'))).toBeGreaterThan(report.endMs);
    }
    expect(report.warnings).toEqual([]);

    grafana.status = 401;
    const refused = await runOnFakes(v, { dashboards: dashboards() });
    expect(refused.verdict).toBe('pass');
    expect(refused.exitCode).toBe(0);
    expect(refused.environment.grafana!.annotations).toMatchObject({ posted: 0, failed: 1 });
    expect(refused.warnings.some((x) => /^Grafana annotations: 1 of 1 fault window\(s\) not posted .*HTTP 401/.test(x))).toBe(true);

    const without = await runOnFakes(v);
    expect(without.environment.grafana).toBeUndefined();
  });

  it('fails with lost=1 when an acknowledged order disappears before the checker', async () => {
    const v = await builtin('db-outage', { purchases: '3' });
    const report = await runScenario({
      ...v,
      stack: fakeStack(sys, gateway),
      state: fakeState(sys),
      captureMetrics: false,
      pollMs: 20,
      hooks: { beforeCheck: async ({ state, prefix }) => void (await state.deleteOneOrder(prefix)) },
    });
    expect(report.verdict).toBe('fail');
    expect(report.exitCode).toBe(1);
    expect(report.checker!.lost.count).toBe(1);
    expect(report.checks.find((c) => c.id === 'invariant.lost')).toMatchObject({ passed: false, value: 1 });
  });

  it('an unmet expectation fails the run (exit 1) and rollback heals what the steps left broken', async () => {
    sys.calls = [];
    const src = `version: 1
name: half
steps:
  - { id: kill-db, fault: kill, target: postgres }
  - { id: buy, load: { purchases: 2 } }
verify:
  invariants: [lost]
  expect:
    - { step: buy, status: [CONFIRMED] }
`;
    const v = fromSource(src, 'half.yaml');
    const report = await runOnFakes(v);
    expect(sys.calls).toEqual(['kill postgres', 'start postgres']);
    expect(report.steps.map((s) => s.id)).toEqual(['kill-db', 'buy', 'auto-heal']);
    expect(report.verdict).toBe('fail');
    expect(report.checks.find((c) => c.id === 'expect.1.buy')).toMatchObject({ passed: false, message: '2 of 2 did not: 2× 202 ACCEPTED_ASYNC' });
    expect(report.checker!.lost.count).toBe(0);
    expect(sys.down.size).toBe(0);
  });

  it('a failed expectation names what the system answered, and the log lists each failed check', async () => {
    const src = `version: 1
name: both-down
steps:
  - { id: kill-db, fault: kill, target: postgres }
  - { id: stop-broker, fault: stop, target: rabbitmq }
  - { id: buy, load: { purchases: 2 } }
verify:
  invariants: [lost]
  expect:
    - { step: buy, status: [ACCEPTED_ASYNC] }
`;
    const v = fromSource(src, 'both-down.yaml');
    const lines: string[] = [];
    const report = await runOnFakes(v, { listeners: [consoleLog((l) => lines.push(l))] });
    expect(report.history.ops.filter((o) => o.step === 'buy').map((o) => o.message)).toEqual(['database and broker unreachable; nothing was stored', 'database and broker unreachable; nothing was stored']);
    const message = '2 of 2 did not: 2× 503 UNAVAILABLE (e.g. "database and broker unreachable; nothing was stored")';
    expect(report.checks.find((c) => c.id === 'expect.1.buy')).toMatchObject({ passed: false, message });
    expect(lines.at(-1)).toContain(`✘ FAIL (1 check failed) in `);
    expect(lines.at(-1)).toContain(`\n          ✘ every request of step buy: status ∈ {ACCEPTED_ASYNC}: ${message}`);
  });

  it('a fault driver error is an infrastructure error (exit 3); rollback still runs', async () => {
    const stack = fakeStack(sys, gateway);
    const calls: string[] = [];
    stack.faults.pause = async () => {
      throw new Error('docker said no');
    };
    stack.faults.kill = async (s) => void calls.push(`kill ${s}`);
    stack.faults.start = async (s) => void calls.push(`start ${s}`);
    const v = fromSource('version: 1\nname: x\nsteps:\n  - { fault: kill, target: redis }\n  - { fault: pause, target: api-1 }\n  - { load: { reads: 1 } }\n', 'x.yaml');
    const report = await runOnFakes(v, { stack });
    expect(report.exitCode).toBe(3);
    expect(report.error).toContain('pause api-1: docker said no');
    expect(calls).toEqual(['kill redis', 'start redis']);
    expect(report.steps.find((s) => s.kind === 'load')).toBeUndefined();
  });

  it('background load across steps, random targets, abort (Ctrl-C) → interrupted, rolled back', async () => {
    sys.calls = [];
    const src = `version: 1
name: bg
steps:
  - { id: steady, load: { reads: 1, purchases: 1, rate: 50, duration: 3s, background: true } }
  - { id: k, fault: kill, target: { random: api } }
  - { sleep: 5s }
  - await-load: steady
`;
    const v = fromSource(src, 'bg.yaml');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 600);
    const t = Date.now();
    const report = await runOnFakes(v, { signal: controller.signal });
    expect(Date.now() - t).toBeLessThan(2_500);
    expect(report.verdict).toBe('interrupted');
    expect(report.exitCode).toBe(130);
    expect(sys.calls[0]).toMatch(/^kill api-[123]$/);
    expect(sys.calls[1]).toBe(sys.calls[0]!.replace('kill', 'start'));
    expect(report.steps[1]!.services).toHaveLength(1);
    expect(report.history.ops.length).toBeGreaterThan(5);
  });

  it('gray faults: duration heals in the step, heal steps heal earlier, rollback heals the rest; one window each', async () => {
    const stack = fakeStack(sys, gateway);
    const calls: string[] = [];
    stack.faults.degrade = async (f) => void calls.push(`degrade ${f.kind} ${f.service}`);
    stack.faults.heal = async (f) => void calls.push(`heal ${f.kind} ${f.service}`);
    stack.faults.preflight = async (f) => void calls.push(`preflight ${f.kind} ${f.service}`);
    const src = `version: 1
name: gray
steps:
  - { id: slow, fault: latency, target: postgres, latency: 100ms }
  - { id: lossy, fault: loss, target: api-2, percent: 10, duration: 50ms }
  - { id: starve, fault: throttle, target: redis, cpus: 0.5 }
  - heal: slow
  - { load: { reads: 1 } }
`;
    const v = fromSource(src, 'gray.yaml');
    const report = await runOnFakes(v, { stack });
    expect(report.verdict, report.error).toBe('pass');
    expect(calls).toEqual([
      'preflight latency postgres', 'preflight loss api-2', 'preflight throttle redis',
      'degrade latency postgres', 'degrade loss api-2', 'heal loss api-2', 'degrade throttle redis', 'heal latency postgres',
      'heal throttle redis',
    ]);
    expect(report.faultWindows.map((w) => [w.action, w.service, w.healedBy])).toEqual([
      ['latency', 'postgres', 'step-4'],
      ['loss', 'api-2', 'lossy (after 0.05 s)'],
      ['throttle', 'redis', 'rollback'],
    ]);
  });

  it('a gray fault this host cannot apply → exit 3 before any step (preflight)', async () => {
    const stack = fakeStack(sys, gateway);
    const calls: string[] = [];
    stack.faults.degrade = async (f) => void calls.push(`degrade ${f.kind}`);
    stack.faults.preflight = async () => {
      throw new Error('missing tool: tc in some-image');
    };
    const v = fromSource('version: 1\nname: x\nsteps:\n  - { load: { reads: 1 } }\n  - { fault: bandwidth, target: postgres, rate: 1mbit }\n', 'x.yaml');
    const report = await runOnFakes(v, { stack });
    expect(report.exitCode).toBe(3);
    expect(report.error).toMatch(/cannot apply bandwidth on postgres \(nothing was started\): missing tool: tc/);
    expect(report.history.ops).toHaveLength(0);
    expect(calls).toEqual([]);
  });

  it('after Ctrl-C, rollback waits until the healed service is healthy (no warning); a second signal ends the wait', async () => {
    for (const second of [false, true]) {
      const stack = fakeStack(sys, gateway);
      let healthyAt = Infinity;
      stack.faults.start = async () => void (healthyAt = Date.now() + 400); // starting, healthy 400 ms later
      stack.faults.isHealthy = async (s) => s !== 'api-1' || Date.now() >= healthyAt;
      const v = fromSource('version: 1\nname: x\nsteps:\n  - { fault: kill, target: api-1 }\n  - { sleep: 5s }\n', 'x.yaml');
      const interrupt = new AbortController();
      const recovery = new AbortController();
      setTimeout(() => interrupt.abort(), 100);
      if (second) setTimeout(() => recovery.abort(), 200);
      const report = await runOnFakes(v, { stack, signal: interrupt.signal, recoverySignal: recovery.signal });
      expect(report.exitCode).toBe(130);
      if (second) expect(report.warnings).toEqual([expect.stringMatching(/stopped waiting for health \(interrupted again\): api-1 not healthy yet/)]);
      else {
        expect(report.warnings).toEqual([]);
        expect(Date.now()).toBeGreaterThanOrEqual(healthyAt);
      }
    }
  });
});
