/**
 * The annotation poster against a real HTTP server on 127.0.0.1 that records what
 * it receives. It checks the request contract of Grafana's annotations API
 * (POST /api/annotations, Basic auth, JSON {time, timeEnd, tags, text} in epoch
 * ms, an {id} back) as Grafana documents it — not Grafana itself, which cannot
 * run on machines without an image registry.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultWindow } from '../../reports/model.js';
import { createEngineEvents } from '../scenario/events.js';
import { FAULT_ANNOTATION_TAG } from './dashboards.js';
import { faultAnnotation, grafanaRunDashboards, postAnnotation, type FaultAnnotation } from './annotations.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: FaultAnnotation;
}

/** Answers like Grafana's create-annotation endpoint, or with `status` when it is set. */
class RecordingServer {
  readonly received: Received[] = [];
  status = 200;
  private server?: Server;
  private nextId = 1;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: JSON.parse(text || 'null') as FaultAnnotation });
        res.writeHead(this.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.status === 200 ? { message: 'Annotation added', id: this.nextId++ } : { message: 'Unauthorized' }));
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((ok) => this.server!.close(() => ok()));
  }
}

const credentials = { user: 'eventflow-abc123', password: 's3cret' };
const basic = `Basic ${Buffer.from('eventflow-abc123:s3cret').toString('base64')}`;
const dashboards = [{ uid: 'eventflow-resilience', title: 'EventFlow — resilience', slug: 'eventflow-resilience' }];
const grafana = new RecordingServer();

beforeAll(() => grafana.start());
afterAll(() => grafana.stop());
beforeEach(() => {
  grafana.received.length = 0;
  grafana.status = 200;
});

/** Plays a run through the event stream the engine uses; returns what finish() says. */
async function playRun(gateway: string, windows: { heard: FaultWindow[]; unheard: FaultWindow[] }, endMs: number) {
  let now = 1_000;
  const events = createEngineEvents(() => now);
  const poster = grafanaRunDashboards({ credentials, dashboards, timeoutMs: 2_000 });
  events.subscribe(poster.listener);
  events.emit({ type: 'run-started', runId: 'run-42', scenario: 'db-outage', startMs: 1_000 });
  events.emit({ type: 'stack-connected', runId: 'run-42', scenario: 'db-outage', stackId: 's', gateway });
  for (const w of windows.heard) {
    now = w.endMs!;
    events.emit({ type: 'fault-healed', window: w });
  }
  return poster.finish({ startMs: 1_000, endMs, windows: [...windows.heard, ...windows.unheard] });
}

describe("fault annotations: the request contract of Grafana's annotations API (a recording HTTP server, not Grafana)", () => {
  it('POSTs one organization annotation: Basic auth, JSON, time/timeEnd in epoch ms, tags [eventflow, run id, fault kind], text', async () => {
    const w: FaultWindow = { service: 'postgres', action: 'kill', startMs: 1_764_300_000_123.7, endMs: 1_764_300_001_456.2, healedBy: 'start' };
    const id = await postAnnotation(`${grafana.base}/grafana`, credentials, faultAnnotation(w, { runId: 'run-1', scenario: 'db-outage', endMs: 0 }));
    expect(id).toBe(1);
    expect(grafana.received).toHaveLength(1);
    const r = grafana.received[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/grafana/api/annotations');
    expect(r.headers.authorization).toBe(basic);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toEqual({
      time: 1_764_300_000_123,
      timeEnd: 1_764_300_001_457,
      tags: [FAULT_ANNOTATION_TAG, 'run-1', 'kill'],
      text: expect.stringMatching(/^kill postgres: healed by start after 1\.3 s \(EventFlow scenario db-outage, run run-1\)$/),
    });
    // no dashboardUID/panelId: an organization annotation, shown by tag on every dashboard
    expect(Object.keys(r.body).sort()).toEqual(['tags', 'text', 'time', 'timeEnd']);
  });

  it('a run posts each healed window when it hears of it and the rest (a restart, a window left open) when it ends', async () => {
    const kill: FaultWindow = { service: 'postgres', action: 'kill', startMs: 2_000, endMs: 5_000, healedBy: 'start' };
    const restart: FaultWindow = { service: 'api-2', action: 'restart', startMs: 6_000, endMs: 7_500, healedBy: 'restart' };
    const open: FaultWindow = { service: 'redis', action: 'latency', startMs: 8_000 };
    const result = await playRun(grafana.base, { heard: [kill], unheard: [kill, restart, open] }, 9_000);
    expect(result.warnings).toEqual([]);
    expect(grafana.received.map((r) => [r.body.tags, r.body.time, r.body.timeEnd])).toEqual([
      [[FAULT_ANNOTATION_TAG, 'run-42', 'kill'], 2_000, 5_000],
      [[FAULT_ANNOTATION_TAG, 'run-42', 'restart'], 6_000, 7_500],
      [[FAULT_ANNOTATION_TAG, 'run-42', 'latency'], 8_000, 9_000],
    ]);
    expect(grafana.received[2]!.body.text).toContain('still open when the run ended');
    expect(result.info.annotations).toEqual({ tags: [FAULT_ANNOTATION_TAG, 'run-42'], posted: 3, failed: 0 });
    expect(result.info.dashboards).toEqual([{ uid: 'eventflow-resilience', title: 'EventFlow — resilience', url: `${grafana.base}/grafana/d/eventflow-resilience/eventflow-resilience?orgId=1&from=-29000&to=39000` }]);
  });

  it('Grafana refusing the posts is one warning, and finish still resolves with the links', async () => {
    grafana.status = 401;
    const windows: FaultWindow[] = [
      { service: 'postgres', action: 'kill', startMs: 2_000, endMs: 3_000 },
      { service: 'redis', action: 'stop', startMs: 2_500, endMs: 3_500 },
    ];
    const result = await playRun(grafana.base, { heard: [], unheard: windows }, 4_000);
    expect(grafana.received).toHaveLength(2);
    expect(result.info.annotations).toMatchObject({ posted: 0, failed: 2 });
    expect(result.info.dashboards).toHaveLength(1);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^Grafana annotations: 2 of 2 fault window\(s\) not posted .*kill postgres: POST http:\/\/127\.0\.0\.1:\d+\/grafana\/api\/annotations: HTTP 401 .*Unauthorized.*\(and 1 more\)$/);
  });

  it('a Grafana nobody answers for is a warning too (bounded: connection refused)', async () => {
    const gone = new RecordingServer();
    await gone.start();
    await gone.stop();
    const result = await playRun(gone.base, { heard: [], unheard: [{ service: 'postgres', action: 'kill', startMs: 2_000, endMs: 3_000 }] }, 4_000);
    expect(result.info.annotations).toMatchObject({ posted: 0, failed: 1 });
    expect(result.warnings[0]).toMatch(/not posted .*kill postgres: /);
  });

  it('a run that never reached the stack posts nothing and has no links', async () => {
    const events = createEngineEvents(() => 0);
    const poster = grafanaRunDashboards({ credentials, dashboards });
    events.subscribe(poster.listener);
    events.emit({ type: 'run-started', runId: 'run-0', scenario: 'db-outage', startMs: 0 });
    const result = await poster.finish({ startMs: 0, endMs: 10, windows: [{ service: 'postgres', action: 'kill', startMs: 1 }] });
    expect(grafana.received).toHaveLength(0);
    expect(result).toEqual({ info: { dashboards: [], annotations: { tags: [FAULT_ANNOTATION_TAG, 'run-0'], posted: 0, failed: 0 } }, warnings: [] });
  });
});
