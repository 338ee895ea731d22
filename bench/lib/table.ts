/** The front-door table: rows of "EventFlow vs the limit measured in the same run", as markdown and JSON. */
import type { CostService, CpuPerRequest } from './cpu-cost.js';

export interface BenchRow {
  id: string;
  path: string;
  eventflow: { value: number; unit: string; detail?: string };
  limit: { label: string; value: number; unit: string; detail?: string };
  /** the goal for eventflow/limit; undefined: shown for information */
  goal?: number;
}

export interface BenchTable {
  at: string;
  stack: string;
  machine: { cores: number; memoryGiB: number; cpu: string; kernel: string };
  versions: Record<string, string>;
  settings: { durationS: number; repetitions: number; outageRepetitions: number };
  rows: (BenchRow & { ratio: number; met: boolean | null })[];
  /** "nothing gets worse" bounds measured in the same run (not ratios) */
  guards: Guard[];
  /** where each load's CPU went, per request (lib/cpu-cost.ts) */
  costs?: CostRow[];
  notes: string[];
}

export interface CostRow {
  load: string;
  /** what one unit of the load is: request, transaction, message */
  per: string;
  cpu: CpuPerRequest;
}

/** The cost table's columns: the api nodes are summed (each answers a share of the requests). */
const COST_COLUMNS: Array<{ title: string; services: CostService[] }> = [
  { title: 'NGINX', services: ['nginx'] },
  { title: 'api nodes', services: ['api-1', 'api-2', 'api-3'] },
  { title: 'fault proxy', services: ['proxy'] },
  { title: 'Redis', services: ['redis'] },
  { title: 'PostgreSQL', services: ['postgres'] },
  { title: 'RabbitMQ', services: ['rabbitmq'] },
  { title: 'notifier', services: ['notifier'] },
];

/** The cost table as markdown lines (none without costs). A column nobody used shows –. */
export function renderCosts(costs: CostRow[] | undefined): string[] {
  if (!costs?.length) return [];
  const cell = (c: CpuPerRequest, services: CostService[]): string => {
    const xs = services.map((s) => c[s]).filter((x): x is number => x !== undefined);
    return xs.length ? String(Math.round(xs.reduce((a, b) => a + b, 0))) : '–';
  };
  const total = (c: CpuPerRequest): number => Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
  return [
    '',
    '| CPU per unit of load, µs (containers\' cgroup counters, median) | per | ' + COST_COLUMNS.map((c) => c.title).join(' | ') + ' | all containers |',
    '|---|---|' + COST_COLUMNS.map(() => '---:|').join('') + '---:|',
    ...costs.map((r) => `| ${r.load} | ${r.per} | ${COST_COLUMNS.map((c) => cell(r.cpu, c.services)).join(' | ')} | ${Math.round(total(r.cpu))} |`),
  ];
}

export interface Guard {
  what: string;
  value: number;
  unit: string;
  /** the value must stay at or below this */
  bound: number;
  detail?: string;
}

export function withRatios(rows: BenchRow[]): BenchTable['rows'] {
  return rows.map((r) => {
    const ratio = r.limit.value > 0 ? r.eventflow.value / r.limit.value : 0;
    return { ...r, ratio, met: r.goal === undefined ? null : ratio >= r.goal };
  });
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

export function renderMarkdown(t: BenchTable): string {
  const lines = [
    `| path | EventFlow | the limit, same stack, same run | ratio | goal |`,
    `|---|---|---|---|---|`,
    ...t.rows.map((r) => {
      const ef = `${fmt(r.eventflow.value)} ${r.eventflow.unit}${r.eventflow.detail ? `, ${r.eventflow.detail}` : ''}`;
      const lim = `${r.limit.label}: ${fmt(r.limit.value)} ${r.limit.unit}${r.limit.detail ? `, ${r.limit.detail}` : ''}`;
      const goal = r.goal === undefined ? '—' : `≥ ${r.goal.toFixed(1)} ${r.met ? '✅ met' : '❌ not met'}`;
      return `| ${r.path} | ${ef} | ${lim} | ${r.ratio.toFixed(2)} | ${goal} |`;
    }),
  ];
  const guards = t.guards.length
    ? [
        '',
        '| guard (same run) | measured | bound | |',
        '|---|---|---|---|',
        ...t.guards.map((g) => `| ${g.what} | ${fmt(g.value)} ${g.unit}${g.detail ? ` (${g.detail})` : ''} | ≤ ${fmt(g.bound)} ${g.unit} | ${g.value <= g.bound ? '✅' : '❌'} |`),
      ]
    : [];
  return [
    `Measured ${t.at} on stack \`${t.stack}\` by \`npm run bench front-door\`: ${t.machine.cores} cores (${t.machine.cpu}), ${t.machine.memoryGiB} GiB, ${t.machine.kernel}.`,
    `Each figure is the median of ${t.settings.repetitions} runs of ${t.settings.durationS} s (the PostgreSQL outage rows: ${t.settings.outageRepetitions}).`,
    `Versions: ${Object.entries(t.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')}.`,
    '',
    ...lines,
    ...guards,
    ...renderCosts(t.costs),
    '',
    ...t.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
