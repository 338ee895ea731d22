/** The npm package ships what `up`, `scenario` and `images build` need (npm's own file list, no packing). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingPackagePaths, requiredPackagePaths } from './package-contents.js';
import { packageRoot } from './package.js';

const root = packageRoot();

function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

describe('package contents', () => {
  it('lists the topology-copied folders, the Dockerfile, the scenarios and the offline image build', () => {
    const paths = requiredPackagePaths().map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['system/Dockerfile', 'system/web', 'system/prometheus/rules', 'dashboards/provisioning', 'images/offline/build.sh', 'scenarios']));
    // The sources (not dist/) are all in the repository.
    expect(missingPackagePaths(root).filter((r) => !r.path.startsWith('dist/'))).toEqual([]);
  });

  it('package.json "files" ships every one of them, and no tests or source maps', () => {
    const files = packedFiles();
    const shipped = (p: string) => files.some((f) => f === p || f.startsWith(`${p}/`));
    const required = requiredPackagePaths().filter((r) => existsSync(join(root, r.path)));
    expect(required.filter((r) => !shipped(r.path)).map((r) => `${r.path} (${r.neededBy})`)).toEqual([]);
    expect(files.filter((f) => /\.(test|itest)\.(ts|js)$|\.map$/.test(f))).toEqual([]);
  }, 60_000);
});
