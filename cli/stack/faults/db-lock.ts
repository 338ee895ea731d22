/**
 * db-lock: a psql session inside the PostgreSQL container takes
 * `LOCK TABLE <table> IN <mode> MODE` and sleeps for the duration in the same
 * transaction: a database that answers, slowly (statements that conflict with
 * the lock wait). The sleep bounds it even if the CLI dies; healing terminates
 * the session early. The session is found by its application_name.
 */
import { InfrastructureError } from '../../errors.js';
import { TABLE_LOCK_MODES, type TableLockMode } from '../types.js';
import type { FaultContext, FaultOf, GrayFaultImpl } from './context.js';
import { execCollect, execDetached } from './exec.js';

export const DB_LOCK_APP = 'eventflow-db-lock';
export const LOCK_MODES: readonly TableLockMode[] = TABLE_LOCK_MODES;
/** Longest lock a scenario may hold (the session ends by itself after it anyway). */
export const MAX_LOCK_MS = 10 * 60_000;
const GRANT_TIMEOUT_MS = 10_000;
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** psql on the local socket as the database owner (trust on both the official and the offline image). */
async function psql(ctx: FaultContext, service: string, sql: string, detach = false): Promise<string> {
  const info = await ctx.inspect(service);
  if (!info.State.Running || info.State.Paused) throw new InfrastructureError(`cannot run SQL in ${service}: its container is ${info.State.Paused ? 'paused' : info.State.Status}`);
  const env = Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const user = env.POSTGRES_USER ?? 'postgres';
  const cmd = ['psql', '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', env.POSTGRES_DB ?? user, '-c', sql];
  const container = ctx.docker.getContainer(info.Id);
  const opts = { user: 'postgres', env: [`PGAPPNAME=${DB_LOCK_APP}`] };
  if (detach) {
    await execDetached(container, cmd, opts);
    return '';
  }
  const res = await execCollect(container, cmd, opts);
  if (res.exitCode !== 0) throw new InfrastructureError(`psql in ${service} failed: ${res.output || `exit ${res.exitCode}`}`);
  return res.output;
}

const grantedLocks = (f: FaultOf<'db-lock'>): string =>
  `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = '${DB_LOCK_APP}' AND l.granted AND l.relation = '${f.table}'::regclass`;

async function release(ctx: FaultContext, service: string): Promise<void> {
  await psql(ctx, service, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${DB_LOCK_APP}' AND pid <> pg_backend_pid()`);
}

export const dbLock: GrayFaultImpl<FaultOf<'db-lock'>> = {
  check: (f) => [
    ...(IDENT.test(f.table) ? [] : [`db-lock table must be a plain lower-case identifier, got "${f.table}"`]),
    ...(LOCK_MODES.includes(f.mode) ? [] : [`db-lock mode must be one of ${LOCK_MODES.join(', ')}, got "${f.mode}"`]),
    ...(f.durationMs > 0 && f.durationMs <= MAX_LOCK_MS ? [] : [`db-lock duration must be in (0, ${MAX_LOCK_MS / 60_000} min], got ${f.durationMs} ms`]),
  ],

  async apply(ctx, f) {
    if ((await psql(ctx, f.service, `SELECT to_regclass('${f.table}') IS NOT NULL`)) !== 't') {
      throw new InfrastructureError(`db-lock: the database in ${f.service} has no table "${f.table}"`);
    }
    await release(ctx, f.service); // applying again replaces the lock
    // table and mode are checked against IDENT and LOCK_MODES above: nothing else reaches the SQL text
    await psql(ctx, f.service, `BEGIN; LOCK TABLE ${f.table} IN ${f.mode} MODE; SELECT pg_sleep(${(f.durationMs / 1000).toFixed(3)}); COMMIT;`, true);
    const deadline = Date.now() + GRANT_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (Number(await psql(ctx, f.service, grantedLocks(f))) > 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await release(ctx, f.service);
    throw new InfrastructureError(`db-lock on ${f.table}: the lock was not granted within ${GRANT_TIMEOUT_MS / 1000} s (a conflicting lock is held by another session)`);
  },

  async heal(ctx, f) {
    const info = await ctx.inspect(f.service);
    if (!info.State.Running || info.State.Paused) return; // a stopped server holds no lock; a paused one is unpaused by its own heal first
    await release(ctx, f.service);
  },
};
