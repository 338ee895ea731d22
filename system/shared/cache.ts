import { Redis } from 'ioredis';
import { errorMessage, type Logger } from './logger.js';

export interface CacheOptions {
  url: string;
  log: Logger;
  /** bound on every command (a paused Redis costs at most this) */
  commandTimeoutMs?: number;
  /** do not connect until the first command (unit tests) */
  lazyConnect?: boolean;
}

/**
 * Redis with fail-fast settings: no offline queue (commands fail at once while
 * disconnected), a command timeout, and endless reconnection with capped
 * backoff so the node picks Redis up again by itself.
 */
export class Cache {
  readonly redis: Redis;

  constructor(opts: CacheOptions) {
    this.redis = new Redis(opts.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 300,
      connectTimeout: 1000,
      lazyConnect: opts.lazyConnect ?? false,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
    });
    let wasReady = false;
    this.redis.on('error', (err: Error) => {
      if (wasReady) opts.log.warn({ err: errorMessage(err) }, 'redis error');
      wasReady = false;
    });
    this.redis.on('ready', () => {
      wasReady = true;
      opts.log.info({ dependency: 'redis' }, 'redis ready');
    });
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async setJson(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const raw = JSON.stringify(value);
    if (ttlSeconds !== undefined) await this.redis.set(key, raw, 'EX', ttlSeconds);
    else await this.redis.set(key, raw);
  }

  async probe(): Promise<{ up: boolean; latencyMs: number; error?: string }> {
    const started = performance.now();
    try {
      await this.redis.ping();
      return { up: true, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      return { up: false, latencyMs: Math.round(performance.now() - started), error: errorMessage(err) };
    }
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
