/**
 * EventFlow's own load generator (cli/scenario/traffic.ts) run the way a `load:` step runs it:
 * reads at a constant arrival rate, every attempt recorded into a history, latency from the intended
 * send time, missed arrivals counted. The front-door bench runs it against `wrk` on the same endpoint.
 */
import type { LoadResult, Op } from '../../reports/model.js';
import { createAgent, nowMs, runLoad } from '../../cli/scenario/traffic.js';

export interface GeneratorOptions {
  /** origin, e.g. http://172.18.0.5:80 */
  origin: string;
  path: string;
  /** arrivals per second */
  rate: number;
  durationS: number;
  /** connections (the step's concurrency) */
  connections: number;
}

export interface GeneratorResult {
  load: LoadResult;
  /** attempts that got no 2xx (HTTP status or a network error) */
  errors: number;
}

export async function eventflowGenerator(o: GeneratorOptions): Promise<GeneratorResult> {
  const agent = createAgent(o.connections);
  const history: Op[] = [];
  let opId = 0;
  let key = 0;
  try {
    // Connections opened before the schedule starts (as wrk opens them before it counts).
    await Promise.all(Array.from({ length: o.connections }, async () => (await agent.request({ origin: o.origin, path: o.path, method: 'GET' })).body.dump()));
    const load = await runLoad(
      {
        stepId: 'bench',
        purchases: 0,
        reads: 1,
        rate: o.rate,
        durationMs: o.durationS * 1000,
        concurrency: o.connections,
        eventId: 0,
        quantity: 1,
        readPath: o.path,
        timeoutMs: 5_000,
        email: 'bench@eventflow.test',
        client: { keyless: 0, duplicate: 0 },
      },
      { gateway: o.origin, agent, nextOpId: () => ++opId, nextKey: () => `bench-${++key}`, record: (op) => history.push(op), now: nowMs },
    );
    return { load, errors: history.filter((op) => op.httpStatus === undefined || op.httpStatus >= 300).length };
  } finally {
    await agent.close();
  }
}
