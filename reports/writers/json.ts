import type { RunReport } from '../model.js';

/** report.json: the whole record, stable key order, 2-space indent. */
export function renderJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
