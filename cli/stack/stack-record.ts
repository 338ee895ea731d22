/**
 * What `scenario`, `status` and `down` need about a running stack, recorded in
 * $EVENTFLOW_HOME/stacks/<id>.json (default ~/.eventflow). The containers are
 * the truth (found by label); this file adds the credentials and the topology
 * parameters, and is rebuilt from container labels/env when it is missing.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventflowHome } from './eventflow-home.js';
import type { ImageSetName } from './images.js';
import type { ServiceGroup, StackCredentials } from './types.js';

export interface StackRecord {
  version: 1;
  id: string;
  imageSet: ImageSetName;
  nodes: number;
  network: string;
  createdAt: string;
  credentials: StackCredentials;
  services: { name: string; group: ServiceGroup; container: string; alias: string }[];
  skipped: { name: string; reason: string }[];
}

export function stackRecordDir(): string {
  return join(eventflowHome(), 'stacks');
}

export function stackRecordPath(id: string): string {
  return join(stackRecordDir(), `${id}.json`);
}

export function readStackRecord(id: string): StackRecord | undefined {
  const path = stackRecordPath(id);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as StackRecord;
    return parsed.version === 1 && parsed.id === id ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic write, readable by the owner only (it holds the stack's credentials). */
export function writeStackRecord(state: StackRecord): void {
  mkdirSync(stackRecordDir(), { recursive: true, mode: 0o700 });
  const path = stackRecordPath(state.id);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function removeStackRecord(id: string): boolean {
  const path = stackRecordPath(id);
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}

export function listStackRecordIds(): string[] {
  if (!existsSync(stackRecordDir())) return [];
  return readdirSync(stackRecordDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
}
