/**
 * Samples the services' own /metrics at a fixed interval while a run goes on
 * (four times a second by default), so a run of a few seconds still has a
 * point every quarter second. One round of scrapes at a time, every request
 * bounded by a timeout; the loop ends at stop() or after maxTicks rounds.
 */
import { parseExposition } from './exposition.js';
import type { ScrapeTarget, Tick } from './samples.js';

/** A service and where its /metrics answers. */
export interface MetricsEndpoint extends ScrapeTarget {
  url: string;
}

export interface SamplerOptions {
  /** Resolves the endpoints; asked again (at most every 2 s) when a scrape fails, since a restarted container may move. */
  endpoints: () => Promise<MetricsEndpoint[]>;
  /** The endpoints already resolved (else resolved first). */
  initial?: MetricsEndpoint[];
  intervalMs: number;
  /** Families kept from each scrape. */
  families: readonly string[];
  /** Upper bound of rounds (a forgotten sampler stops by itself). Default: one hour's worth. */
  maxTicks?: number;
  now?: () => number;
}

export interface Sampling {
  readonly targets: readonly ScrapeTarget[];
  /** Stops the loop after the round in flight; the ticks so far. */
  stop(): Promise<Tick[]>;
}

const REFRESH_MS = 2_000;

export async function startSampling(opts: SamplerOptions): Promise<Sampling> {
  const now = opts.now ?? Date.now;
  const maxTicks = opts.maxTicks ?? Math.ceil(3_600_000 / opts.intervalMs);
  const timeoutMs = Math.max(500, Math.min(2_000, opts.intervalMs * 4));
  let endpoints = opts.initial ?? (await opts.endpoints());
  let refreshedAt = now();
  const targets = new Map<string, ScrapeTarget>(endpoints.map((e) => [e.service, { service: e.service, group: e.group }]));
  const ticks: Tick[] = [];
  let stopped = false;

  const scrape = async (e: MetricsEndpoint) => {
    try {
      const res = await fetch(e.url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return null;
      return parseExposition(await res.text(), opts.families);
    } catch {
      return null;
    }
  };

  const loop = (async () => {
    while (!stopped && ticks.length < maxTicks) {
      const started = now();
      const results = await Promise.all(endpoints.map(scrape));
      const tick: Tick = { atMs: started, scrapes: {} };
      endpoints.forEach((e, i) => (tick.scrapes[e.service] = results[i]!));
      // A service whose address is gone (container stopped) did not answer either.
      for (const t of targets.keys()) if (!(t in tick.scrapes)) tick.scrapes[t] = null;
      ticks.push(tick);
      if (results.some((r) => r === null) && now() - refreshedAt >= REFRESH_MS) {
        refreshedAt = now();
        endpoints = await opts.endpoints().catch(() => endpoints);
        for (const e of endpoints) if (!targets.has(e.service)) targets.set(e.service, { service: e.service, group: e.group });
      }
      const wait = opts.intervalMs - (now() - started);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  })();

  return {
    get targets() {
      return [...targets.values()];
    },
    async stop() {
      stopped = true;
      await loop;
      return ticks;
    },
  };
}
