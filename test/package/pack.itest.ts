/**
 * Installed the way a user installs an npm tool: `npm pack`, `npm install
 * ./eventflow-<version>.tgz` in an empty project, then `npx eventflow up`,
 * `npx eventflow scenario db-outage --purchases 5` and `npx eventflow down`
 * from that project — nothing from the repository but the tarball.
 *
 * Stack id: EVENTFLOW_STACK (default `pack-itest`); it must not be running yet.
 * The app image gets its own tag (`<EVENTFLOW_APP_TAG|latest>-pack`), so it is
 * built from the installed package, not reused from the clone; removed afterwards.
 */
import { execa, type Result } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImageName, resolveImageSet } from '../../cli/stack/images.js';
import { packageRoot } from '../../cli/package.js';

const stackId = process.env.EVENTFLOW_STACK ?? 'pack-itest';
const appTag = `${process.env.EVENTFLOW_APP_TAG ?? 'latest'}-pack`;
const work = mkdtempSync(join(tmpdir(), 'eventflow-pack-'));
const project = join(work, 'project');
const env = { ...process.env, EVENTFLOW_STACK: stackId, EVENTFLOW_APP_TAG: appTag, NO_COLOR: '1', npm_config_update_notifier: 'false' };
let stackStarted = false;

const npx = (args: string[], timeout: number): Promise<Result<{ all: true; reject: false }>> =>
  execa('npx', ['--no-install', 'eventflow', ...args], { cwd: project, env, all: true, reject: false, timeout, extendEnv: false });

const explain = (r: Result<{ all: true; reject: false }>) => `exit ${r.exitCode}\n${String(r.all).slice(-4000)}`;

beforeAll(async () => {
  const status = await execa('node', [join(packageRoot(), 'bin', 'eventflow.js'), 'status', '--json'], { env, reject: false });
  if (status.exitCode === 0 && /"running"/.test(status.stdout)) {
    throw new Error(`stack "${stackId}" is already running: this test brings its own up and down. Use another EVENTFLOW_STACK or run \`eventflow down\` first.`);
  }
}, 60_000);

afterAll(async () => {
  if (stackStarted) await npx(['down'], 180_000);
  await execa('docker', ['rmi', appImageName(resolveImageSet(), appTag)], { reject: false });
  rmSync(work, { recursive: true, force: true });
}, 240_000);

describe('the npm package, installed into an empty project', () => {
  let tarball: string;

  it('packs (prepack builds dist/) with the Dockerfile, the compiled services, the web GUI and the offline image build', async () => {
    const r = await execa('npm', ['pack', '--pack-destination', work, '--json'], { cwd: packageRoot(), reject: false, all: true, timeout: 300_000 });
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(0);
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    const files = info!.files.map((f) => f.path);
    for (const f of ['system/Dockerfile', 'dist/system/main.js', 'dist/cli/main.js', 'system/web/index.html', 'system/web/live.js', 'images/offline/build.sh', 'scenarios/db-outage.yaml']) {
      expect(files, f).toContain(f);
    }
  }, 300_000);

  it('installs from the tarball (npm install ./eventflow-<version>.tgz)', async () => {
    mkdirSync(project);
    const init = await execa('npm', ['init', '-y'], { cwd: project, reject: false });
    expect(init.exitCode).toBe(0);
    const r = await execa('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project, reject: false, all: true, timeout: 600_000 });
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(0);
    expect(existsSync(join(project, 'node_modules', 'eventflow', 'system', 'Dockerfile'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'eventflow', 'package-lock.json'))).toBe(false);
    const help = await npx(['images', 'build', '--help'], 60_000);
    expect(help.exitCode, explain(help)).toBe(0);
    expect(help.all).toContain('offline image set');
  }, 660_000);

  it('npx eventflow up: builds the app image from the installed package and starts the stack', async () => {
    stackStarted = true;
    const r = await npx(['up'], 900_000);
    expect(r.exitCode, explain(r)).toBe(0);
    expect(r.all).toMatch(/app-image\s+\S*\s*(healthy|built)/);
    expect(r.all).toContain(`app-${resolveImageSet()}:${appTag}`);
    expect(r.all).toMatch(/GUI \+ API \(NGINX\)\s+http:\/\/127\.0\.0\.1:\d+/);
  }, 900_000);

  it('npx eventflow scenario db-outage --purchases 5 passes and writes its reports in the project', async () => {
    const r = await npx(['scenario', 'db-outage', '--purchases', '5'], 600_000);
    expect(r.exitCode, explain(r)).toBe(0);
    expect(r.all).toMatch(/PASS/);
    const runs = join(project, 'reports', 'runs');
    const dirs = readdirSync(runs, { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(dirs).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(runs, dirs[0]!.name, 'report.json'), 'utf8')) as { exitCode?: number };
    expect(report.exitCode).toBe(0);
    expect(existsSync(join(runs, dirs[0]!.name, 'junit.xml'))).toBe(true);
  }, 600_000);

  it('npx eventflow down removes the stack', async () => {
    const r = await npx(['down'], 180_000);
    expect(r.exitCode, explain(r)).toBe(0);
    stackStarted = false;
    const status = await npx(['status', '--json'], 60_000);
    expect(status.stdout).not.toMatch(/"running"/);
  }, 240_000);
});
