/**
 * The application image (api, notifier, analytics): built from system/Dockerfile
 * (`ARG NODE_IMAGE`) on a staging context holding package.json, dist/system/**
 * and the production dependency closure of what dist/system imports, copied from
 * the installed node_modules (installed-packages.ts: a clone or an installed
 * package alike; no registry needed).
 * Skipped when the image's `eventflow.inputs` label matches the inputs hash.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type Dockerode from 'dockerode';
import { InfrastructureError } from '../errors.js';
import { appImageName, imageFor, type ImageSetName } from './images.js';
import { packageRoot } from '../package.js';
import { installedClosure, type InstalledPackage } from './installed-packages.js';

export const INPUTS_LABEL = 'eventflow.inputs';

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) visit(p);
      else if (entry.isFile()) out.push(p);
    }
  };
  if (existsSync(dir)) visit(dir);
  return out;
}

/** Bare package names imported by the compiled services. */
export function importedPackages(files: string[]): Set<string> {
  const names = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"./][^'"]*)['"]/g;
  for (const file of files) {
    if (!file.endsWith('.js')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return names;
}

export interface AppImagePlan {
  image: string;
  nodeImage: string;
  dockerfile: string;
  hash: string;
  modules: InstalledPackage[];
  distFiles: string[];
}

export function planAppImage(set: ImageSetName, nodeImageId = ''): AppImagePlan {
  const root = packageRoot();
  const dockerfile = process.env.EVENTFLOW_APP_DOCKERFILE ?? join(root, 'system', 'Dockerfile');
  if (!existsSync(dockerfile)) {
    throw new InfrastructureError(`the application's Dockerfile is missing (${relative(root, dockerfile)}).`, 'It belongs to the repository: check out a complete copy.');
  }
  const distDir = join(root, 'dist', 'system');
  const distFiles = walkFiles(distDir).filter((f) => !f.endsWith('.map') && !f.endsWith('.test.js'));
  // EVENTFLOW_APP_DOCKERFILE (a test hook) may point at a Dockerfile that brings its own code.
  if (!process.env.EVENTFLOW_APP_DOCKERFILE && !distFiles.some((f) => f.endsWith(`${sep}system${sep}main.js`))) {
    throw new InfrastructureError('the services are not compiled yet (dist/system/main.js is missing).', 'Run `npm run build` first.');
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const declared = Object.keys(pkg.dependencies ?? {});
  const imported = importedPackages(distFiles);
  const roots = declared.filter((d) => imported.has(d));
  let modules: InstalledPackage[];
  try {
    modules = installedClosure(root, roots.length > 0 ? roots : declared);
  } catch (error) {
    throw new InfrastructureError(`the services' dependencies are incomplete: ${(error as Error).message}`);
  }

  const nodeImage = imageFor(set, 'node')!;
  const h = createHash('sha256');
  h.update(`node-image ${nodeImage} ${nodeImageId}\n`);
  h.update(readFileSync(dockerfile));
  h.update(readFileSync(join(root, 'package.json')));
  for (const m of modules) h.update(`${m.target} ${m.version}\n`);
  for (const f of distFiles) {
    h.update(`${relative(root, f)}\n`);
    h.update(readFileSync(f));
  }
  return { image: appImageName(set), nodeImage, dockerfile, hash: h.digest('hex').slice(0, 16), modules, distFiles };
}

async function imageLabel(docker: Dockerode, name: string, label: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(name).inspect();
    return info.Config?.Labels?.[label] ?? '';
  } catch {
    return undefined;
  }
}

export async function imageId(docker: Dockerode, name: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** Build (or reuse) the app image of `set`; `onStatus` gets short progress lines. */
export async function ensureAppImage(
  docker: Dockerode,
  set: ImageSetName,
  onStatus: (line: string) => void = () => {},
): Promise<{ image: string; built: boolean; hash: string }> {
  const nodeImage = imageFor(set, 'node')!;
  const nodeId = await imageId(docker, nodeImage);
  if (!nodeId && set === 'offline') {
    throw new InfrastructureError(`the offline Node image ${nodeImage} is missing.`, 'Build the offline image set: `eventflow images build`.');
  }
  const plan = planAppImage(set, nodeId ?? '');
  const current = await imageLabel(docker, plan.image, INPUTS_LABEL);
  if (current === plan.hash) return { image: plan.image, built: false, hash: plan.hash };

  const root = packageRoot();
  const ctx = mkdtempSync(join(tmpdir(), 'eventflow-app-'));
  try {
    onStatus(`staging context (${plan.distFiles.length} compiled files, ${plan.modules.length} packages)`);
    writeFileSync(join(ctx, 'Dockerfile'), readFileSync(plan.dockerfile));
    cpSync(join(root, 'package.json'), join(ctx, 'package.json'));
    if (existsSync(join(root, 'package-lock.json'))) cpSync(join(root, 'package-lock.json'), join(ctx, 'package-lock.json'));
    for (const f of plan.distFiles) {
      const target = join(ctx, relative(root, f));
      mkdirSync(join(target, '..'), { recursive: true });
      cpSync(f, target);
    }
    // Copy each closure package once (nested ones come with their parent).
    const chosen = plan.modules.filter((m) => !plan.modules.some((o) => o !== m && m.target.startsWith(`${o.target}/`) && m.dir.startsWith(`${o.dir}${sep}`)));
    for (const m of chosen) cpSync(m.dir, join(ctx, m.target), { recursive: true, dereference: true });
    mkdirSync(join(ctx, 'node_modules'), { recursive: true });
    const entries = readdirSync(ctx);
    onStatus(`docker build ${plan.image} (FROM ${plan.nodeImage})`);
    const stream = await docker.buildImage(
      { context: ctx, src: entries },
      { t: plan.image, buildargs: { NODE_IMAGE: plan.nodeImage }, labels: { [INPUTS_LABEL]: plan.hash }, rm: true, forcerm: true },
    );
    await new Promise<void>((resolve, reject) => {
      let failed: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : failed ? reject(new Error(failed)) : resolve()),
        (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.error) failed = event.errorDetail?.message ?? event.error;
          const line = event.stream?.trim();
          if (line && /^Step \d+\/\d+/.test(line)) onStatus(line.length > 100 ? `${line.slice(0, 97)}...` : line);
        },
      );
    });
  } catch (error) {
    throw new InfrastructureError(`building the application image ${plan.image} failed: ${(error as Error).message}`, 'Check system/Dockerfile; `docker build` output above.');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  const after = await imageLabel(docker, plan.image, INPUTS_LABEL);
  if (after !== plan.hash) throw new InfrastructureError(`building ${plan.image} reported success but the image is not there.`);
  return { image: plan.image, built: true, hash: plan.hash };
}
