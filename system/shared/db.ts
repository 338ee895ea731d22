import CircuitBreaker from 'opossum';
import pg from 'pg';
import { AppError } from './errors.js';
import { errorMessage, type Logger } from './logger.js';

export type BreakerState = 'closed' | 'open' | 'half-open';
export type DbWork<T> = (pool: pg.Pool) => Promise<T>;

export interface DatabaseOptions {
  url: string;
  queryTimeoutMs: number;
  breakerResetMs: number;
  poolSize?: number;
  log: Logger;
  /**
   * Bound every call through the breaker by 2 × queryTimeoutMs (default true). A
   * writer that must know whether its transaction committed (the notifier)
   * turns this off and relies on pg's own connect/query timeouts instead.
   */
  breakerTimeout?: boolean;
  /** called whenever the breaker changes state */
  onBreakerState?: (state: BreakerState) => void;
}

/** pg error codes / messages that mean "the database is not reachable" rather than "this statement is wrong". */
const CONNECTIVITY_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'EOPENBREAKER', '57P01', '57P02', '57P03', '53300', '42P01',
]);
export function isConnectivityError(err: unknown): boolean {
  if (err instanceof AppError) return false;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTIVITY_CODES.has(code) || code.startsWith('08'))) return true;
  const msg = errorMessage(err).toLowerCase();
  return (
    msg.includes('connection terminated') || msg.includes('timeout') || msg.includes('timed out') ||
    msg.includes('connect') || msg.includes('breaker is open') || msg.includes('client has encountered a connection error') ||
    msg.includes('not queryable')
  );
}

/**
 * PostgreSQL access: a pool with bounded connect/query timeouts behind an
 * opossum circuit breaker, so that a dead database costs microseconds per call
 * once the breaker is open. Reconnection is implicit: the pool opens new
 * connections on demand and the breaker half-opens after `breakerResetMs`.
 */
export class Database {
  readonly pool: pg.Pool;
  private readonly breaker: CircuitBreaker<[DbWork<unknown>], unknown>;

  constructor(private readonly opts: DatabaseOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.queryTimeoutMs,
      query_timeout: opts.queryTimeoutMs,
      statement_timeout: opts.queryTimeoutMs,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
    });
    // idle clients die with the server: log, never crash
    this.pool.on('error', (err) => opts.log.warn({ err: errorMessage(err) }, 'postgres idle client error'));
    this.breaker = new CircuitBreaker(async (work: DbWork<unknown>) => work(this.pool), {
      // each statement is bounded by queryTimeoutMs (pg); a whole call (a transaction of a few statements) gets twice that
      timeout: opts.breakerTimeout === false ? false : 2 * opts.queryTimeoutMs,
      resetTimeout: opts.breakerResetMs,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      rollingCountTimeout: 5000,
      rollingCountBuckets: 5,
      // business outcomes are not dependency failures
      errorFilter: (err: unknown) => err instanceof AppError,
    });
    const emit = (state: BreakerState) => () => {
      if (state === 'closed') opts.log.info({ dependency: 'postgres', state }, 'circuit breaker state');
      else opts.log.warn({ dependency: 'postgres', state }, 'circuit breaker state');
      opts.onBreakerState?.(state);
    };
    this.breaker.on('open', emit('open'));
    this.breaker.on('halfOpen', emit('half-open'));
    this.breaker.on('close', emit('closed'));
  }

  get breakerState(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  /** Run work through the breaker (fails fast with code EOPENBREAKER while open). */
  async run<T>(work: DbWork<T>): Promise<T> {
    return (await this.breaker.fire(work as DbWork<unknown>)) as T;
  }

  /** Run work in one transaction (through the breaker). */
  async tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(async (pool) => {
      const client = await pool.connect();
      let failed: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        failed = err instanceof Error ? err : new Error(String(err));
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // a connection error destroys the client instead of returning it to the pool
        client.release(failed !== undefined && !(failed instanceof AppError) ? failed : undefined);
      }
    });
  }

  /** Independent probe (own connection, not through the breaker): is PostgreSQL answering? */
  async probe(timeoutMs = this.opts.queryTimeoutMs): Promise<{ up: boolean; latencyMs: number; error?: string }> {
    const started = performance.now();
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { up: true, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      return { up: false, latencyMs: Math.round(performance.now() - started), error: errorMessage(err) };
    } finally {
      void client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
    await this.pool.end().catch(() => undefined);
  }
}
