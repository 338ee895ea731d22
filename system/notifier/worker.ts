import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { FastifyInstance } from 'fastify';
import { Broker } from '../shared/broker.js';
import type { ServiceConfig } from '../shared/config.js';
import { createServiceDatabase, type Database } from '../shared/db.js';
import { classifyDbError } from '../shared/db-errors.js';
import { HealthMonitor } from '../shared/health.js';
import { createHttpApp } from '../shared/http.js';
import { createLogger, errorMessage, type Logger } from '../shared/logger.js';
import {
  ATTEMPTS_HEADER,
  attemptsOf,
  DEAD_QUEUE,
  decodeMessage,
  DLX,
  MAX_ATTEMPTS,
  QUEUE,
  REASON_HEADER,
  RETRY_QUEUE,
  retryDelayMs,
  type PurchaseMessage,
} from '../shared/message.js';
import { createMetrics, DEAD_LETTER_REASONS, type Metrics } from '../shared/metrics.js';
import { migrateWithRetry } from '../db/migrate.js';
import { PersistBatcher } from './batch.js';
import { UnknownEventError } from './persist.js';
import { notifierHealthSchema } from './schemas.js';

/** the largest batch persisted in one statement (batch.ts, persist-many.ts) */
export const MAX_BATCH = 128;
/** unacked messages at a time: two batches, so the next one is delivered while one is written */
export const PREFETCH = 2 * MAX_BATCH;
export const DB_BACKOFF_START_MS = 100;
export const DB_BACKOFF_CAP_MS = 2000;
/** pause after a transient database error (the database answers, not now): 250 ms doubling per failure in a row, capped */
export const TRANSIENT_BACKOFF_START_MS = 250;
export const TRANSIENT_BACKOFF_CAP_MS = 5000;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface NotifierHooks {
  /** test seam: runs after the order is committed and before the ack */
  afterPersist?: (message: PurchaseMessage) => Promise<void>;
}

/**
 * Consumes queued purchases and persists them; database errors are classified by `classifyDbError`
 * (system/shared/db-errors.ts). PostgreSQL unreachable → nack+requeue, stop consuming, probe the DB with
 * exponential backoff (100 ms → 2 s) and resume. Transient (the database answers but cannot do it now:
 * privilege revoked, statement timeout, disk full…) → nack+requeue, stop consuming for a backoff that grows
 * while it lasts (250 ms → 5 s), resume: an acknowledged purchase is never dead-lettered for it. Rejected
 * (retrying cannot help) → retry queue with per-message expiration, dead-lettered after MAX_ATTEMPTS
 * (replayable). Malformed → dead-lettered at once with the reason.
 */
export class Notifier {
  private ch: ConfirmChannel | undefined;
  private consumerTag: string | undefined;
  private paused = false;
  private stopped = false;
  private inflight = 0;
  /** transient database failures in a row (reset by a persisted message): sets the next pause */
  private transientStreak = 0;
  private depthTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  readonly broker: Broker;
  private readonly batcher: PersistBatcher;

  constructor(
    private readonly deps: { db: Database; metrics: Metrics; log: Logger; amqpUrl: string; hooks?: NotifierHooks; migrated: () => boolean },
  ) {
    this.batcher = new PersistBatcher(deps.db, MAX_BATCH);
    this.broker = new Broker({
      url: deps.amqpUrl,
      log: deps.log,
      onReady: (ch) => this.onChannel(ch),
      onDown: () => {
        this.ch = undefined;
        this.consumerTag = undefined;
      },
    });
  }

  get consuming(): boolean {
    return this.consumerTag !== undefined;
  }
  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    this.broker.start();
    this.depthTimer = setInterval(() => void this.updateDepth(), 2000);
    this.depthTimer.unref();
  }

  private async onChannel(ch: ConfirmChannel): Promise<void> {
    this.ch = ch;
    await ch.prefetch(PREFETCH);
    void this.updateDepth();
    if (!this.paused && !this.stopped) {
      if (this.deps.migrated()) await this.consume();
      else void this.pauseForDb('schema not migrated yet');
    }
  }

  private async consume(): Promise<void> {
    const ch = this.ch;
    if (!ch || this.consumerTag !== undefined || this.stopped) return;
    const { consumerTag } = await ch.consume(QUEUE, (msg) => {
      if (msg) void this.handle(ch, msg);
    });
    this.consumerTag = consumerTag;
    this.deps.log.info({ queue: QUEUE, prefetch: PREFETCH }, 'consuming');
  }

  private async stopConsuming(): Promise<void> {
    const ch = this.ch;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (ch && tag) await ch.cancel(tag).catch(() => undefined);
  }

  private async handle(ch: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    this.inflight++;
    try {
      if (this.paused || this.stopped) {
        ch.nack(msg, false, true);
        return;
      }
      const decoded = decodeMessage(msg.content);
      if (!decoded.ok) {
        await this.deadLetter(ch, msg, decoded.reason, decoded.detail);
        return;
      }
      const m = decoded.message;
      try {
        const r = await this.batcher.persist(m);
        this.transientStreak = 0;
        await this.deps.hooks?.afterPersist?.(m);
        ch.ack(msg);
        this.deps.metrics.notifierMessages.inc({ result: r.result });
        if (r.result === 'duplicate') {
          this.deps.log.info({ orderId: m.orderId, status: r.status }, 'duplicate delivery ignored (already persisted)');
        } else {
          this.deps.log.info(
            { orderId: m.orderId, email: m.buyerEmail, status: r.status, reason: r.reason, kind: 'notification' },
            `notification: order ${m.orderId} ${r.status} sent to ${m.buyerEmail}`,
          );
        }
      } catch (err) {
        if (err instanceof UnknownEventError) {
          await this.deadLetter(ch, msg, 'unknown_event', err.message);
        } else if (classifyDbError(err) === 'unreachable') {
          ch.nack(msg, false, true);
          void this.pauseForDb(errorMessage(err));
        } else if (classifyDbError(err) === 'transient') {
          ch.nack(msg, false, true);
          void this.pauseForDb(errorMessage(err), this.transientDelayMs());
        } else {
          await this.retryOrDeadLetter(ch, msg, err);
        }
      }
    } catch (err) {
      // broker trouble while acking/publishing: the message stays unacked and is redelivered after reconnect
      this.deps.log.warn({ err: errorMessage(err) }, 'message handling interrupted');
    } finally {
      this.inflight--;
    }
  }

  private async retryOrDeadLetter(ch: ConfirmChannel, msg: ConsumeMessage, err: unknown): Promise<void> {
    const attempts = attemptsOf(msg.properties.headers) + 1;
    if (attempts >= MAX_ATTEMPTS) {
      await this.deadLetter(ch, msg, 'max_attempts', `${attempts} attempts, last error: ${errorMessage(err)}`);
      return;
    }
    await this.broker.publish('', RETRY_QUEUE, msg.content, {
      persistent: true,
      contentType: 'application/json',
      messageId: msg.properties.messageId as string | undefined,
      expiration: String(retryDelayMs(attempts)),
      headers: { ...(msg.properties.headers ?? {}), [ATTEMPTS_HEADER]: attempts, 'x-last-error': errorMessage(err).slice(0, 200) },
    });
    ch.ack(msg);
    this.deps.metrics.notifierRetries.inc();
    this.deps.log.warn({ err: errorMessage(err), attempts, messageId: msg.properties.messageId }, 'message scheduled for retry');
  }

  private async deadLetter(ch: ConfirmChannel, msg: ConsumeMessage, reason: DeadLetterReason, detail: string): Promise<void> {
    await this.broker.publish(DLX, '', msg.content, {
      persistent: true,
      contentType: msg.properties.contentType as string | undefined,
      messageId: msg.properties.messageId as string | undefined,
      headers: { ...(msg.properties.headers ?? {}), [REASON_HEADER]: reason, 'x-eventflow-detail': detail.slice(0, 300) },
    });
    ch.ack(msg);
    this.deps.metrics.notifierDeadLettered.inc({ reason });
    this.deps.log.warn({ reason, detail, messageId: msg.properties.messageId }, 'message dead-lettered');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private transientDelayMs(): number {
    const delay = Math.min(TRANSIENT_BACKOFF_START_MS * 2 ** this.transientStreak, TRANSIENT_BACKOFF_CAP_MS);
    this.transientStreak = Math.min(this.transientStreak + 1, 16);
    return delay;
  }

  /**
   * Stop consuming and probe PostgreSQL with exponential backoff; resume when it answers (and, after a
   * transient error, not before `atLeastMs`: the database answering `SELECT 1` does not mean it takes the work).
   */
  private async pauseForDb(why: string, atLeastMs = 0): Promise<void> {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.deps.log.warn({ why, pauseMs: atLeastMs || undefined }, 'database unavailable: pausing consumption');
    await this.stopConsuming();
    if (atLeastMs > 0) await this.sleep(atLeastMs);
    let delay = DB_BACKOFF_START_MS;
    while (!this.stopped) {
      await this.sleep(delay);
      if (this.stopped) break;
      const probe = await this.deps.db.probe();
      if (probe.up && this.deps.migrated()) break;
      delay = Math.min(delay * 2, DB_BACKOFF_CAP_MS);
    }
    this.paused = false;
    if (this.stopped) return;
    this.deps.log.info({}, 'database reachable again: resuming consumption');
    await this.consume().catch((err: unknown) => this.deps.log.warn({ err: errorMessage(err) }, 'resume failed; will resume on reconnect'));
  }

  private async updateDepth(): Promise<void> {
    const ch = this.ch;
    if (!ch) return;
    try {
      const queues: Array<[string, string]> = [
        ['purchases', QUEUE],
        ['retry', RETRY_QUEUE],
        ['dead', DEAD_QUEUE],
      ];
      for (const [label, name] of queues) {
        const q = await ch.checkQueue(name);
        this.deps.metrics.queueMessages.set({ queue: label }, q.messageCount);
      }
    } catch {
      /* broker down: gauges keep their last value */
    }
  }

  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.depthTimer) clearInterval(this.depthTimer);
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.stopConsuming();
    const deadline = Date.now() + graceMs;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.broker.close();
  }
}

export interface RunningNotifier {
  app: FastifyInstance;
  notifier: Notifier;
  metrics: Metrics;
  db: Database;
  close(): Promise<void>;
}

export async function createNotifierService(
  config: ServiceConfig,
  opts: { log?: Logger; hooks?: NotifierHooks } = {},
): Promise<RunningNotifier> {
  if (!config.amqpUrl) throw new Error('notifier needs AMQP_URL');
  const log = opts.log ?? createLogger(config.logLevel, { service: 'notifier', node: config.nodeId });
  const metrics = createMetrics('notifier', config.nodeId, { defaultMetrics: true });
  const db = createServiceDatabase(config, log, metrics, {
    // batches (batch.ts) write on one connection at a time; the rest serve per-message fallbacks and probes
    poolSize: 10,
    // a timed-out-but-committed transaction would be counted as a duplicate later: let pg's timeouts bound it
    breakerTimeout: false,
  });
  let migrated = false;
  const abort = new AbortController();
  void migrateWithRetry(config.databaseUrl, log, { signal: abort.signal })
    .then((ok) => {
      migrated = ok;
    })
    .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'migrations failed'));
  const notifier = new Notifier({ db, metrics, log, amqpUrl: config.amqpUrl, migrated: () => migrated, ...(opts.hooks ? { hooks: opts.hooks } : {}) });
  notifier.start();
  const monitor = new HealthMonitor(
    { postgres: () => db.probe(Math.min(config.dbQueryTimeoutMs, 1000)), rabbitmq: async () => ({ up: notifier.broker.ready, latencyMs: 0 }) },
    metrics,
  );
  monitor.start();
  const app = createHttpApp({ nodeId: config.nodeId, metrics, logLevel: config.logLevel });
  app.get('/health', { schema: notifierHealthSchema }, async () => ({
    node: config.nodeId,
    up: true,
    status: monitor.allUp() && notifier.consuming ? 'ok' : 'degraded',
    dependencies: monitor.snapshot(),
    consuming: notifier.consuming,
    paused: notifier.isPaused,
  }));
  return {
    app,
    notifier,
    metrics,
    db,
    async close() {
      abort.abort();
      monitor.stop();
      await notifier.stop();
      await app.close();
      await db.close();
    },
  };
}
