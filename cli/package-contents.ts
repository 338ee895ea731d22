/**
 * What an installed eventflow package needs beside its compiled CLI: the files
 * `up` copies into containers (taken from the topology, so a new one cannot be
 * forgotten), the app image's Dockerfile and compiled services, the built-in
 * scenarios and the offline image build. package.json `files` must ship them
 * all (package-contents.test.ts); `eventflow doctor` can report what is missing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateCredentials } from './stack/credentials.js';
import { buildTopology } from './stack/topology.js';

export interface RequiredPath {
  /** Relative to the package root. */
  path: string;
  neededBy: string;
}

const FIXED: RequiredPath[] = [
  { path: 'system/Dockerfile', neededBy: 'the application image (eventflow up)' },
  { path: 'dist/system/main.js', neededBy: 'the application image (eventflow up)' },
  { path: 'dist/cli/main.js', neededBy: 'the eventflow command' },
  { path: 'scenarios', neededBy: 'the built-in scenarios (eventflow scenario <name>)' },
  { path: 'images/offline/build.sh', neededBy: 'the offline image set (eventflow images build)' },
  { path: 'images/offline/postgres.Dockerfile', neededBy: 'the offline image set (eventflow images build)' },
  { path: 'images/offline/entrypoints', neededBy: 'the offline image set (eventflow images build)' },
  { path: 'docker-compose.yml', neededBy: 'the classic way: docker compose' },
];

export function requiredPackagePaths(): RequiredPath[] {
  // The official set has every service (Grafana included), so every file any stack copies.
  const topology = buildTopology({ imageSet: 'official', credentials: generateCredentials(true) });
  const copied = topology.services.flatMap((s) =>
    s.files.flatMap((f) => (f.kind === 'path' ? [{ path: f.source, neededBy: `${s.name} (copied into its container by eventflow up)` }] : [])),
  );
  const seen = new Set<string>();
  return [...FIXED, ...copied].filter((r) => !seen.has(r.path) && seen.add(r.path));
}

export function missingPackagePaths(root: string): RequiredPath[] {
  return requiredPackagePaths().filter((r) => !existsSync(join(root, r.path)));
}
