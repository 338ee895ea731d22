/** The eventflow package on disk: its root folder and its package.json (the one source of the version). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageManifest {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

let root: string | undefined;

/** The nearest folder up from this module whose package.json is eventflow's: works from the sources and from dist/ alike. */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readManifest(manifest)?.name === 'eventflow') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the eventflow package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

function readManifest(path: string): PackageManifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PackageManifest;
  } catch {
    return undefined; // not JSON: not ours, keep walking
  }
}

let manifest: PackageManifest | undefined;

export function packageManifest(): PackageManifest {
  return (manifest ??= readManifest(join(packageRoot(), 'package.json'))!);
}

/** The version in package.json: shown by `eventflow --version` and recorded in every report. */
export function eventflowVersion(): string {
  return packageManifest().version;
}
