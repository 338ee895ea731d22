/** `eventflow images build`: the offline image set, from an installed package as from a clone. */
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InfrastructureError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { IMAGE_SETS } from '../stack/images.js';
import { packageRoot } from '../package.js';

/** The build script ships in the package (package.json `files`: images). */
export function offlineBuildScript(root = packageRoot()): string {
  return join(root, 'images', 'offline', 'build.sh');
}

async function runBuildScript(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: 'inherit', env: { ...process.env, EVENTFLOW_NODE_BIN: process.env.EVENTFLOW_NODE_BIN ?? process.execPath } });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Infrastructure)));
  });
}

export function registerImagesCommand(program: Command): void {
  const images = program.command('images').description('the offline image set (built from Debian packages, for hosts without an image registry)');
  images
    .command('build')
    .description('build the offline image set (localhost/eventflow/*) with debootstrap + docker; images whose inputs did not change are kept')
    .addHelpText(
      'after',
      `
Needs: a Docker engine, bash, and (for the base image, once) debootstrap run as root
with a reachable Debian mirror (EVENTFLOW_DEBIAN_MIRROR, default http://deb.debian.org/debian).
The Node runtime image copies the Node binary running eventflow (EVENTFLOW_NODE_BIN to choose another).
Builds: ${Object.values(IMAGE_SETS.offline).filter(Boolean).join(', ')}
Then: eventflow up --images offline (or EVENTFLOW_IMAGES=offline).`,
    )
    .action(async () => {
      const script = offlineBuildScript();
      if (!existsSync(script)) {
        throw new InfrastructureError(`the offline image build script is missing (${script}).`, 'Reinstall eventflow: the package ships images/offline/.');
      }
      const code = await runBuildScript(script);
      if (code === 0) return;
      if (code === ExitCode.Interrupted) process.exitCode = code;
      else throw new InfrastructureError(`building the offline image set failed (images/offline/build.sh exited ${code}); its output is above.`);
    });
}
