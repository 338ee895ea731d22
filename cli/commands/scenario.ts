/** `eventflow scenario <name|file>`, `eventflow scenarios list|validate`, `eventflow report [run]`. */
import { Command, InvalidArgumentError, Option } from 'commander';
import chalk from 'chalk';
import { join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { UsageError } from '../errors.js';
import { builtinScenarioFiles, resolveScenarioRef } from '../scenario/catalog.js';
import { testHooks } from '../scenario/test-hooks.js';
import { defaultTopologyNames, type TopologyNames } from '../scenario/topology-names.js';
import type { ValidationResult } from '../scenario/validate.js';
import { MAX_NODES } from '../stack/topology.js';
import { DEFAULT_RUNS_DIR } from '../../reports/runs-dir.js';
import type { RunReport } from '../../reports/model.js';

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

function parseRuns(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_RUNS) throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_RUNS}`);
  return Number(value);
}

/** Bounds a batch (each run takes seconds to minutes of a shared machine). */
const MAX_RUNS = 1000;

function collectSet(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

async function validateOrThrow(file: string, overrides: Record<string, string>, topology: TopologyNames): Promise<Extract<ValidationResult, { ok: true }>> {
  const { formatDiagnostic, validateScenarioFile } = await import('../scenario/validate.js');
  const result = await validateScenarioFile(file, { overrides, topology });
  if (!result.ok) {
    const shown = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file);
    throw new UsageError(
      `scenario file ${shown} is invalid (${result.errors.length} problem${result.errors.length > 1 ? 's' : ''}); nothing was started:\n${result.errors.map((e) => `  ${formatDiagnostic({ ...e, file: shown })}`).join('\n')}`,
      'the format is described in scenarios/README.md; check a file with `eventflow scenarios validate <file>`',
    );
  }
  return result;
}

/** `--runs N`: the batch with its progress, then the summary; the batch's exit code. */
async function runRepeatedly(
  scenario: string,
  runs: number,
  reportDir: string,
  signal: AbortSignal,
  runOne: (index: number, log: (line: string) => void) => Promise<{ report: RunReport; dir: string }>,
): Promise<number> {
  const [{ newBatchId, runBatch }, { summarizeRuns }, { progressReporter }, { batchDir, writeRunsSummary }] = await Promise.all([
    import('../scenario/runs.js'),
    import('../scenario/runs-summary.js'),
    import('../progress.js'),
    import('../../reports/write.js'),
  ]);
  const startedAt = new Date();
  const batchId = newBatchId(scenario, runs, startedAt);
  const progress = progressReporter({ what: 'runs', total: runs, out: process.stdout });
  const done = await runBatch({ runs, signal, progress, runOne: (i) => runOne(i, (line) => progress.log(line)) });
  const summary = summarizeRuns(
    done.map((d) => d.report),
    { batchId, requested: runs, startedAt: startedAt.toISOString(), summaryDir: batchDir(reportDir, batchId), reportDirs: done.map((d) => d.dir) },
  );
  const written = await writeRunsSummary(summary, reportDir);
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  const line = `${summary.passed}/${done.length} runs passed (pass rate ${pct(summary.passRate)}, 95 % interval ${pct(summary.confidence.low)}–${pct(summary.confidence.high)})`;
  process.stdout.write(`${summary.passed === runs ? chalk.green(`✔ ${line}`) : chalk.red(`✘ ${line}`)}\n`);
  for (const f of summary.failedChecks) process.stdout.write(`  ${chalk.red('✘')} ${f.name}: failed in run${f.runs.length > 1 ? 's' : ''} ${f.runs.join(', ')}\n`);
  process.stdout.write(`summary: ${written.dir}/ (summary.json, index.html) · all runs: ${written.index}\n`);
  return summary.exitCode;
}

export function registerScenarioCommands(program: Command): void {
  program
    .command('scenario')
    .description('run a failure scenario (built-in name or YAML file) against the running stack, or an ephemeral one')
    .argument('<scenario>', 'a built-in scenario name (see `eventflow scenarios list`) or a path to a YAML file')
    .option('--purchases <n>', 'set the scenario parameter "purchases"', parseCount)
    .option('--set <key=value>', 'set a scenario parameter (repeatable)', collectSet, {} as Record<string, string>)
    .addOption(new Option('--stack <id>', 'stack id').env('EVENTFLOW_STACK'))
    .option('--keep-up', 'keep an ephemeral stack running afterwards')
    .option('--report-dir <dir>', 'where run reports go (<dir>/<run-id>/)', DEFAULT_RUNS_DIR)
    .addOption(new Option('--images <set>', 'image set for an ephemeral stack').choices(['official', 'offline']).env('EVENTFLOW_IMAGES'))
    .option('--nodes <n>', 'api nodes of an ephemeral stack', parseCount)
    .option('--runs <n>', 'run it N times on the same stack: a report each, plus a summary (pass rate with a 95 % interval, failed checks, latency per phase)', parseRuns, 1)
    .option('--no-metrics', 'do not sample the services\' metrics for the report\'s charts')
    .addHelpText(
      'after',
      `
Exit codes: 0 pass · 1 a check failed · 2 usage or scenario-file error (nothing started) · 3 infrastructure error · 130 interrupted.
Examples:
  eventflow scenario db-outage --purchases 5
  eventflow scenario db-outage --purchases 5 --runs 5
  eventflow scenario ./my-scenario.yaml --set concurrency=10 --keep-up`,
    )
    .action(async (ref: string, opts: { purchases?: number; set: Record<string, string>; stack?: string; keepUp?: boolean; reportDir: string; images?: 'official' | 'offline'; nodes?: number; metrics: boolean; runs: number }) => {
      const file = resolveScenarioRef(ref);
      if (!file) {
        throw new UsageError(`no scenario "${ref}": not a file, not a built-in (${builtinScenarioFiles().map((s) => s.name).join(', ')})`);
      }
      const overrides = { ...opts.set };
      if (opts.purchases !== undefined) overrides.purchases = String(opts.purchases);
      if (opts.nodes !== undefined && (opts.nodes < 1 || opts.nodes > MAX_NODES)) throw new UsageError(`--nodes must be from 1 to ${MAX_NODES}`);

      // 1. The file alone, before touching Docker: any service name a stack of up to 9 nodes could have.
      await validateOrThrow(file, overrides, defaultTopologyNames(MAX_NODES));
      const out = (line: string) => process.stdout.write(`${line}\n`);

      // 2. The stack (the running one, or an ephemeral one) and the file against its topology; then the run(s).
      const { withStack } = await import('./stack-session.js');
      await withStack(
        opts,
        out,
        (topology) => validateOrThrow(file, overrides, topology),
        async ({ stack, ephemeral, signal, recoverySignal }, validated) => {
          out(chalk.bold(`scenario ${validated.scenario.name}`) + chalk.dim(` (${relative(process.cwd(), file) || file}) — ${Object.entries(validated.params).map(([k, v]) => `${k}=${v}`).join(' ')}`));
          const [{ runScenario }, { BATCH_RUN_EVENTS, consoleLog }, { serviceMetricsCapture }, { stackRunDashboards }] = await Promise.all([
            import('../scenario/engine.js'),
            import('../scenario/console-log.js'),
            import('../scenario/metrics-capture.js'),
            import('../grafana/annotations.js'),
          ]);
          const runOnce = async (log: (line: string) => void, only?: typeof BATCH_RUN_EVENTS) => {
            const report = await runScenario({
              scenario: validated.scenario,
              params: validated.params,
              file,
              source: validated.source,
              stack,
              ephemeral,
              signal,
              recoverySignal,
              listeners: [consoleLog(log, only)],
              hooks: testHooks(),
              captureMetrics: opts.metrics ? serviceMetricsCapture() : false,
              dashboards: stackRunDashboards(stack),
            });
            const { writeRunReports } = await import('../../reports/write.js');
            const written = await writeRunReports(report, opts.reportDir);
            for (const w of report.warnings) log(chalk.yellow(`warning: ${w}`));
            return { report, written };
          };
          if (opts.runs === 1) {
            const { report, written } = await runOnce(out);
            out(`reports: ${written.dir}/ (report.json, junit.xml, index.html) · all runs: ${written.index}`);
            return report.exitCode;
          }
          return runRepeatedly(validated.scenario.name, opts.runs, opts.reportDir, signal, (index, log) =>
            runOnce((line) => log(`[run ${index}/${opts.runs}] ${line}`), BATCH_RUN_EVENTS).then(({ report, written }) => ({ report, dir: written.dir })),
          );
        },
      );
    });

  const scenarios = program.command('scenarios').description('list and validate scenario files');
  scenarios
    .command('list')
    .description('the built-in scenarios: name, description, parameters')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { formatDiagnostic, validateScenarioFile } = await import('../scenario/validate.js');
      const rows = [];
      for (const s of builtinScenarioFiles()) {
        const r = await validateScenarioFile(s.file, { topology: defaultTopologyNames(MAX_NODES) });
        rows.push(
          r.ok
            ? { name: r.scenario.name, file: s.file, description: r.scenario.description ?? '', parameters: Object.fromEntries(Object.entries(r.scenario.parameters ?? {}).map(([k, d]) => [k, { type: d.type, default: d.default, description: d.description }])) }
            : { name: s.name, file: s.file, description: '', parameters: {}, errors: r.errors.map(formatDiagnostic) },
        );
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        process.stdout.write(`${chalk.bold(r.name)}\n  ${r.description.replace(/\s+/g, ' ')}\n`);
        const params = Object.entries(r.parameters);
        if (params.length) process.stdout.write(`  ${chalk.dim('parameters:')} ${params.map(([k, p]) => `${k}=${p.default} (${p.type})`).join(', ')}\n`);
        if ('errors' in r && r.errors) process.stdout.write(chalk.red(`  invalid:\n    ${r.errors.join('\n    ')}\n`));
      }
    });
  scenarios
    .command('validate')
    .description('check a scenario file without running anything (exit 2 with file:line:col on errors)')
    .argument('<file>', 'YAML scenario file (or a built-in name)')
    .option('--set <key=value>', 'parameter values to validate with (repeatable)', collectSet, {} as Record<string, string>)
    .option('--nodes <n>', 'api nodes of the target topology (service names api-1..api-N)', parseCount, 3)
    .action(async (ref: string, opts: { set: Record<string, string>; nodes: number }) => {
      const file = resolveScenarioRef(ref);
      if (!file) throw new UsageError(`no such file or built-in scenario: ${ref}`);
      const r = await validateOrThrow(file, opts.set, defaultTopologyNames(opts.nodes));
      process.stdout.write(`${chalk.green('ok')} ${relative(process.cwd(), file) || file}: scenario "${r.scenario.name}", ${r.scenario.steps.length} steps, parameters ${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}\n`);
    });

  program
    .command('report')
    .description('serve the HTML reports on 127.0.0.1 and print the URL (a run id, "latest", or the list of runs)')
    .argument('[run]', 'run id or "latest"; default: the list of runs')
    .option('--report-dir <dir>', 'reports directory', DEFAULT_RUNS_DIR)
    .option('--port <port>', 'port (default: any free one)', parseCount, 0)
    .option('--open', 'open it in the default browser (xdg-open / open)')
    .option('--print', 'print the file path and exit instead of serving')
    .action(async (run: string | undefined, opts: { reportDir: string; port: number; open?: boolean; print?: boolean }) => {
      const root = resolve(opts.reportDir);
      const [{ writeRunsIndex }, { listRuns }, { serveReports }] = await Promise.all([import('../../reports/write.js'), import('../../reports/writers/runs-index.js'), import('../../reports/serve.js')]);
      await writeRunsIndex(root);
      let page = 'index.html';
      if (run) {
        const runs = await listRuns(root);
        const id = run === 'latest' ? runs[0]?.runId : runs.find((r) => r.runId === run || r.runId.startsWith(run))?.runId;
        if (!id) throw new UsageError(`no run "${run}" in ${root} (${runs.length} runs; see ${join(root, 'index.html')})`);
        page = `${encodeURIComponent(id)}/index.html`;
      }
      if (opts.print) {
        process.stdout.write(`${join(root, decodeURIComponent(page))}\n`);
        return;
      }
      const served = await serveReports(root, opts.port);
      const url = `http://127.0.0.1:${served.port}/${page}`;
      process.stdout.write(`serving ${root} — ${url}\n(Ctrl-C to stop)\n`);
      if (opts.open) {
        const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
        spawn(cmd, [url], { stdio: 'ignore', detached: true }).on('error', () => process.stderr.write(`could not run ${cmd}; open ${url} yourself\n`)).unref();
      }
      await new Promise<void>((done) => {
        const stop = () => void served.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
