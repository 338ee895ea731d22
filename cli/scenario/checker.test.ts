import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.js';
import { EVENTS, PREFIX, purchase, read, rowFor } from '../../test/scenario/synthetic.js';

describe('checker on synthetic histories', () => {
  it('passes a clean history: every acknowledged purchase persisted once', () => {
    const h = [purchase(1), purchase(2, { httpStatus: 201, status: 'CONFIRMED' }), read(3)];
    const r = checkHistory(h, { orders: h.filter((o) => o.kind === 'purchase').map((o) => rowFor(o)), events: EVENTS }, PREFIX);
    expect(r).toMatchObject({ attempted: 2, acknowledged: 2, persisted: 2, lost: { count: 0 }, duplicated: { count: 0 }, oversold: { count: 0 }, unexpected: { count: 0 }, unknown: { count: 0 } });
  });

  it('finds a lost acknowledgement', () => {
    const h = [purchase(1), purchase(2), purchase(3)];
    const r = checkHistory(h, { orders: [rowFor(h[0]!), rowFor(h[2]!)], events: EVENTS }, PREFIX);
    expect(r.lost.count).toBe(1);
    expect(r.lost.keys).toEqual([`${PREFIX}2`]);
  });

  it('an acknowledged order persisted under another order id counts as lost (the client holds an id that does not exist)', () => {
    const h = [purchase(1)];
    const r = checkHistory(h, { orders: [rowFor(h[0]!, { id: 'ffffffff-0000-4000-8000-000000000000' })], events: EVENTS }, PREFIX);
    expect(r.lost).toMatchObject({ count: 1, keys: [], orderIdMismatch: [`${PREFIX}1`] });
  });

  it('one key answered with two different order ids: the database holds one, the acknowledged other is lost', () => {
    // A retry with the same Idempotency-Key answered with a new order id (A, then B); the row for the key has id B.
    const first = purchase(1, { orderId: 'aaaaaaaa-0000-4000-8000-000000000001' });
    const retry = purchase(1, { orderId: 'bbbbbbbb-0000-4000-8000-000000000001', invokeMs: first.invokeMs + 500, completeMs: first.completeMs + 500 });
    const r = checkHistory([first, retry], { orders: [rowFor(retry)], events: EVENTS }, PREFIX);
    expect(r.lost).toEqual({ count: 1, keys: [], orderIdMismatch: [`${PREFIX}1`] });
    expect(r.persisted).toBe(1);
    expect(r.duplicated.count).toBe(0);
  });

  it('two different purchases acknowledged with the same order id: one order stands for two purchases (duplicated)', () => {
    const same = [purchase(1), purchase(2, { orderId: purchase(1).orderId })];
    const byId = checkHistory(same, { orders: [rowFor(same[0]!)], events: EVENTS }, PREFIX);
    expect(byId.duplicated).toEqual({ count: 1, keys: [], orderIds: [same[0]!.orderId] });
  });

  it('defence in depth, a state the schema forbids (UNIQUE idempotency_key): two rows for one key would still count as duplicated', () => {
    const h = [purchase(1), purchase(2)];
    const byKey = checkHistory(h, { orders: [rowFor(h[0]!), rowFor(h[0]!, { id: 'other-id' }), rowFor(h[1]!)], events: EVENTS }, PREFIX);
    expect(byKey.duplicated.count).toBe(1);
    expect(byKey.duplicated.keys).toEqual([`${PREFIX}1`]);
  });

  it('finds an oversell the schema allows: a lost decrement leaves more CONFIRMED orders than the capacity while remaining stays >= 0', () => {
    // Event 4 has 5 seats; 6 orders are CONFIRMED but only 5 decrements happened (remaining 0, never negative: CHECK remaining >= 0).
    const h = [1, 2, 3, 4, 5, 6].map((n) => purchase(n, { eventId: 4 }));
    const rows = h.map((o) => rowFor(o));
    const r = checkHistory(h, { orders: rows, events: [{ id: 4, capacity: 5, remaining: 0, confirmedQuantity: 6 }] }, PREFIX);
    expect(r.oversold).toEqual({ count: 1, events: [{ id: 4, capacity: 5, remaining: 0, confirmedQuantity: 6 }] });
    expect(r.lost.count).toBe(0);
    // Every decrement applied: sold out exactly, not oversold.
    expect(checkHistory(h.slice(0, 5), { orders: rows.slice(0, 5), events: [{ id: 4, capacity: 5, remaining: 0, confirmedQuantity: 5 }] }, PREFIX).oversold.count).toBe(0);
  });

  it('reports unknown outcomes as recovered or not — never as lost', () => {
    const h = [purchase(1, { outcome: 'unknown', httpStatus: undefined, orderId: undefined }), purchase(2, { outcome: 'unknown', httpStatus: 504, orderId: undefined })];
    const r = checkHistory(h, { orders: [rowFor({ ...h[0]!, orderId: 'x-1' })], events: EVENTS }, PREFIX);
    expect(r.lost.count).toBe(0);
    expect(r.unknown).toMatchObject({ count: 2, recovered: 1, notRecovered: 1, recoveredKeys: [`${PREFIX}1`], notRecoveredKeys: [`${PREFIX}2`] });
    expect(r.unexpected.count).toBe(0);
  });

  it('finds unexpected orders: persisted with this run\'s prefix but never attempted; other runs are ignored', () => {
    const h = [purchase(1)];
    const r = checkHistory(h, { orders: [rowFor(h[0]!), { id: 'u', idempotencyKey: `${PREFIX}99`, eventId: 1, quantity: 1, status: 'CONFIRMED' }, { id: 'v', idempotencyKey: 'other-run-1', eventId: 1, quantity: 1, status: 'CONFIRMED' }], events: EVENTS }, PREFIX);
    expect(r.unexpected).toEqual({ count: 1, keys: [`${PREFIX}99`] });
  });

  it('finds refused purchases that were persisted anyway', () => {
    const h = [purchase(1, { outcome: 'fail', httpStatus: 503, status: 'UNAVAILABLE', orderId: undefined })];
    const r = checkHistory(h, { orders: [rowFor({ ...h[0]!, orderId: 'z' })], events: EVENTS }, PREFIX);
    expect(r.failedButPersisted).toEqual({ count: 1, keys: [`${PREFIX}1`] });
    expect(r.unexpected.count).toBe(0);
  });

  it('counts acknowledged purchases that ended REJECTED (sold out meanwhile) as honest, not lost', () => {
    const h = [purchase(1)];
    const r = checkHistory(h, { orders: [rowFor(h[0]!, { status: 'REJECTED' })], events: EVENTS }, PREFIX);
    expect(r.lost.count).toBe(0);
    expect(r.rejectedAfterAck).toBe(1);
  });
});

describe('classifying responses', () => {
  it('a 503 signed by an api node is a definite failure; one from the gateway alone is unknown', async () => {
    const { classifyResponse, classifyError } = await import('./history.js');
    expect(classifyResponse('purchase', 503, { error: 'UNAVAILABLE' }, 'api-1').outcome).toBe('fail');
    expect(classifyResponse('purchase', 503, { error: 'UNAVAILABLE' }, undefined).outcome).toBe('unknown');
    expect(classifyResponse('purchase', 504, undefined, undefined).outcome).toBe('unknown');
    expect(classifyResponse('purchase', 202, { status: 'ACCEPTED_ASYNC', orderId: 'o' }, 'api-2')).toMatchObject({ outcome: 'ok', degraded: true, orderId: 'o' });
    expect(classifyResponse('purchase', 409, { error: 'SOLD_OUT' }, 'api-2')).toMatchObject({ outcome: 'fail', status: 'SOLD_OUT' });
    expect(classifyResponse('read', 200, { source: 'cache', stale: true }, 'api-1')).toMatchObject({ outcome: 'ok', degraded: true });
    expect(classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).outcome).toBe('fail');
    expect(classifyError(Object.assign(new Error('timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })).outcome).toBe('unknown');
  });
});
