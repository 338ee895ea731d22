import CircuitBreaker from 'opossum';
import pg from 'pg';
import { classifyDbError } from './db-errors.js';
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

/**
 * The Database of a service, from its config, with the breaker's state mirrored
 * into the service's metrics (starting "closed").
 */
export function createServiceDatabase(
  config: { databaseUrl: string; dbQueryTimeoutMs: number; breakerResetMs: number },
  log: Logger,
  metrics: { setBreaker(state: BreakerState): void },
  options: Pick<DatabaseOptions, 'poolSize' | 'breakerTimeout'> = {},
): Database {
  metrics.setBreaker('closed');
  return new Database({
    url: config.databaseUrl,
    queryTimeoutMs: config.dbQueryTimeoutMs,
    breakerResetMs: config.breakerResetMs,
    log,
    ...options,
    onBreakerState: (state) => metrics.setBreaker(state),
  });
}

/**
 * Calls in a row that got no answer from PostgreSQL (connect/query/transaction timeout, connection refused or
 * reset: classifyDbError → unreachable) that open the breaker at once, whatever the rolling error rate. The
 * rolling rate alone lets a *hanging* database cost a full timeout per request for seconds: each failure takes
 * the whole timeout to arrive, and the successes of the seconds before the hang dilute the rate. Two, not one: a
 * single slow call under host load is retried once by the purchase path (broker down) and must not be refused.
 */
export const HANG_TRIP_FAILURES = 2;

/**
 * Failures before any connection to PostgreSQL was established for the call: a new connection that did not
 * finish TCP + authentication + backend start in time (pg-pool, pg), or no pooled connection free in time. They
 * cannot start a hang-trip streak (nor do they reset one): on a loaded host this is the first thing to time out
 * while the established connections still answer. A restarted api node under load (rolling-restart) had two new
 * connections time out together and the hang trip refused every purchase for a second (17× 202 in one run).
 * A frozen PostgreSQL leaves the established connections unanswered too: the first of those starts the streak,
 * and a failure to connect after it extends it (a thin pool); a database that stays away from a cold pool
 * still opens the breaker by the rolling error rate (3 calls).
 */
const CONNECT_PHASE_MESSAGES = ['connection terminated due to connection timeout', 'timeout exceeded when trying to connect', 'timeout expired'];

/** Did the call fail before it had an established connection (see CONNECT_PHASE_MESSAGES)? */
export function failedToConnect(err: unknown): boolean {
  const msg = errorMessage(err).toLowerCase();
  return CONNECT_PHASE_MESSAGES.some((m) => msg === m || msg.startsWith(m));
}

/**
 * Could PostgreSQL have received this call's statement and commit it later, unanswered? Yes when the statement
 * was written on an established connection and no answer came in time: pg's `query_timeout` ("Query read
 * timeout") or the breaker's own timeout (ETIMEDOUT, "Timed out after", set beyond the connect timeout). A frozen
 * PostgreSQL (paused, black-holed) that thaws runs what is in its socket, and a single statement commits by
 * itself (found by explore: PostgreSQL paused, RabbitMQ killed). No for everything else: an error PostgreSQL
 * answered rolled the statement back; a refused, unconnectable or breaker-refused call sent nothing; a
 * connection the server ended (a killed PostgreSQL: "Connection terminated unexpectedly") leaves only the
 * microseconds between a durable COMMIT and its reply, not a window a thaw can reopen. An api that cannot rule
 * it out must not say "nothing was stored".
 */
export function mayHaveReachedDatabase(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const msg = errorMessage(err).toLowerCase();
  if (msg === 'query read timeout') return true;
  return (err as { code?: unknown }).code === 'ETIMEDOUT' && msg.startsWith('timed out after');
}

/**
 * A transaction abandoned because its deadline passed before COMMIT was sent:
 * its connection was destroyed, so PostgreSQL rolls it back; it can never commit.
 */
export class TxTimeoutError extends Error {
  readonly code = 'ETXTIMEOUT';
  constructor(deadlineMs: number) {
    super(`transaction timed out after ${deadlineMs} ms (rolled back, connection dropped)`);
    this.name = 'TxTimeoutError';
  }
}

/** Drop a pg client's socket at once: the in-flight query fails now and the server rolls the open transaction back. */
function destroyConnection(client: pg.PoolClient): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  stream?.destroy?.();
}

/**
 * PostgreSQL access: a pool with bounded connect/query timeouts behind an opossum circuit breaker, so that a
 * dead or hanging database costs microseconds per call once the breaker is open. The breaker opens on the
 * rolling error rate or after HANG_TRIP_FAILURES unanswered calls in a row on established connections. When it
 * half-opens after `breakerResetMs` the one trial call is a `SELECT 1` of its own, never a user's request: user
 * calls keep failing fast until the trial got an answer (then it closes; no answer within the timeouts: open
 * again for another `breakerResetMs`).
 * Reconnection is implicit: the pool opens new connections on demand.
 */
export class Database {
  readonly pool: pg.Pool;
  private readonly breaker: CircuitBreaker<[DbWork<unknown>], unknown>;
  /** deadline of a whole transaction before COMMIT is sent (undefined: none, pg's per-statement timeouts only) */
  readonly txDeadlineMs: number | undefined;

  constructor(private readonly opts: DatabaseOptions) {
    const q = opts.queryTimeoutMs;
    this.txDeadlineMs = opts.breakerTimeout === false ? undefined : 2 * q;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      // keep a couple of connections warm: a new one (TCP + SCRAM auth + backend fork) is what times out first under host load
      min: Math.min(2, opts.poolSize ?? 10),
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: q,
      // client side: stop waiting after q ...
      query_timeout: q,
      // ... server side: the same statement is cancelled by PostgreSQL itself, and a session left idle inside a
      // transaction (frozen or partitioned client) is ended, so a transaction the api gave up on cannot linger or commit
      statement_timeout: q,
      idle_in_transaction_session_timeout: Math.max(5 * q, 5000),
      keepAlive: true,
    });
    // Every pooled client gets its own error listener for its whole life. pg-pool only listens while a client is
    // idle; a client checked out for a transaction whose server dies (ECONNRESET) would otherwise emit an
    // unhandled 'error' and crash the process. The failed query rejects on its own; this only logs.
    this.pool.on('connect', (client) => {
      client.on('error', (err: Error) => opts.log.warn({ err: errorMessage(err) }, 'postgres client error'));
    });
    // idle clients die with the server: log, never crash
    this.pool.on('error', (err) => opts.log.warn({ err: errorMessage(err) }, 'postgres idle client error'));
    this.breaker = new CircuitBreaker(async (work: DbWork<unknown>) => work(this.pool), {
      // Each statement is bounded by q (pg, client and server side) and a transaction by its own deadline (2q before
      // COMMIT, then COMMIT's own q): tx() enforces it by dropping the connection, which guarantees a rollback. The
      // breaker's timeout is only a backstop beyond that, because a breaker timeout does not stop the work: a
      // transaction abandoned by it alone could still COMMIT after the caller moved on (e.g. to the async path).
      timeout: opts.breakerTimeout === false ? false : 3 * q + 500,
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
    this.tripOnHang();
    // Take the half-open breaker's single trial slot at once (opossum lets exactly one call through until it
    // settles), so no user request pays a hanging database's timeout to find out; this also closes the breaker
    // of an idle node as soon as PostgreSQL answers again.
    this.breaker.on('halfOpen', () => void this.run((pool) => pool.query('SELECT 1')).catch(() => undefined));
  }

  /**
   * Open the breaker after HANG_TRIP_FAILURES unanswered calls in a row, the first on an established connection
   * (any answer, even an error, resets the count; a failure to connect counts only once a streak has begun).
   */
  private tripOnHang(): void {
    let unanswered = 0;
    this.breaker.on('success', () => {
      unanswered = 0;
    });
    this.breaker.on('failure', (err: unknown) => {
      if (classifyDbError(err) !== 'unreachable') {
        unanswered = 0;
        return;
      }
      // a failure to connect cannot start a streak (host load), only extend one an established connection started
      if (failedToConnect(err) && unanswered === 0) return;
      unanswered += 1;
      // from closed only: a half-open breaker whose trial got no answer opens again by itself
      if (unanswered >= HANG_TRIP_FAILURES && this.breaker.closed) {
        this.opts.log.warn({ dependency: 'postgres', unanswered, err: errorMessage(err) }, 'postgres does not answer: opening the breaker');
        this.breaker.open();
      }
    });
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

  /**
   * Run work in one transaction (through the breaker). With a deadline (default `txDeadlineMs`): if it passes
   * before COMMIT is sent, the connection is dropped at once (the server rolls back; the call rejects with
   * TxTimeoutError), so a transaction reported as failed never commits later. Once COMMIT is sent the call
   * waits for its answer (bounded by query_timeout); only a lost answer to COMMIT leaves the outcome unknown,
   * which callers cover with the idempotency key (see PurchaseService).
   */
  async tx<T>(work: (client: pg.PoolClient) => Promise<T>, opts: { deadlineMs?: number } = {}): Promise<T> {
    const deadlineMs = opts.deadlineMs ?? this.txDeadlineMs;
    return this.run(async (pool) => {
      const started = performance.now();
      const client = await pool.connect();
      let failed: Error | undefined;
      let committing = false;
      let abandoned = false;
      let timer: NodeJS.Timeout | undefined;
      if (deadlineMs !== undefined) {
        timer = setTimeout(() => {
          if (committing) return;
          abandoned = true;
          // end the backend on the server too (it may sit in a statement holding row locks until it notices the
          // dropped socket), then drop the socket: the transaction is rolled back either way
          const pid = (client as unknown as { processID?: number }).processID;
          if (pid) void this.pool.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => undefined);
          destroyConnection(client);
        }, Math.max(0, deadlineMs - (performance.now() - started)));
      }
      try {
        await client.query('BEGIN');
        const result = await work(client);
        if (abandoned) throw new TxTimeoutError(deadlineMs ?? 0);
        committing = true;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        failed = abandoned ? new TxTimeoutError(deadlineMs ?? 0) : err instanceof Error ? err : new Error(String(err));
        if (!abandoned) await client.query('ROLLBACK').catch(() => undefined);
        throw abandoned ? failed : err;
      } finally {
        if (timer) clearTimeout(timer);
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
