/**
 * The run's fault windows on the stack's Grafana dashboards: a subscriber of the
 * engine's events that posts each fault window as an organization annotation
 * (POST /api/annotations, Basic auth with the stack's generated Grafana
 * credentials) as soon as it is healed, and the windows it did not hear about
 * (a restart's, or ones rollback closed) when the run ends. Best effort: a post
 * that fails is a warning in the report, never a failed run.
 */
import { request, type Dispatcher } from 'undici';
import type { FaultWindow, GrafanaRunInfo } from '../../reports/model.js';
import type { RunDashboards } from '../scenario/engine.js';
import type { StackHandle } from '../stack/types.js';
import type { EngineEvent, EngineEventType, EventOf } from '../scenario/events.js';
import { FAULT_ANNOTATION_TAG, readDashboards, type DashboardRef } from './dashboards.js';
import { grafanaBaseUrl, runDashboardLinks } from './links.js';

export interface GrafanaCredentials {
  user: string;
  password: string;
}

/** The body of Grafana's "create annotation" request (times in epoch ms; no dashboardUID: an organization annotation). */
export interface FaultAnnotation {
  time: number;
  timeEnd: number;
  tags: string[];
  text: string;
}

export interface PostOptions {
  /** Per request (headers and body); default 5 s. */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export function annotationTags(runId: string, faultKind: string): string[] {
  return [FAULT_ANNOTATION_TAG, runId, faultKind];
}

/** A window still open when the run ends lasts until then. */
export function faultAnnotation(w: FaultWindow, run: { runId: string; scenario: string; endMs: number }): FaultAnnotation {
  const end = w.endMs ?? run.endMs;
  const healed = w.endMs === undefined ? 'still open when the run ended' : `healed by ${w.healedBy ?? 'rollback'} after ${((end - w.startMs) / 1000).toFixed(1)} s`;
  return {
    time: Math.floor(w.startMs),
    timeEnd: Math.max(Math.floor(w.startMs), Math.ceil(end)),
    tags: annotationTags(run.runId, w.action),
    text: `${w.action} ${w.service}: ${healed} (EventFlow scenario ${run.scenario}, run ${run.runId})`,
  };
}

/** POST <base>/api/annotations; resolves with the annotation's id, rejects with what Grafana (or the network) said. */
export async function postAnnotation(base: string, credentials: GrafanaCredentials, annotation: FaultAnnotation, opts: PostOptions = {}): Promise<number> {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = `${base}/api/annotations`;
  const res = await request(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(annotation),
    headersTimeout: timeout,
    bodyTimeout: timeout,
    dispatcher: opts.dispatcher,
  });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`POST ${url}: HTTP ${res.statusCode} ${text.slice(0, 200)}`.trim());
  const id = (JSON.parse(text) as { id?: unknown }).id;
  if (typeof id !== 'number') throw new Error(`POST ${url}: HTTP ${res.statusCode} without an annotation id: ${text.slice(0, 200)}`);
  return id;
}

export interface GrafanaRunOptions extends PostOptions {
  credentials: GrafanaCredentials;
  /** Default: the files in dashboards/json. */
  dashboards?: readonly DashboardRef[];
}

/** The engine's RunDashboards for a stack with Grafana (the command passes it only then). */
export function grafanaRunDashboards(opts: GrafanaRunOptions): RunDashboards {
  const run = { runId: '', scenario: '', base: undefined as string | undefined };
  const posted = new Set<FaultWindow>();
  const inFlight: Promise<void>[] = [];
  const failures: string[] = [];
  let ok = 0;

  const post = (w: FaultWindow, endMs: number): void => {
    if (run.base === undefined || posted.has(w)) return;
    posted.add(w);
    const annotation = faultAnnotation(w, { ...run, endMs });
    inFlight.push(
      postAnnotation(run.base, opts.credentials, annotation, opts).then(
        () => void ok++,
        (e: unknown) => void failures.push(`${w.action} ${w.service}: ${(e as Error).message}`),
      ),
    );
  };

  const on: { [T in EngineEventType]?: (e: EventOf<T>) => void } = {
    'run-started': (e) => Object.assign(run, { runId: e.runId, scenario: e.scenario }),
    'stack-connected': (e) => (run.base = e.gateway ? grafanaBaseUrl(e.gateway) : undefined),
    'fault-healed': (e) => post(e.window, e.atMs),
  };

  return {
    listener: (event: EngineEvent) => (on[event.type] as ((e: EngineEvent) => void) | undefined)?.(event),
    async finish({ startMs, endMs, windows }) {
      for (const w of windows) post(w, endMs);
      await Promise.all(inFlight);
      const info: GrafanaRunInfo = {
        dashboards: run.base === undefined ? [] : runDashboardLinks(run.base, opts.dashboards ?? readDashboards(), { startMs, endMs }),
        annotations: { tags: [FAULT_ANNOTATION_TAG, run.runId], posted: ok, failed: failures.length },
      };
      const warnings = failures.length
        ? [`Grafana annotations: ${failures.length} of ${posted.size} fault window(s) not posted (the run's result does not depend on them): ${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`]
        : [];
      return { info, warnings };
    },
  };
}

/** A fresh RunDashboards per run when the stack has Grafana (its generated credentials say so), else undefined. */
export function stackRunDashboards(stack: StackHandle): RunDashboards | undefined {
  return stack.credentials.grafana ? grafanaRunDashboards({ credentials: stack.credentials.grafana }) : undefined;
}
