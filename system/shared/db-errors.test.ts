import { describe, expect, it } from 'vitest';
import { classifyDbError, isRetryableDbError } from './db-errors.js';
import { soldOut } from './errors.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('classifyDbError: one classification for the api and the notifier', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['reset', withCode('ECONNRESET')],
    ['breaker open', withCode('EOPENBREAKER', 'Breaker is open')],
    ['breaker timeout', withCode('ETIMEDOUT', 'Timed out after 1000ms')],
    ['transaction deadline', withCode('ETXTIMEOUT', 'transaction timed out after 2000 ms')],
    ['server shutting down', withCode('57P01', 'terminating connection due to administrator command')],
    ['starting up', withCode('57P03', 'the database system is starting up')],
    ['connection exception class', withCode('08006')],
    ['too many connections', withCode('53300')],
    ['schema not there yet', withCode('42P01', 'relation "orders" does not exist')],
    ['pg connect timeout', new Error('timeout exceeded when trying to connect')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['query timeout', new Error('Query read timeout')],
  ])('%s → unreachable', (_n, err) => {
    expect(classifyDbError(err)).toBe('unreachable');
    expect(isRetryableDbError(err)).toBe(true);
  });

  it.each([
    ['permission denied', withCode('42501', 'permission denied for table orders')],
    ['statement timeout', withCode('57014', 'canceling statement due to statement timeout')],
    ['lock not available', withCode('55P03', 'could not obtain lock on row in relation "events"')],
    ['deadlock', withCode('40P01', 'deadlock detected')],
    ['serialization failure', withCode('40001')],
    ['disk full', withCode('53100', 'could not extend file: No space left on device')],
    ['out of memory', withCode('53200')],
    ['read-only standby', withCode('25006', 'cannot execute INSERT in a read-only transaction')],
    ['I/O error', withCode('58030')],
    ['internal error', withCode('XX000')],
  ])('%s → transient (a database that answers, but not now)', (_n, err) => {
    expect(classifyDbError(err)).toBe('transient');
    expect(isRetryableDbError(err)).toBe(true);
  });

  it.each([
    ['raised exception', withCode('P0001', 'injected failure for key')],
    ['check violation', withCode('23514', 'new row violates check constraint')],
    ['invalid text', withCode('22P02', 'invalid input syntax for type uuid')],
    ['syntax error', withCode('42601', 'syntax error at or near "SELEC"')],
    ['not an error', 'boom'],
    ['null', null],
  ])('%s → rejected (retrying the same work cannot help)', (_n, err) => {
    expect(classifyDbError(err)).toBe('rejected');
    expect(isRetryableDbError(err)).toBe(false);
  });

  it('a business outcome is not a database failure', () => {
    expect(classifyDbError(soldOut(4, 0))).toBeUndefined();
    expect(isRetryableDbError(soldOut(4, 0))).toBe(false);
  });
});

describe('a dead database seen through the fault proxy', () => {
  it('a connection accepted then closed (the proxy cannot reach PostgreSQL) → unreachable, like a refusal', async () => {
    const { createServer } = await import('node:net');
    const pg = (await import('pg')).default;
    // what system/proxy does when its upstream is down: accept, then close the client socket
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'u', password: 'p', database: 'd', connectionTimeoutMillis: 2000 });
    const err = await client.connect().then(() => undefined, (e: unknown) => e);
    server.close();
    expect(err).toBeInstanceOf(Error);
    expect(classifyDbError(err)).toBe('unreachable');
  });
});
