/** Where run reports go by default (a constant of its own: the CLI's option help needs it without loading the writers). */
import { join } from 'node:path';

export const DEFAULT_RUNS_DIR = join('reports', 'runs');
