import { homedir } from 'node:os';
import { join } from 'node:path';

/** EventFlow's own folder for this user: $EVENTFLOW_HOME, default ~/.eventflow (config.json, stacks/). */
export function eventflowHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.EVENTFLOW_HOME ?? join(homedir(), '.eventflow');
}
