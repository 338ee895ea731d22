/**
 * Regenerates the documentation's screenshots (docs/screenshots/, committed) in
 * headless Chromium: each entry is a browser test that, given
 * EVENTFLOW_SCREENSHOTS=<dir>, also writes the pictures below while it checks
 * what they show — a screenshot is taken only of a state the test asserted.
 *
 *   npm run screenshots            (a running stack is reused; see the tests' headers)
 */
import { execa } from 'execa';
import { mkdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../cli/package.js';

interface ScreenshotSource {
  test: string;
  writes: string[];
}

const SOURCES: ScreenshotSource[] = [
  // The GUI during a PostgreSQL outage, desktop and phone: buy column visible, live panel showing the outage.
  { test: 'test/observability/gui.itest.ts', writes: ['gui-db-outage-1280x800.png', 'gui-db-outage-390x844.png'] },
];

const root = packageRoot();
const out = join(root, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const started = Date.now();

let failed = 0;
for (const source of SOURCES) {
  process.stdout.write(`screenshots: ${source.test}\n`);
  const r = await execa('npx', ['vitest', 'run', '--project', 'integration', source.test], {
    cwd: root,
    env: { EVENTFLOW_SCREENSHOTS: out },
    stdio: 'inherit',
    reject: false,
  });
  const stale = source.writes.filter((name) => {
    try {
      return statSync(join(out, name)).mtimeMs < started;
    } catch {
      return true;
    }
  });
  if (r.exitCode !== 0 || stale.length > 0) {
    failed++;
    process.stderr.write(`screenshots: ${source.test} ${r.exitCode !== 0 ? `failed (exit ${r.exitCode})` : 'passed'}; not written: ${stale.join(', ') || 'none'}\n`);
  } else {
    process.stdout.write(`screenshots: wrote ${source.writes.map((w) => relative(root, join(out, w))).join(', ')}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
