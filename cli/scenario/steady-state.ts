/**
 * The steady-state hypothesis (Chaos Toolkit's word): probes run before the
 * experiment (nothing is injected unless they all hold) and again after rollback.
 * A probe kind is an entry of PROBES.
 */
import { request } from 'undici';
import type { ProbeResult } from '../../reports/model.js';
import { parseDuration, type ProbeDef } from './format.js';
import type { RunContext } from './run-context.js';
import { round } from './stats.js';
import { waitClusterOk } from './steps/wait.js';
import { resolveTargets, targetLabel } from './targets.js';
import { nowMs } from './traffic.js';

type When = 'before' | 'after';
type ProbeOf<K extends ProbeDef['probe']> = Extract<ProbeDef, { probe: K }>;
type ProbeRunner<K extends ProbeDef['probe']> = {
  name(probe: ProbeOf<K>): string;
  run(ctx: RunContext, probe: ProbeOf<K>, when: When): Promise<{ ok: boolean; detail: string }>;
};

const PROBES: { [K in ProbeDef['probe']]: ProbeRunner<K> } = {
  http: {
    name: (probe) => `GET ${probe.path}`,
    async run(ctx, probe, when) {
      const expected = probe.status ?? 200;
      const timeout = parseDuration(probe.timeout, when === 'after' ? 15_000 : 5_000);
      let detail = '';
      const ok = await ctx.waitUntil(async () => {
        try {
          const res = await request(new URL(probe.path, ctx.gateway()), { dispatcher: ctx.traffic.agent, headersTimeout: 3_000, bodyTimeout: 3_000, signal: AbortSignal.timeout(3_000) });
          const text = await res.body.text();
          detail = `HTTP ${res.statusCode}`;
          if (res.statusCode !== expected) return false;
          if (probe.json) {
            const body = JSON.parse(text) as Record<string, unknown>;
            for (const [k, v] of Object.entries(probe.json)) {
              if (body[k] !== v) {
                detail = `HTTP ${res.statusCode}, ${k}=${JSON.stringify(body[k])} (expected ${JSON.stringify(v)})`;
                return false;
              }
            }
          }
          return true;
        } catch (e) {
          detail = (e as Error).message;
          return false;
        }
      }, timeout);
      return { ok, detail: ok ? `HTTP ${expected}` : detail };
    },
  },
  healthy: {
    name: (probe) => `healthy: ${probe.targets.map(targetLabel).join(', ')}`,
    async run(ctx, probe) {
      const services = probe.targets.flatMap((t) => resolveTargets(ctx.stack, t));
      const timeout = parseDuration(probe.timeout, 60_000);
      let unhealthy: string[] = [];
      const ok = await ctx.waitUntil(async () => {
        const states = await Promise.all(services.map(ctx.isHealthy));
        unhealthy = services.filter((_, i) => !states[i]);
        return unhealthy.length === 0;
      }, timeout);
      return { ok, detail: ok ? `${services.join(', ')} healthy` : `not healthy: ${unhealthy.join(', ')}` };
    },
  },
  'cluster-ok': {
    name: () => 'every api node ok (dependencies up, breaker closed)',
    async run(ctx, probe) {
      // a container can be healthy while its node still reconnects to a dependency a previous run took away
      // (RabbitMQ's reconnect backs off up to 2 s): injecting a fault then tests a different system
      const timeout = parseDuration(probe.timeout, 30_000);
      const { ok, detail } = await waitClusterOk(ctx, timeout);
      return { ok, detail: ok ? detail : `${detail} after ${timeout / 1000}s` };
    },
  },
};

async function runProbe(ctx: RunContext, probe: ProbeDef, when: When): Promise<ProbeResult> {
  const at = nowMs();
  const runner = PROBES[probe.probe] as ProbeRunner<ProbeDef['probe']>;
  const name = probe.name ?? runner.name(probe);
  const { ok, detail } = await runner.run(ctx, probe, when);
  return { name, kind: probe.probe, ok, detail, atMs: at, durationMs: round(nowMs() - at)! };
}

/** Runs every probe of the scenario; each result is a `probe-result` event and a steady-state check. */
export async function checkSteadyState(ctx: RunContext, when: When): Promise<ProbeResult[]> {
  // the conditions of one hypothesis are independent: asked at the same time, reported in the file's order
  const results = await Promise.all((ctx.scenario['steady-state'] ?? []).map((probe) => runProbe(ctx, probe, when)));
  results.forEach((r, i) => {
    ctx.events.emit({ type: 'probe-result', when, result: r });
    ctx.events.emit({ type: 'check-result', check: { id: `steady-state.${when}.${i + 1}`, name: `steady state ${when}: ${r.name}`, category: 'steady-state', passed: r.ok, message: r.detail } });
  });
  return results;
}
