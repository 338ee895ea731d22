import { describe, expect, it } from 'vitest';
import { isConnectivityError } from './db.js';
import { soldOut } from './errors.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isConnectivityError (decides: pause and requeue vs retry queue)', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['reset', withCode('ECONNRESET')],
    ['breaker open', withCode('EOPENBREAKER', 'Breaker is open')],
    ['breaker timeout', withCode('ETIMEDOUT', 'Timed out after 1000ms')],
    ['server shutting down', withCode('57P01', 'terminating connection due to administrator command')],
    ['starting up', withCode('57P03', 'the database system is starting up')],
    ['connection exception class', withCode('08006')],
    ['too many connections', withCode('53300')],
    ['schema not there yet', withCode('42P01', 'relation "orders" does not exist')],
    ['pg connect timeout', new Error('timeout exceeded when trying to connect')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['query timeout', new Error('Query read timeout')],
  ])('%s → unavailable', (_n, err) => {
    expect(isConnectivityError(err)).toBe(true);
  });

  it.each([
    ['raised exception', withCode('P0001', 'injected failure for key')],
    ['check violation', withCode('23514', 'new row violates check constraint')],
    ['business error', soldOut(4, 0)],
    ['not an error', 'boom'],
    ['null', null],
  ])('%s → message-specific', (_n, err) => {
    expect(isConnectivityError(err)).toBe(false);
  });
});
