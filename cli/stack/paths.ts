import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The repository (package) root, from source (cli/stack) or from dist/cli/stack alike. */
export function repoRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'eventflow') return (root = dir);
      } catch {
        /* keep walking */
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the eventflow package root');
}
