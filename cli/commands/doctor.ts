/** `eventflow doctor`: print every check with its fix; exit 3 when one is a problem. */
import type { Command } from 'commander';
import chalk from 'chalk';
import { ExitCode } from '../exit-codes.js';
import { resolveImageSet } from '../stack/images.js';
import { imageSetOption } from './options.js';

const MARK = { true: chalk.green('✔'), warn: chalk.yellow('!'), false: chalk.red('✘') } as const;

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check Node, the Docker engine, images and ports; print the fix for each problem')
    .addOption(imageSetOption())
    .action(async (opts: { images?: string }) => {
      const imageSet = resolveImageSet(opts.images);
      const { runDoctorChecks } = await import('../stack/doctor-checks.js');
      const checks = await runDoctorChecks(imageSet);
      for (const c of checks) {
        process.stdout.write(`${MARK[String(c.ok) as keyof typeof MARK]} ${c.what}\n`);
        if (c.ok !== true && c.fix) process.stdout.write(`    fix: ${chalk.cyan(c.fix)}\n`);
      }
      const problems = checks.filter((c) => c.ok === false).length;
      process.stdout.write(
        problems === 0 ? chalk.green(`\nready: run \`eventflow up\`${imageSet === 'offline' ? ' --images offline' : ''}\n`) : chalk.red(`\n${problems} problem(s) found\n`),
      );
      if (problems > 0) process.exitCode = ExitCode.Infrastructure;
    });
}
