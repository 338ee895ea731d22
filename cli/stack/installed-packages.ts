/**
 * The production dependency closure of the services, as installed on disk and
 * found the way Node finds it (node_modules folders up the tree). The same code
 * works in a clone (repo/node_modules) and in an installed package, where npm
 * hoists eventflow's dependencies next to it (project/node_modules) and ships no
 * package-lock.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface InstalledPackage {
  name: string;
  version: string;
  /** Where it is on disk. */
  dir: string;
  /** Where it goes in the app image's /app: `node_modules/<name>` or nested under its dependent. */
  target: string;
}

interface Manifest {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Node's lookup: <dir>/node_modules/<name>, then the parent directories'. */
export function findPackageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * `root` is the eventflow package (a clone or node_modules/eventflow); `roots` the packages the
 * compiled services import. Throws a message naming the missing package and who needs it.
 */
export function installedClosure(root: string, roots: string[]): InstalledPackage[] {
  const marker = `${sep}node_modules${sep}`;
  // The folder whose node_modules holds the tree: the clone itself, or the project eventflow is installed in.
  const base = root.includes(marker) ? root.slice(0, root.indexOf(marker)) : root;
  const own = relative(base, root);
  const targetOf = (dir: string): string => {
    const rel = relative(base, dir);
    // eventflow's own nested node_modules become the image's top-level ones.
    return own && rel.startsWith(`${own}${sep}`) ? rel.slice(own.length + 1) : rel;
  };
  const byDir = new Map<string, InstalledPackage>();
  const byTarget = new Map<string, string>();
  const queue: { from: string; name: string; neededBy: string; optional: boolean }[] = roots.map((name) => ({ from: root, name, neededBy: 'eventflow', optional: false }));
  while (queue.length > 0) {
    const { from, name, neededBy, optional } = queue.shift()!;
    const dir = findPackageDir(from, name);
    if (!dir) {
      if (optional) continue;
      throw new Error(`the package "${name}" (needed by ${neededBy}) is not installed near ${root}: reinstall (npm install / npm ci)`);
    }
    if (byDir.has(dir)) continue;
    const manifest = readManifest(dir);
    const target = targetOf(dir).split(sep).join('/');
    const clash = byTarget.get(target);
    if (clash && clash !== dir) throw new Error(`two copies of "${name}" would land on ${target} in the app image (${clash}, ${dir})`);
    byTarget.set(target, dir);
    byDir.set(dir, { name, version: manifest.version ?? '0.0.0', dir, target });
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ from: dir, name: dep, neededBy: name, optional: false });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ from: dir, name: dep, neededBy: name, optional: true });
    // A peer is whatever the installation provides (npm installs required peers itself).
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) queue.push({ from: dir, name: dep, neededBy: name, optional: true });
  }
  return [...byDir.values()].sort((a, b) => a.target.localeCompare(b.target));
}
