import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { DEAD_QUEUE, DLX, QUEUE, QUEUE_ARGS, RETRY_QUEUE, RETRY_QUEUE_ARGS } from './message.js';
import { errorMessage, type Logger } from './logger.js';

export interface BrokerOptions {
  url: string;
  log: Logger;
  /** called after every (re)connection with the fresh confirm channel (e.g. to start consuming) */
  onReady?: (channel: ConfirmChannel) => Promise<void>;
  /** called when the connection is lost */
  onDown?: () => void;
  publishTimeoutMs?: number;
  heartbeatSeconds?: number;
  /** bound on one whole connection attempt: TCP + AMQP handshake + channel + topology + onReady (default 5000) */
  connectTimeoutMs?: number;
}

export class BrokerUnavailableError extends Error {
  readonly code = 'EBROKERDOWN';
  /**
   * @param mayHaveStored the message was handed to the broker's connection and no answer came (confirm timeout,
   *   channel closed before the confirm): the broker may have queued it. False when nothing was sent or the
   *   broker nacked it.
   */
  constructor(
    message: string,
    readonly mayHaveStored = false,
  ) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** Declare the exchanges and queues of the contract (idempotent). */
export async function assertTopology(ch: ConfirmChannel): Promise<void> {
  await ch.assertExchange(DLX, 'fanout', { durable: true });
  await ch.assertQueue(DEAD_QUEUE, { durable: true });
  await ch.bindQueue(DEAD_QUEUE, DLX, '');
  await ch.assertQueue(QUEUE, QUEUE_ARGS);
  await ch.assertQueue(RETRY_QUEUE, RETRY_QUEUE_ARGS);
}

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

/** Close a connection without waiting on the broker: a dead or half-started broker never answers close(). */
function dropConnection(conn: ChannelModel): void {
  void conn.close().catch(() => undefined);
  const stream = (conn as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  // give a live broker a moment to take the close, then cut the socket whatever happened
  setTimeout(() => stream?.destroy?.(), 500).unref();
}

class ConnectTimeout extends Error {}

type Settle = (err: BrokerUnavailableError | undefined) => void;
const unconfirmedByChannel = new WeakMap<ConfirmChannel, Set<Settle>>();

/** The publishes of a channel still waiting for their confirm; the channel's close fails them all. */
function unconfirmedOf(ch: ConfirmChannel): Set<Settle> {
  let set = unconfirmedByChannel.get(ch);
  if (!set) {
    const pending = new Set<Settle>();
    ch.once('close', () => {
      for (const settle of [...pending]) settle(new BrokerUnavailableError('channel closed before confirm', true));
    });
    unconfirmedByChannel.set(ch, pending);
    set = pending;
  }
  return set;
}

/**
 * One AMQP connection + one confirm channel, re-established by itself with
 * backoff (100 ms doubling, capped at 2 s) whenever the broker goes away.
 * Every connection attempt is bounded as a whole (amqplib's own `timeout` stops
 * at the AMQP handshake), so an attempt against a broker that is still booting
 * or shutting down cannot hang and block reconnection for good.
 */
export class Broker {
  private conn: ChannelModel | undefined;
  private ch: ConfirmChannel | undefined;
  private stopped = false;
  private connecting = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly opts: BrokerOptions) {}

  get ready(): boolean {
    return this.ch !== undefined;
  }

  get channel(): ConfirmChannel | undefined {
    return this.ch;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  /** Resolve true once connected, false after timeoutMs. */
  waitReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.connecting || this.ch) return;
    this.connecting = true;
    let conn: ChannelModel | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.opts.connectTimeoutMs ?? 5000;
    try {
      const attempt = (async (): Promise<ConfirmChannel> => {
        conn = await amqp.connect(withHeartbeat(this.opts.url, this.opts.heartbeatSeconds ?? 5), { timeout: Math.min(2000, timeoutMs) });
        const c = conn;
        // listeners first, before anything else can fail on this connection
        c.on('error', (err: Error) => this.opts.log.warn({ err: errorMessage(err) }, 'amqp connection error'));
        c.on('close', () => this.lost(c));
        if (timedOut) {
          dropConnection(c); // the attempt was given up while the handshake finished: do not leak the connection
          throw new ConnectTimeout('connection attempt timed out');
        }
        const ch = await c.createConfirmChannel();
        ch.on('error', (err: Error) => this.opts.log.warn({ err: errorMessage(err) }, 'amqp channel error'));
        ch.on('close', () => this.lost(c));
        await assertTopology(ch);
        return ch;
      })();
      attempt.catch(() => undefined); // settled after a timeout: nobody awaits it any more
      const ch = await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new ConnectTimeout(`no usable AMQP connection within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
      if (this.stopped) {
        if (conn) dropConnection(conn);
        return;
      }
      this.conn = conn;
      this.ch = ch;
      if (this.opts.onReady) {
        await Promise.race([
          this.opts.onReady(ch),
          new Promise<never>((_, reject) => {
            clearTimeout(timer);
            timer = setTimeout(() => reject(new ConnectTimeout(`onReady did not finish within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      }
      this.attempt = 0;
      this.opts.log.info({ dependency: 'rabbitmq' }, 'amqp connected');
      for (const w of this.readyWaiters.splice(0)) w();
    } catch (err) {
      this.opts.log.debug({ err: errorMessage(err) }, 'amqp connect failed');
      const failed = conn as ChannelModel | undefined;
      if (failed && this.conn === failed) {
        this.connecting = false;
        this.lost(failed); // drops it and schedules the next attempt
        return;
      }
      if (failed) dropConnection(failed);
      this.schedule();
    } finally {
      if (timer) clearTimeout(timer);
      this.connecting = false;
    }
  }

  private lost(conn: ChannelModel | undefined): void {
    if (conn !== undefined && this.conn !== conn) return;
    if (conn === undefined && this.conn === undefined && this.ch === undefined) return;
    const wasUp = this.ch !== undefined;
    const old = this.conn;
    this.conn = undefined;
    this.ch = undefined;
    if (old) dropConnection(old);
    if (wasUp) {
      this.opts.log.warn({ dependency: 'rabbitmq' }, 'amqp connection lost');
      this.opts.onDown?.();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = Math.min(100 * 2 ** this.attempt, 2000);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }

  /**
   * Publish and wait for the broker's confirm. Rejects with BrokerUnavailableError when not connected or
   * nacked (nothing stored), or when the confirm does not come within the timeout or the channel closes
   * first (`mayHaveStored`: the broker may have queued it).
   * Every publish shares the one confirm channel; a closing channel fails all its
   * unconfirmed publishes at once (one listener per channel, not one per message).
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const ch = this.ch;
    if (!ch) return Promise.reject(new BrokerUnavailableError('broker not connected'));
    const timeoutMs = this.opts.publishTimeoutMs ?? 3000;
    const unconfirmed = unconfirmedOf(ch);
    return new Promise<void>((resolve, reject) => {
      const settle = (err: BrokerUnavailableError | undefined): void => {
        if (!unconfirmed.delete(settle)) return; // already settled (timeout, close or confirm)
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => settle(new BrokerUnavailableError(`no publisher confirm within ${timeoutMs} ms`, true)), timeoutMs);
      unconfirmed.add(settle);
      try {
        ch.publish(exchange, routingKey, content, options, (err: unknown) =>
          settle(err ? new BrokerUnavailableError(`broker nacked the message: ${errorMessage(err)}`) : undefined),
        );
      } catch (err) {
        settle(new BrokerUnavailableError(errorMessage(err)));
      }
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const conn = this.conn;
    this.conn = undefined;
    this.ch = undefined;
    if (conn) await conn.close().catch(() => undefined);
  }
}
