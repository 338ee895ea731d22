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
 * last known copy in Redis (marked stale) while PostgreSQL is down or does not
 * answer in time. Redis down → PostgreSQL directly. Both down → 503. A node-local copy is kept only for
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

  /** One read of a cached copy; `attempts` > 1 retries a failed read while Redis is connected (never a disconnected one). */
  private async cached(key: string, attempts = 1): Promise<Event[] | undefined | 'error'> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cache.getJson<Event[]>(key);
      } catch (err) {
        this.log.debug({ err: errorMessage(err), key, attempt }, 'cache read failed');
        if (attempt >= attempts || !this.cache.ready) return 'error';
      }
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
    try {
      return { events: await this.loadFromDb(), source: 'db', stale: false };
    } catch (err) {
      return { events: await this.lastKnown(err), source: 'cache', stale: true };
    }
  }

  /**
   * The last known copy once PostgreSQL failed (served as stale), else 503. Asked even when the fresh read just
   * failed: one timed-out Redis command (a lost packet, a stalled host) is not a Redis outage, and a Redis that is
   * really gone costs nothing more (no offline queue: commands fail at once while disconnected). At most two
   * reads of 300 ms each: a paused Redis stays bounded.
   */
  private async lastKnown(dbError: unknown): Promise<Event[]> {
    // the last line before a 503, so a timed-out read is tried once more: on a loaded host a command's timer can
    // fire before its answer, already in the socket, is read (timers run before I/O after a stall)
    const last = await this.cached(LAST_KEY, 2);
    if (Array.isArray(last)) return last;
    const cache = last === 'error' ? 'cache unreachable' : 'no cached copy yet';
    throw unavailable(`catalogue unavailable: database (${errorMessage(dbError)}) and ${cache}`);
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
    let events: Event[];
    let stale = false;
    try {
      events = await this.loadFromDb();
    } catch (err) {
      events = await this.lastKnown(err);
      stale = true;
    }
    const event = events.find((e) => e.id === id);
    if (!event) throw eventNotFound(id);
    return { event, source: stale ? 'cache' : 'db', stale };
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
