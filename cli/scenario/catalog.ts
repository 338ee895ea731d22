/** Built-in scenarios (scenarios/*.yaml in the package) and resolving `<name|file>`. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../package.js';

export function builtinDir(): string {
  return join(packageRoot(), 'scenarios');
}

export function builtinScenarioFiles(): { name: string; file: string }[] {
  const dir = builtinDir();
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.ya?ml$/, ''), file: join(dir, f) }));
}

/** A path to a file, or the name of a built-in scenario; undefined when neither. */
export function resolveScenarioRef(ref: string, cwd = process.cwd()): string | undefined {
  const asFile = resolve(cwd, ref);
  if (/\.ya?ml$/.test(ref) || ref.includes('/') || ref.includes('\\')) return existsSync(asFile) ? asFile : undefined;
  const builtin = builtinScenarioFiles().find((s) => s.name === ref);
  if (builtin) return builtin.file;
  return existsSync(asFile) ? asFile : undefined;
}
