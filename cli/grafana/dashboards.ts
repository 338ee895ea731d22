/**
 * The Grafana dashboards the stack provisions (dashboards/json/*.json), read
 * from the files themselves: their uids and titles are never written twice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package.js';

/** Every fault-window annotation carries this tag; each dashboard shows the annotations that carry it. */
export const FAULT_ANNOTATION_TAG = 'eventflow';

export interface DashboardRef {
  uid: string;
  title: string;
  /** Grafana's URL slug of the title (it redirects a stale slug, so this only has to be close). */
  slug: string;
}

export function dashboardsDir(): string {
  return join(packageRoot(), 'dashboards', 'json');
}

/** What Grafana does to a title for `/d/<uid>/<slug>`: lower case, runs of anything else than a-z 0-9 become one dash. */
export function slugOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The dashboards in file-name order; a file without a uid or title is an error naming the file. */
export function readDashboards(dir = dashboardsDir()): DashboardRef[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const json = JSON.parse(readFileSync(path, 'utf8')) as { uid?: unknown; title?: unknown };
      if (typeof json.uid !== 'string' || !json.uid || typeof json.title !== 'string' || !json.title) {
        throw new Error(`${path}: a Grafana dashboard needs a string "uid" and "title"`);
      }
      return { uid: json.uid, title: json.title, slug: slugOf(json.title) };
    });
}
