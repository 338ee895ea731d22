/**
 * A schedule as the YAML file that runs it: `scenario.yaml` in every run's
 * directory, `repro.yaml` beside it when the run failed. It goes through the
 * real validator before it runs, so what ran is exactly what the file says.
 */
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import type { TopologyNames } from '../scenario/topology-names.js';
import { formatDiagnostic, validateScenarioSource, type ValidationResult } from '../scenario/validate.js';
import { scheduleScenario, type Schedule } from './schedule.js';

export function scheduleYaml(s: Schedule): string {
  const doc = new Document(scheduleScenario(s));
  const origin = s.batch ? `run ${s.batch.run} of ${s.batch.runs} of \`eventflow explore --seed ${s.batch.seed}\`` : `\`eventflow explore --seed ${s.seed} --runs 1\``;
  doc.commentBefore = [
    ` Drawn by eventflow explore (generator ${s.generator}), seed ${s.seed}: ${origin}.`,
    ` Replay: eventflow scenario <this file>`,
    ' It replays the schedule (faults, targets, order, sleeps), not the timing:',
    ' fault actions, restarts and requests take as long as they take on each run.',
  ].join('\n');
  compact(doc);
  return doc.toString({ lineWidth: 0 });
}

/** Load and wait specs, probes and rollback steps on one line each: `load: { purchases: 1, … }`. */
function compact(doc: Document): void {
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if ((key === 'load' || key === 'wait') && isMap(pair.value)) pair.value.flow = true;
      if ((key === 'steady-state' || key === 'rollback') && isSeq(pair.value)) for (const item of pair.value.items) if (isMap(item)) item.flow = true;
    },
  });
}

export type ValidSchedule = Extract<ValidationResult, { ok: true }>;

/** The schedule's file through the scenario validator; a problem is a generator bug, said with the file's lines. */
export function validateSchedule(s: Schedule, file: string, topology: TopologyNames): ValidSchedule {
  const source = scheduleYaml(s);
  const result = validateScenarioSource(source, file, { topology });
  if (!result.ok) throw new Error(`explore drew a schedule the scenario validator rejects (seed ${s.seed}):\n${result.errors.map((e) => `  ${formatDiagnostic(e)}`).join('\n')}\n${source}`);
  return result;
}
