import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, HANG_TRIP_FAILURES, mayHaveReachedDatabase, type BreakerState } from './db.js';
import { silentLogger } from './logger.js';

/** AuthenticationOk ('R') then ReadyForQuery ('Z', idle): the server's answer to a startup message. */
const STARTUP_ANSWER = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]);

/**
 * A "PostgreSQL" that never answers a query: a real TCP socket, no mock. The first `connectable` connections get
 * their startup message answered and then nothing (frozen behind established connections); later ones get no
 * answer at all, so their connect times out (black-holed, or a new connection on a loaded host).
 */
async function frozenPostgres(connectable: number): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    if (sockets.length <= connectable) socket.once('data', () => socket.write(STARTUP_ANSWER));
  });
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

  it(`opens after ${HANG_TRIP_FAILURES} unanswered calls on established connections, and its half-open trial is its own, not a caller's`, async () => {
    const hole = await frozenPostgres(Infinity);
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${hole.port}/db`, queryTimeoutMs: 200, breakerResetMs: 300, log: silentLogger });
    cleanup.push(() => db.close(), () => hole.close());
    const select = () => db.run((pool) => pool.query('SELECT 1'));

    // the first callers connect, then pay the (bounded) query timeout, one after the other: the rolling rate alone would not trip
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

  it('a call that could not connect in time is not an unanswered one: new connections timing out (a loaded host) do not trip it, the rolling rate still does', async () => {
    const hole = await frozenPostgres(0);
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${hole.port}/db`, queryTimeoutMs: 200, breakerResetMs: 300, log: silentLogger });
    cleanup.push(() => db.close(), () => hole.close());
    const select = () => db.run((pool) => pool.query('SELECT 1'));

    // the rolling-restart finding: a restarted node's first new connections time out together under host load
    const together = await Promise.all(Array.from({ length: HANG_TRIP_FAILURES }, () => timed(select())));
    for (const r of together) expect(r.code).not.toBe('EOPENBREAKER');
    expect(db.breakerState).toBe('closed');
    // a database that stays away: the rolling error rate opens the breaker from the third failed call on
    expect((await timed(select())).code).not.toBe('EOPENBREAKER');
    expect(db.breakerState).toBe('open');
    expect(await timed(select())).toMatchObject({ code: 'EOPENBREAKER' });
  });

  it('a failure to connect extends a streak an unanswered established connection began: a frozen database behind a thin pool', async () => {
    const hole = await frozenPostgres(1);
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${hole.port}/db`, queryTimeoutMs: 200, breakerResetMs: 300, log: silentLogger });
    cleanup.push(() => db.close(), () => hole.close());
    const select = () => db.run((pool) => pool.query('SELECT 1'));

    expect((await timed(select())).code).not.toBe('EOPENBREAKER'); // connected, then no answer: the streak begins
    expect(db.breakerState).toBe('closed');
    expect((await timed(select())).code).not.toBe('EOPENBREAKER'); // its connection was dropped; a new one times out
    expect(hole.connections()).toBe(2);
    expect(db.breakerState).toBe('open');
  });
});

describe('mayHaveReachedDatabase: can a failed call still commit? (errors from a real pg pool, a fake server on 127.0.0.1)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });
  const failure = async (work: Promise<unknown>): Promise<unknown> => work.then(() => expect.fail('the call should have failed'), (e: unknown) => e);

  it.each([
    { connectable: 1, expected: true, what: 'a statement sent on an established connection and never answered: yes (a frozen database thaws and commits it)' },
    { connectable: 0, expected: false, what: 'a connection that never finished its startup: no (nothing was sent)' },
  ])('$what', async ({ connectable, expected }) => {
    const hole = await frozenPostgres(connectable);
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${hole.port}/db`, queryTimeoutMs: 200, breakerResetMs: 60_000, log: silentLogger });
    cleanup.push(() => db.close(), () => hole.close());
    const err = await failure(db.run((pool) => pool.query('SELECT 1')));
    expect(mayHaveReachedDatabase(err), String(err)).toBe(expected);
  });

  it('a connection the server ended (a killed PostgreSQL): no, the api may say nothing was stored', async () => {
    const sockets: Socket[] = [];
    // answers the startup, then ends the connection when the query arrives (what a SIGKILLed backend leaves)
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => {
        socket.write(STARTUP_ANSWER);
        socket.once('data', () => socket.destroy());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${port}/db`, queryTimeoutMs: 500, breakerResetMs: 60_000, log: silentLogger });
    cleanup.push(() => db.close(), async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const err = await failure(db.run((pool) => pool.query('SELECT 1')));
    expect(String(err)).toMatch(/terminated/i);
    expect(mayHaveReachedDatabase(err), String(err)).toBe(false);
  });

  it('connection refused, and the breaker open: no', async () => {
    const closed = await frozenPostgres(0);
    const port = closed.port;
    await closed.close();
    const db = new Database({ url: `postgres://u:p@127.0.0.1:${port}/db`, queryTimeoutMs: 200, breakerResetMs: 60_000, log: silentLogger });
    cleanup.push(() => db.close());
    const refused = await failure(db.run((pool) => pool.query('SELECT 1')));
    expect(mayHaveReachedDatabase(refused), String(refused)).toBe(false);
    let open: unknown;
    for (let i = 0; i < 20 && (open as { code?: string } | undefined)?.code !== 'EOPENBREAKER'; i++) open = await failure(db.run((pool) => pool.query('SELECT 1')));
    expect((open as { code?: string }).code).toBe('EOPENBREAKER');
    expect(mayHaveReachedDatabase(open)).toBe(false);
  });

  it('an answer, even an error, is not an unanswered statement: no', () => {
    expect(mayHaveReachedDatabase(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(false);
    expect(mayHaveReachedDatabase(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
  });
});
