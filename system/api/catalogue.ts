import type { Cache } from '../shared/cache.js';
import type { Database } from '../shared/db.js';
import { eventNotFound, unavailable } from '../shared/errors.js';
import { errorMessage, type Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { eventFromRow, type Event, type EventRow, type Source } from './types.js';

const FRESH_KEY = 'cache:events:fresh';
const LAST_KEY = 'cache:events:last';
const FRESH_TTL_SECONDS = 2;
/** how long the async purchase path prices from the node's copy before asking Redis for the last known one again */
export const OFFLINE_REFRESH_MS = 1000;
const SELECT = 'SELECT id, name, venue, starts_at, unit_price_cents, capacity, remaining FROM events';

export interface Listing {
  events: Event[];
  source: Source;
  stale: boolean;
}
export interface Single {
  event: Event;
  source: Source;
  stale: boolean;
}

/**
 * Cache-aside catalogue. Fresh copy in Redis (short TTL) → PostgreSQL → the
 * last known copy in Redis (marked stale) while PostgreSQL is down. Redis down
 * → PostgreSQL directly. Both down → 503. A node-local copy is kept only for
 * pricing purchases on the async path (lookupOffline).
 */
export class Catalogue {
  private readonly local = new Map<number, Event>();
  private localLoaded = false;
  /** when lookupOffline last asked Redis (performance.now()), and the question in flight */
  private offlineCheckedAt = -Infinity;
  private offlineRefresh: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  private async cached(key: string): Promise<Event[] | undefined | 'error'> {
    try {
      const value = await this.cache.getJson<Event[]>(key);
      return value;
    } catch (err) {
      this.log.debug({ err: errorMessage(err) }, 'cache read failed');
      return 'error';
    }
  }

  private remember(events: Event[]): void {
    for (const e of events) this.local.set(e.id, e);
    this.localLoaded = true;
  }

  private async store(events: Event[]): Promise<void> {
    try {
      await Promise.all([this.cache.setJson(FRESH_KEY, events, FRESH_TTL_SECONDS), this.cache.setJson(LAST_KEY, events)]);
    } catch {
      /* best effort */
    }
  }

  /** Load all events from PostgreSQL (through the breaker) and refresh both caches. */
  async loadFromDb(): Promise<Event[]> {
    const rows = await this.db.run((pool) => pool.query<EventRow>(`${SELECT} ORDER BY id`));
    const events = rows.rows.map(eventFromRow);
    this.remember(events);
    await this.store(events);
    return events;
  }

  async list(): Promise<Listing> {
    const fresh = await this.cached(FRESH_KEY);
    if (Array.isArray(fresh)) {
      this.metrics.cacheRequests.inc({ result: 'hit' });
      this.remember(fresh);
      return { events: fresh, source: 'cache', stale: false };
    }
    this.metrics.cacheRequests.inc({ result: fresh === 'error' ? 'error' : 'miss' });
    let dbError: unknown;
    try {
      return { events: await this.loadFromDb(), source: 'db', stale: false };
    } catch (err) {
      dbError = err;
    }
    if (fresh !== 'error') {
      const last = await this.cached(LAST_KEY);
      if (Array.isArray(last)) return { events: last, source: 'cache', stale: true };
    }
    throw unavailable(`catalogue unavailable: database (${errorMessage(dbError)}) and cache both unreachable`);
  }

  async get(id: number): Promise<Single> {
    const fresh = await this.cached(FRESH_KEY);
    if (Array.isArray(fresh)) {
      const hit = fresh.find((e) => e.id === id);
      if (hit) {
        this.metrics.cacheRequests.inc({ result: 'hit' });
        return { event: hit, source: 'cache', stale: false };
      }
    }
    this.metrics.cacheRequests.inc({ result: fresh === 'error' ? 'error' : 'miss' });
    let dbError: unknown;
    try {
      const events = await this.loadFromDb();
      const event = events.find((e) => e.id === id);
      if (!event) throw eventNotFound(id);
      return { event, source: 'db', stale: false };
    } catch (err) {
      if (!(err instanceof Error) || err.name === 'AppError') throw err;
      dbError = err;
    }
    if (fresh !== 'error') {
      const last = await this.cached(LAST_KEY);
      if (Array.isArray(last)) {
        const event = last.find((e) => e.id === id);
        if (!event) throw eventNotFound(id);
        return { event, source: 'cache', stale: true };
      }
    }
    throw unavailable(`catalogue unavailable: database (${errorMessage(dbError)}) and cache both unreachable`);
  }

  /**
   * Price and stock information without PostgreSQL (async purchase path): the node's copy, merged with the
   * last known copy in Redis (another node may have loaded a newer one) at most every OFFLINE_REFRESH_MS,
   * so a purchase during an outage costs no Redis round trip and no parse of the whole catalogue.
   * `undefined` = unknown. Remaining stock can only go down, so a known `remaining` (of any age) is an
   * upper bound: below the quantity means sold out; above it, the notifier decides.
   */
  async lookupOffline(id: number): Promise<{ event: Event | undefined; catalogueKnown: boolean }> {
    if (performance.now() - this.offlineCheckedAt >= OFFLINE_REFRESH_MS) {
      this.offlineRefresh ??= this.refreshOffline().finally(() => {
        this.offlineRefresh = undefined;
      });
      await this.offlineRefresh;
    }
    return { event: this.local.get(id), catalogueKnown: this.localLoaded };
  }

  private async refreshOffline(): Promise<void> {
    const last = await this.cached(LAST_KEY);
    if (Array.isArray(last)) this.remember(last);
    this.offlineCheckedAt = performance.now(); // Redis down: the node's copy until the next check
  }
}
