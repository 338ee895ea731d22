/**
 * `wait:` steps: poll a condition until it holds or the timeout passes. A
 * condition is an entry of CONDITIONS. A wait that times out fails the run
 * (a `step` check) unless the run was interrupted meanwhile.
 */
import { request } from 'undici';
import { isAcknowledged } from '../history.js';
import { parseDuration, WAIT_CONDITIONS, type WaitStepDef } from '../format.js';
import { waitUntilBacklogDrained } from '../drain.js';
import type { RunContext, WallBucket } from '../run-context.js';
import { round } from '../stats.js';
import { StepFailure } from '../step-failure.js';
import type { StepKindModule } from '../steps.js';
import { resolveTargets, targetLabel } from '../targets.js';
import { nowMs } from '../traffic.js';

type WaitDef = WaitStepDef['wait'];
type Condition = (ctx: RunContext, w: WaitDef, timeoutMs: number, startMs: number) => Promise<{ ok: boolean; detail: string }>;

const CONDITIONS: Record<(typeof WAIT_CONDITIONS)[number], { bucket: WallBucket; until: Condition }> = {
  'service-healthy': {
    bucket: 'recoveryMs',
    async until(ctx, w, timeout) {
      const services = resolveTargets(ctx.stack, w.target!);
      const ok = await ctx.waitUntil(async () => (await Promise.all(services.map(ctx.isHealthy))).every(Boolean), timeout);
      return { ok, detail: ok ? `${services.join(', ')} healthy` : `still unhealthy after ${timeout / 1000}s` };
    },
  },
  'gateway-healthy': {
    bucket: 'recoveryMs',
    async until(ctx, _w, timeout) {
      const ok = await ctx.waitUntil(async () => {
        try {
          const res = await request(new URL('/health', ctx.gateway()), { dispatcher: ctx.traffic.agent, headersTimeout: 2_000, bodyTimeout: 2_000 });
          await res.body.dump();
          return res.statusCode === 200;
        } catch {
          return false;
        }
      }, timeout);
      return { ok, detail: ok ? 'gateway /health 200' : 'gateway not healthy' };
    },
  },
  'cluster-ok': {
    bucket: 'recoveryMs',
    until: (ctx, _w, timeout) => waitClusterOk(ctx, timeout),
  },
  'backlog-drained': {
    bucket: 'drainMs',
    async until(ctx, _w, timeout, startMs) {
      const r = await waitUntilBacklogDrained(ctx, timeout);
      if (r.ok) {
        // Drain time counts from the last heal (or from the wait itself when nothing was healed).
        const heals = ctx.ledger.windows.map((x) => x.endMs).filter((x): x is number => x !== undefined);
        ctx.drainMs = round(nowMs() - (heals.length ? Math.max(...heals) : startMs));
      }
      return r;
    },
  },
  'orders-persisted': {
    bucket: 'drainMs',
    async until(ctx, w, timeout) {
      const want = w.count ?? ctx.history.filter(isAcknowledged).length;
      let have = 0;
      const ok = await ctx.waitUntil(async () => {
        try {
          have = (await ctx.systemState().persistedKeys(ctx.prefix)).size;
        } catch {
          return false;
        }
        return have >= want;
      }, timeout);
      return { ok, detail: `${have}/${want} orders of this run persisted` };
    },
  },
};

interface ClusterHealthBody {
  status?: string;
  nodes?: Array<{ node?: string; up?: boolean; status?: string; breaker?: string; dependencies?: Record<string, { up?: boolean }> }>;
}

/** `GET /health` through the gateway: ok when every api node is up, its dependencies up and its breaker closed. */
/** Until the gateway's /health says every api node is ok (the `cluster-ok` wait and steady-state probe); the last detail. */
export async function waitClusterOk(ctx: RunContext, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  let detail = 'gateway /health not answered';
  const ok = await ctx.waitUntil(async () => {
    const health = await clusterHealth(ctx.gateway(), ctx.traffic.agent);
    detail = health.detail;
    return health.ok;
  }, timeoutMs);
  return { ok, detail };
}

export async function clusterHealth(gateway: string, dispatcher: RunContext['traffic']['agent']): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await request(new URL('/health', gateway), { dispatcher, headersTimeout: 2_000, bodyTimeout: 2_000 });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { ok: false, detail: `gateway /health answered ${res.statusCode}` };
    }
    const body = (await res.body.json()) as ClusterHealthBody;
    if (body.status === 'ok') return { ok: true, detail: `${body.nodes?.length ?? 0} api nodes ok (dependencies up, breakers closed)` };
    const degraded = (body.nodes ?? [])
      .filter((n) => n.up !== true || n.status !== 'ok')
      .map((n) => {
        if (n.up !== true) return `${n.node ?? '?'} down`;
        const deps = Object.entries(n.dependencies ?? {}).filter(([, d]) => d.up !== true).map(([name]) => name);
        return `${n.node ?? '?'} breaker ${n.breaker ?? '?'}${deps.length ? `, ${deps.join('+')} down` : ''}`;
      });
    return { ok: false, detail: `degraded: ${degraded.join('; ') || body.status}` };
  } catch (err) {
    return { ok: false, detail: `gateway /health: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export const waitStep: StepKindModule<WaitStepDef> = {
  recordKind: () => 'wait',
  prepare(ctx, def, rec) {
    const w = def.wait;
    const timeout = parseDuration(w.timeout, 30_000);
    const condition = CONDITIONS[w.until];
    const label = `until ${w.until}${w.target ? ` ${targetLabel(w.target)}` : ''}${w.count !== undefined ? ` ${w.count}` : ''} (timeout ${timeout / 1000}s)`;
    return {
      label,
      bucket: condition.bucket,
      async run() {
        const { ok, detail } = await condition.until(ctx, w, timeout, rec.startMs);
        rec.detail = detail;
        if (!ok && !ctx.aborted()) {
          ctx.events.emit({ type: 'check-result', check: { id: `step.${rec.id}`, name: `wait ${label}`, category: 'step', passed: false, message: `timed out: ${detail}` } });
          throw new StepFailure(`wait ${w.until} timed out after ${timeout / 1000}s: ${detail}`, false);
        }
      },
    };
  },
};
