import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, HANG_TRIP_FAILURES, type BreakerState } from './db.js';
import { silentLogger } from './logger.js';

/** A "PostgreSQL" that accepts connections and never answers (frozen, black-holed): a real TCP socket, no mock. */
async function blackHole(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    connections: () => sockets.length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const timed = async (work: Promise<unknown>): Promise<{ ms: number; code: string | undefined }> => {
  const started = performance.now();
  const err = await work.then(
    () => undefined,
    (e: unknown) => e as { code?: string },
  );
  return { ms: performance.now() - started, code: err?.code };
};

async function untilState(db: Database, state: BreakerState, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (db.breakerState !== state) {
    if (Date.now() > deadline) throw new Error(`breaker never became ${state} within ${timeoutMs} ms (is ${db.breakerState})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Database breaker against a PostgreSQL that never answers', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it(`opens after ${HANG_TRIP_FAILURES} unanswered calls, and its half-open trial is its own, not a caller's`, async () => {
    const hole = await blackHole();
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${hole.port}/db`, queryTimeoutMs: 200, breakerResetMs: 300, log: silentLogger });
    cleanup.push(() => db.close(), () => hole.close());
    const select = () => db.run((pool) => pool.query('SELECT 1'));

    // the first callers pay the (bounded) connect timeout, one after the other: the rolling rate alone would not trip
    for (let i = 0; i < HANG_TRIP_FAILURES; i++) {
      const r = await timed(select());
      expect(r.ms).toBeGreaterThanOrEqual(150);
      expect(r.ms).toBeLessThan(1500);
      expect(r.code).not.toBe('EOPENBREAKER');
    }
    expect(db.breakerState).toBe('open');
    const fast = await timed(select());
    expect(fast).toMatchObject({ code: 'EOPENBREAKER' });
    expect(fast.ms).toBeLessThan(50);

    // half-open: the breaker's own trial holds the single slot, so a caller still fails fast
    const before = hole.connections();
    await untilState(db, 'half-open');
    const during = await timed(select());
    expect(during).toMatchObject({ code: 'EOPENBREAKER' });
    expect(during.ms).toBeLessThan(50);
    // the trial got no answer either: open again, and it is tried again after the reset time, still not by callers
    await untilState(db, 'open');
    expect(hole.connections()).toBe(before + 1);
    await untilState(db, 'half-open');
    expect((await timed(select())).code).toBe('EOPENBREAKER');
  });
});
