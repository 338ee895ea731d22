/**
 * The front door against its limits, side by side in one run on one running stack (issue 10):
 * `wrk` through NGINX vs one api node directly, `pgbench` of the naive purchase inside the stack's
 * PostgreSQL, a raw confirm-publisher against the stack's RabbitMQ, and the notifier's drain after a
 * PostgreSQL outage. Writes docs/benchmarks.md and docs/benchmarks.json (EVENTFLOW_BENCH_OUT to change).
 *
 *   EVENTFLOW_BENCH_STACK (EVENTFLOW_STACK or "default")  EVENTFLOW_BENCH_SECONDS (5)
 *   EVENTFLOW_BENCH_REPS (3)  EVENTFLOW_BENCH_OUTAGE_REPS (1)
 *   EVENTFLOW_BENCH_ROWS: comma-separated row ids to measure (default all: ROW_IDS), e.g.
 *   `purchase-async-gateway,drain` while working on one path; only the measurements those rows need run,
 *   and the partial table is printed, written only to EVENTFLOW_BENCH_OUT when set.
 * Needs `wrk` on the host and a running stack; touches only loopback and the stack's containers.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { medianCost, withCpuCost, type CpuPerRequest } from './lib/cpu-cost.js';
import { eventflowGenerator, type GeneratorResult } from './lib/load-generator.js';
import { pgbench } from './lib/pgbench.js';
import { rawConfirmPublish } from './lib/raw-publish.js';
import { accessStack, waitForPostgres, type StackAccess } from './lib/stack-access.js';
import { renderMarkdown, withRatios, type BenchRow, type BenchTable, type CostRow, type Guard } from './lib/table.js';
import { purchaseScript, wrk, type WrkResult } from './lib/wrk.js';
import { median } from './lib/median.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** A bench-only event (not a migration): big enough that no run sells it out, topped up before each run. */
const BENCH_EVENT = 900;
const BENCH_STOCK = 10_000_000;
const READ_CONNECTIONS = 32;
/** the catalogue's fresh copy lives 2 s in Redis (system/api/catalogue.ts); a little more to be sure it expired */
const CATALOGUE_FRESH_MS = 2200;
const PURCHASE_CONNECTIONS = 16;
const GENERATOR_CONNECTIONS = 64;

/** The rows of the table, in order; EVENTFLOW_BENCH_ROWS picks some of them. */
export const ROW_IDS = ['reads-events', 'reads-health', 'load-generator', 'purchase-sync-gateway', 'purchase-sync-direct', 'purchase-async-gateway', 'drain'] as const;
type RowId = (typeof ROW_IDS)[number];

/** The rows named by EVENTFLOW_BENCH_ROWS (all when unset); an unknown id is an error naming the known ones. */
export function selectedRows(spec: string | undefined): Set<RowId> {
  if (!spec?.trim()) return new Set(ROW_IDS);
  const ids = spec.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(ROW_IDS as readonly string[]).includes(id));
  if (unknown.length) throw new Error(`EVENTFLOW_BENCH_ROWS: unknown row id(s) ${unknown.join(', ')}; known: ${ROW_IDS.join(', ')}`);
  return new Set(ids as RowId[]);
}

const medianOf = <T>(xs: T[], f: (x: T) => number): number => median(xs.map(f));
const log = (msg: string): void => void process.stdout.write(`[bench front-door] ${msg}\n`);
const wrkDetail = (rs: WrkResult[]): string =>
  `p50 ${medianOf(rs, (r) => r.p50Ms).toFixed(1)} ms, p99 ${medianOf(rs, (r) => r.p99Ms).toFixed(1)} ms` +
  (rs.some((r) => r.non2xx + r.socketErrors > 0) ? `, errors ${rs.reduce((s, r) => s + r.non2xx + r.socketErrors, 0)}` : '');

async function prepareBenchEvent(s: StackAccess): Promise<void> {
  await s.query(
    `INSERT INTO events (id, name, venue, starts_at, unit_price_cents, capacity, remaining)
     VALUES ($1, 'Benchmark Hall (bench/front-door.ts)', 'Loopback', '2030-12-31T20:00:00Z', 4500, $2, $2) ON CONFLICT (id) DO NOTHING`,
    [BENCH_EVENT, BENCH_STOCK],
  );
  // capacity and remaining rise together: confirmed + remaining = capacity still holds for the checker
  await s.query('UPDATE events SET capacity = capacity + $2, remaining = remaining + $2 WHERE id = $1 AND remaining < $2 / 2', [BENCH_EVENT, BENCH_STOCK]);
}

async function versions(s: StackAccess, rabbitmq: string): Promise<Record<string, string>> {
  const first = async (p: Promise<{ stdout: string; stderr: string }>): Promise<string> => {
    const r = await p;
    return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
  };
  return {
    node: process.version,
    nginx: (await first(execa('docker', ['exec', s.container('nginx'), 'nginx', '-v'], { reject: false }))).replace('nginx version: nginx/', ''),
    postgres: (await first(execa('docker', ['exec', s.container('postgres'), 'postgres', '--version'], { reject: false }))).replace('postgres (PostgreSQL) ', ''),
    rabbitmq,
    wrk: (await first(execa('wrk', ['-v'], { reject: false }))).split(' ')[1] ?? 'unknown',
    docker: await first(execa('docker', ['version', '-f', '{{.Server.Version}}'], { reject: false })),
  };
}

/** Run `a` and `b` alternately `reps` times (side by side, so host noise hits both). */
/** The cost table's loads, in order: the key `measure` recorded them under, and how the table names them. */
const COST_LOADS: Array<{ key: string; load: string; per: string }> = [
  { key: 'gateway /events', load: '`GET /events` through NGINX', per: 'request' },
  { key: 'direct /events', load: '`GET /events` on one node directly', per: 'request' },
  { key: 'gateway /health/node', load: '`GET /health/node` through NGINX', per: 'request' },
  { key: 'direct /health/node', load: '`GET /health/node` on one node directly', per: 'request' },
  { key: 'gateway /nginx-health', load: 'NGINX static `/nginx-health`', per: 'request' },
  { key: 'gateway sync', load: '`POST /purchase`, synchronous, through NGINX', per: 'request' },
  { key: 'direct sync', load: 'the same POST on one node directly', per: 'request' },
  { key: 'pgbench', load: '`pgbench` of the naive transaction (client inside the PostgreSQL container)', per: 'transaction' },
  { key: 'async', load: '`POST /purchase` with PostgreSQL killed (async path) through NGINX', per: 'request' },
  { key: 'publish', load: 'raw persistent publish with confirms (client on the host)', per: 'message' },
];

/** Wraps a load so that the stack's CPU per request it answered is recorded under `key` (lib/cpu-cost.ts). */
type Measure = <T>(key: string, load: () => Promise<T>, answered: (r: T) => number) => () => Promise<T>;

async function sideBySide<A, B>(reps: number, label: string, a: () => Promise<A>, b: () => Promise<B>): Promise<{ a: A[]; b: B[] }> {
  const out = { a: [] as A[], b: [] as B[] };
  for (let i = 0; i < reps; i++) {
    out.a.push(await a());
    out.b.push(await b());
    log(`${label}: repetition ${i + 1}/${reps} done`);
  }
  return out;
}

async function countOrders(s: StackAccess, prefix: string): Promise<number> {
  const rows = await s.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE idempotency_key LIKE $1', [`${prefix}-%`]);
  return Number(rows[0]?.n ?? 0);
}

/**
 * POSTs through the gateway with PostgreSQL killed (the async path), then PostgreSQL started and the
 * drain timed from the first persisted order to the last (the notifier's reconnect backoff excluded).
 */
/** Latencies (ms) of `n` purchases sent one after another (no concurrency): what one buyer waits. */
async function sequentialPurchases(url: string, prefix: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `${prefix}-seq-${i}` },
      body: JSON.stringify({ eventId: BENCH_EVENT, quantity: 1, email: `seq${i}@bench.example` }),
      signal: AbortSignal.timeout(10_000),
    });
    await r.arrayBuffer();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * EventFlow's load generator against `wrk` on the same endpoint with the same connections: wrk first
 * (closed loop, as fast as it can), then the generator at a constant arrival rate of what wrk achieved.
 */
async function generatorVsWrk(url: string, path: string, reps: number, durationS: number): Promise<{ wrk: WrkResult[]; generator: GeneratorResult[] }> {
  const out = { wrk: [] as WrkResult[], generator: [] as GeneratorResult[] };
  for (let i = 0; i < reps; i++) {
    const w = await wrk({ url: `${url}${path}`, connections: GENERATOR_CONNECTIONS, durationS });
    out.wrk.push(w);
    out.generator.push(await eventflowGenerator({ origin: url, path, rate: Math.max(1, Math.round(w.rps)), durationS, connections: GENERATOR_CONNECTIONS }));
    log(`load generator vs wrk: repetition ${i + 1}/${reps} done`);
  }
  return out;
}

function generatorDetail(gs: GeneratorResult[]): string {
  const missed = gs.reduce((n, g) => n + g.load.missed, 0);
  const planned = gs.reduce((n, g) => n + g.load.planned, 0);
  const errors = gs.reduce((n, g) => n + g.errors, 0);
  return (
    `${missed} of ${planned} arrivals missed, sends late p99 ${medianOf(gs, (g) => g.load.sendLag?.p99 ?? 0).toFixed(1)} ms, ` +
    `p50 ${medianOf(gs, (g) => g.load.latency.p50).toFixed(1)} ms, p99 ${medianOf(gs, (g) => g.load.latency.p99).toFixed(1)} ms from the intended send time` +
    (errors ? `, errors ${errors}` : '')
  );
}

/** The largest resident set of the api nodes, read from their own metrics (process_resident_memory_bytes). */
async function apiRssMiB(s: StackAccess, nodes: string[]): Promise<{ max: number; detail: string }> {
  const per: string[] = [];
  let max = 0;
  for (const n of nodes) {
    const text = await (await fetch(`http://${await s.ip(n)}:3000/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const m = /^\w*process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(text);
    const mib = m ? Number(m[1]) / 2 ** 20 : NaN;
    per.push(`${n} ${mib.toFixed(0)}`);
    if (mib > max) max = mib;
  }
  return { max, detail: per.join(', ') };
}

/**
 * Make the catalogue's last known copy in Redis (what the async path prices from) include the bench event:
 * once the fresh copy has expired, a listing reloads it from PostgreSQL and stores both copies.
 */
async function refreshCatalogue(base: string): Promise<void> {
  await new Promise((r) => setTimeout(r, CATALOGUE_FRESH_MS));
  const r = await fetch(`${base}/events`, { signal: AbortSignal.timeout(10_000) });
  const listed = (await r.json()) as { events?: Array<{ id: number }> };
  if (!listed.events?.some((e) => e.id === BENCH_EVENT)) throw new Error(`GET ${base}/events does not list the bench event ${BENCH_EVENT} (HTTP ${r.status})`);
}

async function outageAndDrain(s: StackAccess, gateway: string, durationS: number, measure: Measure): Promise<{ accepted: WrkResult; drainRate: number; drained: number; acknowledged: number; deadDbMs: number[] }> {
  const prefix = `bench-async-${randomUUID().slice(0, 8)}`;
  await refreshCatalogue(gateway.replace(/\/purchase$/, ''));
  await execa('docker', ['kill', s.container('postgres')]);
  let accepted: WrkResult;
  let warm: WrkResult;
  let deadDbMs: number[];
  try {
    // not measured: lets every node's breaker see the outage, as a sale that is already running would
    warm = await wrk({ url: gateway, connections: PURCHASE_CONNECTIONS, durationS: 2, script: purchaseScript(BENCH_EVENT, `${prefix}-warm`) });
    deadDbMs = await sequentialPurchases(gateway, prefix, 40);
    accepted = await measure('async', () => wrk({ url: gateway, connections: PURCHASE_CONNECTIONS, durationS, script: purchaseScript(BENCH_EVENT, prefix) }), (r) => r.requests)();
  } finally {
    await execa('docker', ['start', s.container('postgres')]);
  }
  await waitForPostgres(s);
  // wait until the count stops rising (the drain is over), then time it from the orders' own commit times
  const deadline = Date.now() + 180_000;
  let last = { n: 0, t: performance.now() };
  let stableSince = performance.now();
  while (Date.now() < deadline) {
    const n = await countOrders(s, prefix).catch(() => last.n);
    const t = performance.now();
    if (n > last.n) {
      last = { n, t };
      stableSince = t;
    } else if (t - stableSince > 3000 && (last.n > 0 || t - stableSince > 60_000)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { drainRate } = await drainTiming(s, prefix);
  const acknowledged = accepted.requests - accepted.non2xx + warm.requests - warm.non2xx + deadDbMs.length;
  return { accepted, drainRate, drained: last.n, acknowledged, deadDbMs };
}

/**
 * The drain's rate from the orders' commit times (`persisted_at` is its transaction's start, one per batch):
 * the orders of every transaction after the first over the time from the first to the last. Neither the
 * notifier's reconnect backoff nor the poll interval is in it. One transaction only: no rate (0).
 */
async function drainTiming(s: StackAccess, prefix: string): Promise<{ drainRate: number }> {
  const [r] = await s.query<{ after_first: number; span_ms: number | null }>(
    `WITH d AS (SELECT persisted_at FROM orders WHERE idempotency_key LIKE $1)
     SELECT count(*) FILTER (WHERE persisted_at > (SELECT min(persisted_at) FROM d))::int AS after_first,
            (extract(epoch FROM max(persisted_at) - min(persisted_at)) * 1000)::float8 AS span_ms
       FROM d`,
    [`${prefix}-%`],
  );
  return { drainRate: r && r.span_ms ? r.after_first / (r.span_ms / 1000) : 0 };
}

export async function run(): Promise<void> {
  const stack = process.env.EVENTFLOW_BENCH_STACK ?? process.env.EVENTFLOW_STACK ?? 'default';
  const durationS = Math.max(1, Math.min(60, Number(process.env.EVENTFLOW_BENCH_SECONDS ?? 5)));
  const reps = Math.max(1, Math.min(10, Number(process.env.EVENTFLOW_BENCH_REPS ?? 3)));
  const outageReps = Math.max(1, Math.min(5, Number(process.env.EVENTFLOW_BENCH_OUTAGE_REPS ?? 1)));
  const want = selectedRows(process.env.EVENTFLOW_BENCH_ROWS);
  // a partial table never replaces docs/benchmarks.md: it is written only where EVENTFLOW_BENCH_OUT says
  const outDir = process.env.EVENTFLOW_BENCH_OUT ?? (want.size === ROW_IDS.length ? join(ROOT, 'docs') : undefined);
  const s = await accessStack(stack);
  const nginx = `http://${await s.ip('nginx')}:80`;
  const node = `http://${await s.ip('api-1')}:3000`;
  await prepareBenchEvent(s);
  const costs = new Map<string, CpuPerRequest[]>();
  const measure: Measure = (key, load, answered) => async () => {
    const { result, cpu } = await withCpuCost(stack, load, answered);
    costs.set(key, [...(costs.get(key) ?? []), cpu]);
    return result;
  };
  const requests = (r: WrkResult): number => r.requests;
  const get = (base: string, path: string) => measure(`${base === nginx ? 'gateway' : 'direct'} ${path}`, () => wrk({ url: `${base}${path}`, connections: READ_CONNECTIONS, durationS }), requests);
  const post = (base: string) =>
    measure(`${base === nginx ? 'gateway' : 'direct'} sync`, () => wrk({ url: `${base}/purchase`, connections: PURCHASE_CONNECTIONS, durationS, script: purchaseScript(BENCH_EVENT, `bench-sync-${randomUUID().slice(0, 8)}`) }), requests);

  const skip = async <A, B>(): Promise<{ a: A[]; b: B[] }> => ({ a: [], b: [] });
  const needPgbench = want.has('purchase-sync-gateway') || want.has('purchase-sync-direct') || want.has('drain');
  const needOutage = want.has('purchase-async-gateway') || want.has('drain');

  log(`stack "${stack}", gateway ${nginx}, node api-1 ${node}, ${reps} × ${durationS} s, rows: ${[...want].join(', ')}`);
  const events = want.has('reads-events') ? await sideBySide(reps, 'GET /events', get(nginx, '/events'), get(node, '/events')) : await skip<WrkResult, WrkResult>();
  const health = want.has('reads-health') ? await sideBySide(reps, 'GET /health/node', get(nginx, '/health/node'), get(node, '/health/node')) : await skip<WrkResult, WrkResult>();
  const staticHealth = want.has('reads-health') ? await sideBySide(reps, 'GET /nginx-health', get(nginx, '/nginx-health'), async () => undefined) : await skip<WrkResult, undefined>();
  const generator = want.has('load-generator') ? await generatorVsWrk(nginx, '/nginx-health', reps, durationS) : { wrk: [], generator: [] };
  const pgb = measure('pgbench', () => pgbench(s, { eventId: BENCH_EVENT, clients: PURCHASE_CONNECTIONS, durationS }), (r) => r.transactions);
  const syncGateway = needPgbench
    ? await sideBySide(reps, want.has('purchase-sync-gateway') ? 'POST /purchase via NGINX vs pgbench' : 'pgbench', want.has('purchase-sync-gateway') ? post(nginx) : async () => undefined, pgb)
    : await skip<WrkResult | undefined, Awaited<ReturnType<typeof pgb>>>();
  const syncDirect = want.has('purchase-sync-direct') ? await sideBySide(reps, 'POST /purchase on api-1', post(node), async () => undefined) : await skip<WrkResult, undefined>();
  const pgTps = needPgbench ? medianOf(syncGateway.b, (r) => r.tps) : 0;

  const rss = await apiRssMiB(s, ['api-1', 'api-2', 'api-3']);
  const publish = want.has('purchase-async-gateway')
    ? await sideBySide(outageReps, 'raw confirm-publish', measure('publish', async () => rawConfirmPublish(await s.amqpUrl(), { inFlight: PURCHASE_CONNECTIONS, durationS }), (r) => r.published), async () => undefined)
    : await skip<Awaited<ReturnType<typeof rawConfirmPublish>>, undefined>();
  const outage: Awaited<ReturnType<typeof outageAndDrain>>[] = [];
  for (let i = 0; needOutage && i < outageReps; i++) {
    outage.push(await outageAndDrain(s, `${nginx}/purchase`, durationS, measure));
    log(`PostgreSQL outage ${i + 1}/${outageReps}: ${outage.at(-1)!.accepted.requests} answered, drain ${outage.at(-1)!.drainRate.toFixed(0)}/s`);
  }

  const rps = (rs: WrkResult[]): number => medianOf(rs, (r) => r.rps);
  const syncGatewayWrk = syncGateway.a.filter((r): r is WrkResult => r !== undefined);
  const allRows: Record<RowId, () => BenchRow> = {
    'reads-events': () => ({
      id: 'reads-events',
      path: `\`GET /events\` through NGINX (3 nodes), ${READ_CONNECTIONS} connections`,
      eventflow: { value: rps(events.a), unit: 'rps', detail: wrkDetail(events.a) },
      limit: { label: 'one api node directly', value: rps(events.b), unit: 'rps', detail: wrkDetail(events.b) },
      goal: 0.8,
    }),
    'reads-health': () => ({
      id: 'reads-health',
      path: '`GET /health/node` through NGINX',
      eventflow: { value: rps(health.a), unit: 'rps', detail: wrkDetail(health.a) },
      limit: { label: 'one node directly', value: rps(health.b), unit: 'rps', detail: `NGINX static \`/nginx-health\`: ${Math.round(rps(staticHealth.a))} rps` },
      goal: 0.8,
    }),
    'load-generator': () => ({
      id: 'load-generator',
      path: `the load generator: reads at a constant arrival rate (= wrk's rps), NGINX static \`/nginx-health\`, ${GENERATOR_CONNECTIONS} connections`,
      eventflow: { value: medianOf(generator.generator, (g) => g.load.achievedRps), unit: 'rps', detail: generatorDetail(generator.generator) },
      limit: { label: '`wrk`, same endpoint and connections', value: rps(generator.wrk), unit: 'rps', detail: wrkDetail(generator.wrk) },
      goal: 0.8,
    }),
    'purchase-sync-gateway': () => ({
      id: 'purchase-sync-gateway',
      path: `\`POST /purchase\`, synchronous, through NGINX, ${PURCHASE_CONNECTIONS} connections`,
      eventflow: { value: rps(syncGatewayWrk), unit: 'tps', detail: wrkDetail(syncGatewayWrk) },
      limit: { label: `\`pgbench\` of the naive transaction, ${PURCHASE_CONNECTIONS} clients`, value: pgTps, unit: 'tps' },
      goal: 0.8,
    }),
    'purchase-sync-direct': () => ({
      id: 'purchase-sync-direct',
      path: 'the same POST on one node directly',
      eventflow: { value: rps(syncDirect.a), unit: 'tps', detail: wrkDetail(syncDirect.a) },
      limit: { label: '`pgbench`', value: pgTps, unit: 'tps' },
    }),
    'purchase-async-gateway': () => ({
      id: 'purchase-async-gateway',
      path: '`POST /purchase` with PostgreSQL killed (async path) through NGINX',
      eventflow: { value: median(outage.map((o) => o.accepted.rps)), unit: 'rps', detail: wrkDetail(outage.map((o) => o.accepted)) },
      limit: { label: `persistent publish with confirms, ${PURCHASE_CONNECTIONS} in flight`, value: medianOf(publish.a, (p) => p.rate), unit: 'msg/s' },
      goal: 0.5,
    }),
    drain: () => ({
      id: 'drain',
      path: 'drain after that outage',
      eventflow: {
        value: median(outage.map((o) => o.drainRate)),
        unit: 'orders/s',
        detail: outage.map((o) => `${o.drained} of ${o.acknowledged} acknowledged persisted`).join('; '),
      },
      limit: { label: '`pgbench`', value: pgTps, unit: 'tps' },
      goal: 1.0,
    }),
  };
  const rows: BenchRow[] = ROW_IDS.filter((id) => want.has(id)).map((id) => allRows[id]());
  const table: BenchTable = {
    at: new Date().toISOString(),
    stack,
    machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), cpu: cpus()[0]?.model.trim() ?? 'unknown', kernel: `Linux ${release()}` },
    versions: await versions(s, publish.a[0]?.serverVersion ?? 'not measured'),
    settings: { durationS, repetitions: reps, outageRepetitions: outageReps },
    rows: withRatios(rows),
    guards: [
      { what: 'largest api node RSS after the read and purchase loads (`process_resident_memory_bytes`)', value: rss.max, unit: 'MiB', bound: 100, detail: rss.detail },
      ...(needOutage ? [{
        what: 'one purchase with PostgreSQL dead (breaker open), 40 sent one after another through NGINX, median',
        value: median(outage.flatMap((o) => o.deadDbMs)),
        unit: 'ms',
        bound: 20,
        detail: `p99 ${[...outage.flatMap((o) => o.deadDbMs)].sort((a, b) => a - b)[Math.floor(outage.flatMap((o) => o.deadDbMs).length * 0.99)]?.toFixed(1)} ms`,
      }] : []),
    ] satisfies Guard[],
    costs: COST_LOADS.filter((l) => costs.has(l.key)).map((l): CostRow => ({ load: l.load, per: l.per, cpu: medianCost(costs.get(l.key)!) })),
    notes: [
      'Direct = the api node\'s address on the stack network (it publishes no port); NGINX is measured at its own address, so both go through the same client and path.',
      `Purchases buy the bench-only event ${BENCH_EVENT} (inserted by the bench, stock topped up before each run), one unique Idempotency-Key per request (wrk Lua script).`,
      'Load generator = `cli/scenario/traffic.ts` as a `load:` step runs it (every attempt recorded in a history, latency from the intended send time into an HDR histogram); its rate is what `wrk` achieved just before, so a ratio below 1 is arrivals it missed or sent late.',
      'Drain = orders persisted per second after PostgreSQL returns, from the orders\' commit times (`persisted_at`, one per notifier transaction): the orders of every transaction after the first over the time from the first to the last (the notifier\'s reconnect backoff and the bench\'s polling are not in it). "Acknowledged" counts the 2xx answers wrk saw; requests still in flight when wrk stops are accepted and persisted too, so persisted can exceed it by up to the connection count.',
      'CPU per unit of load = each container\'s CPU time (user + kernel, from the engine\'s cgroup counters) over the load, divided by the requests, transactions or messages it answered; a stopped container (PostgreSQL in the outage) is –, and the client (wrk, the raw publisher) runs on the host and is not counted, except pgbench, which runs inside the PostgreSQL container. On a host whose cores are all busy, throughput is roughly cores ÷ the sum of a row.',
      'The host is shared: figures are comparable within one run (ratios), not across machines.',
    ],
  };
  const md = renderMarkdown(table);
  if (outDir === undefined) {
    process.stdout.write(`${md}\nnot written (a subset of the rows; set EVENTFLOW_BENCH_OUT to keep it)\n`);
    return;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'benchmarks.md'), `# Benchmarks: the front door against its limits\n\nThe latest \`npm run bench front-door\`; the figures before issue 10 and what each change bought: [benchmarks-before.md](benchmarks-before.md).\n\n${md}`);
  writeFileSync(join(outDir, 'benchmarks.json'), `${JSON.stringify(table, null, 2)}\n`);
  process.stdout.write(`${md}\nwritten: ${join(outDir, 'benchmarks.md')}, benchmarks.json\n`);
}
