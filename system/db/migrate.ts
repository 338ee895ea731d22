import pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.js';
import { errorMessage, type Logger } from '../shared/logger.js';

/** Arbitrary constant key for pg_advisory_lock: only one migrator at a time. */
const LOCK_KEY = 7_212_024;

/** Apply pending migrations once, under an advisory lock. Returns the names applied now. */
export async function migrate(databaseUrl: string, log: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
      for (const m of migrations) {
        if (done.has(m.name)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.name} failed: ${errorMessage(err)}`);
        }
        applied.push(m.name);
        log.info({ migration: m.name }, 'migration applied');
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return applied;
}

/**
 * Retry migrate() with capped backoff until it succeeds, `signal` aborts, or
 * `deadlineMs` passes (then the last error is thrown). Services start serving
 * meanwhile: the database may well be down when a node starts.
 */
export async function migrateWithRetry(
  databaseUrl: string,
  log: Logger,
  opts: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<boolean> {
  const deadline = Date.now() + (opts.deadlineMs ?? Number.POSITIVE_INFINITY);
  let delay = 200;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) return false;
    try {
      await migrate(databaseUrl, log);
      return true;
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      if (attempt === 1 || attempt % 10 === 0) log.warn({ err: errorMessage(err), attempt }, 'migrations not applied yet, retrying');
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      opts.signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    delay = Math.min(delay * 2, 2000);
  }
}
