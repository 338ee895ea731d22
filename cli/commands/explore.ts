/** `eventflow explore`: a seeded random nemesis (cli/explore/*), run by the ordinary scenario engine. */
import { Command, InvalidArgumentError, Option } from 'commander';
import chalk from 'chalk';
import { DEFAULT_RUNS_DIR } from '../../reports/runs-dir.js';
import { imageSetOption, stackOption } from './options.js';

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 1000) throw new InvalidArgumentError('must be a number of requests per second, above 0 and at most 1000');
  return n;
}

interface ExploreFlags {
  seed?: number;
  runs: number;
  duration: string;
  faults?: string;
  targets?: string;
  maxFaults: number;
  rate: number;
  shrink: boolean;
  shrinkRuns: number;
  verbose?: boolean;
  stack?: string;
  keepUp?: boolean;
  reportDir: string;
  images?: 'official' | 'offline';
  nodes?: number;
  metrics: boolean;
}

export function registerExploreCommand(program: Command): void {
  program
    .command('explore')
    .description('a seeded random nemesis: each run draws a fault schedule (kinds, targets, start offsets, durations, overlaps) under background load, heals, drains and checks')
    .option('--seed <n>', 'the batch seed (default: a random one, printed); run 1 uses it, the others seeds drawn from it', wholeNumber(0, 0x7fff_ffff))
    .option('--runs <n>', 'how many schedules to run', wholeNumber(1, 1000), 5)
    .option('--duration <d>', 'background load per run; every fault starts and heals within it (5s..10m)', '30s')
    .option('--faults <kinds>', 'comma list of fault kinds (default: all — kill, stop, pause, disconnect, restart)')
    .option('--targets <names>', 'comma list of services or groups faults may hit (default: db, cache, broker, api, worker)')
    .option('--max-faults <n>', 'each run draws 1..n faults', wholeNumber(1, 20), 3)
    .option('--rate <r>', 'requests per second of the background load', positiveNumber, 10)
    .option('--no-shrink', 'do not shrink failing runs')
    .option('--shrink-runs <n>', 'reruns a failing run may spend shrinking (dropping faults one by one)', wholeNumber(0, 50), 4)
    .option('--verbose', "print each run's step log")
    .addOption(stackOption())
    .option('--keep-up', 'keep an ephemeral stack running afterwards')
    .option('--report-dir <dir>', 'where the batch goes (<dir>/<batch-id>/index.html, explore.json, runs/)', DEFAULT_RUNS_DIR)
    .addOption(imageSetOption())
    .addOption(new Option('--nodes <n>', 'api nodes of an ephemeral stack').argParser(wholeNumber(1, 9)))
    .option('--no-metrics', 'do not capture Prometheus series into the run reports')
    .addHelpText(
      'after',
      `
Same seed, same schedules (and every run prints its own seed: --seed <it> --runs 1 draws that schedule again).
Timing is not replayed: a replay repeats the faults, their order and the sleeps between them, not how long each takes.
A failing run gets repro.yaml in its directory: eventflow scenario <dir>/repro.yaml replays it.
Exit codes: 0 every run passed · 1 a run failed · 2 usage · 3 infrastructure error · 130 interrupted.
Examples:
  eventflow explore --seed 1 --runs 5 --duration 20s
  eventflow explore --runs 20 --faults kill,pause --targets postgres,api`,
    )
    .action(async (flags: ExploreFlags) => {
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const [{ withStack }, { checkExploreOptions }, batch, { consoleLog }, { serviceMetricsCapture }, { defaultTopologyNames }, { MAX_NODES }] = await Promise.all([
        import('./stack-session.js'),
        import('../explore/options.js'),
        import('../explore/batch.js'),
        import('../scenario/console-log.js'),
        import('../scenario/metrics-capture.js'),
        import('../scenario/topology-names.js'),
        import('../stack/topology.js'),
      ]);
      const { stackRunDashboards } = await import('../grafana/annotations.js');
      const { testHooks } = await import('../scenario/test-hooks.js');
      // 1. The options alone, before touching Docker (any name a stack of up to MAX_NODES api nodes could have).
      const seed = checkExploreOptions(flags, defaultTopologyNames(MAX_NODES)).seed;
      await withStack(
        flags,
        out,
        // 2. Against the stack it will run on; every schedule drawn and validated before anything starts.
        (topology) => {
          const checked = checkExploreOptions({ ...flags, seed }, topology);
          const plan = { seed: checked.seed, runs: flags.runs, explore: checked.explore, shrinkReruns: flags.shrink ? flags.shrinkRuns : 0 };
          return { plan, topology, schedules: batch.drawBatch(plan, topology) };
        },
        async ({ stack, ephemeral, signal, recoverySignal }, { plan, topology, schedules }) => {
          const e = plan.explore;
          out(
            chalk.bold(`explore --seed ${plan.seed}`) +
              chalk.dim(` — ${plan.runs} run(s) × ${e.durationMs / 1000}s of load at ${e.rate}/s, 1..${e.maxFaults} faults among ${e.kinds.join(', ')} on ${e.targets.join(', ')}; shrinking ${plan.shrinkReruns ? `up to ${plan.shrinkReruns} reruns per failing run` : 'off'}`),
          );
          out(chalk.dim('same seed, same schedules; timing is not replayed'));
          const indent = (line: string) => out(chalk.dim(`    ${line}`));
          const { report, dir, index } = await batch.runBatch(plan, schedules, {
            stack,
            ephemeral,
            topology,
            signal,
            recoverySignal,
            reportDir: flags.reportDir,
            captureMetrics: flags.metrics ? serviceMetricsCapture() : false,
            dashboards: () => stackRunDashboards(stack),
            hooks: testHooks(),
            out,
            runListeners: () => (flags.verbose ? [consoleLog(indent)] : []),
          });
          const passed = report.runs.filter((r) => r.verdict === 'pass').length;
          out(`\n${report.verdict === 'pass' ? chalk.green('✔ PASS') : chalk.red(`✘ ${report.verdict.toUpperCase()}`)} ${passed}/${report.runs.length} run(s) passed (seed ${plan.seed}) · summary: ${dir}/index.html (explore.json) · all runs: ${index}`);
          return report.exitCode;
        },
      );
    });
}
