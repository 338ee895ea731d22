/** Write an explore batch's explore.json and index.html into its directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExploreReport } from './explore-model.js';
import { renderExploreHtml, renderExploreJson } from './writers/explore.js';

export async function writeExploreReports(report: ExploreReport, dir: string): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'explore.json'), html: join(dir, 'index.html') };
  await writeFile(files.json, renderExploreJson(report));
  await writeFile(files.html, renderExploreHtml(report));
  return files;
}
