import { describe, expect, it } from 'vitest';
import { checkHistory, type OrderRow } from './checker.js';
import type { Op } from './history.js';
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

  it('finds broken conservation the schema allows: one lost decrement under the capacity (no oversell to see)', () => {
    // Event 1 (capacity 100) has 3 CONFIRMED tickets but only 2 left stock: remaining 98, not 97. Nothing else notices.
    const h = [1, 2, 3].map((n) => purchase(n, { eventId: 1 }));
    const rows = h.map((o) => rowFor(o));
    const broken = checkHistory(h, { orders: rows, events: [{ id: 1, capacity: 100, remaining: 98, confirmedQuantity: 3 }] }, PREFIX);
    expect(broken.conservation).toEqual({ count: 1, events: [{ id: 1, capacity: 100, remaining: 98, confirmedQuantity: 3 }] });
    expect([broken.lost.count, broken.duplicated.count, broken.oversold.count]).toEqual([0, 0, 0]);
    // the same decrement applied twice breaks it the other way
    expect(checkHistory(h, { orders: rows, events: [{ id: 1, capacity: 100, remaining: 96, confirmedQuantity: 3 }] }, PREFIX).conservation.count).toBe(1);
    expect(checkHistory(h, { orders: rows, events: [{ id: 1, capacity: 100, remaining: 97, confirmedQuantity: 3 }] }, PREFIX).conservation.count).toBe(0);
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

describe('checker: clients that retry, double-submit or send no key', () => {
  const tag = (n: number) => `scenario+${PREFIX}${n}@eventflow.test`;
  /** A purchase sent without a key: attributed by its e-mail tag; its row has a key the api generated. */
  const keyless = (n: number, patch: Partial<Op> = {}): Op => purchase(n, { key: undefined, keyless: true, email: tag(n), ...patch });
  const keylessRow = (op: Op, generated: string, patch: Partial<OrderRow> = {}): OrderRow => ({ ...rowFor({ ...op, key: generated }), email: op.email, ...patch });

  it('a keyless purchase answered 2xx once and persisted twice is a duplicate', () => {
    const op = keyless(1);
    const rows = [keylessRow(op, 'gen-a'), keylessRow(op, 'gen-b', { id: 'bbbbbbbb-0000-4000-8000-000000000001' })];
    const r = checkHistory([op], { orders: rows, events: EVENTS }, PREFIX);
    expect(r.duplicated.count).toBe(1);
    expect(r.duplicated.keys[0]).toContain(`keyless ${tag(1)}: 2 orders for 1 attempt`);
    expect(r.lost.count).toBe(0);
    expect(r.persisted).toBe(2);
    expect(r.retryOrders).toEqual({ count: 0, requests: [] });
  });

  it('a keyless purchase persisted once passes; its row is found by e-mail tag, rows of other runs are ignored', () => {
    const op = keyless(1);
    const other = { ...keylessRow(keyless(1), 'gen-z'), email: 'scenario+other-run-1@eventflow.test', id: 'zz' };
    const r = checkHistory([op], { orders: [keylessRow(op, 'gen-a'), other], events: EVENTS }, PREFIX);
    expect(r).toMatchObject({ attempted: 1, acknowledged: 1, persisted: 1, lost: { count: 0 }, duplicated: { count: 0 }, unexpected: { count: 0 } });
  });

  it('a keyless acknowledged purchase with no row is lost; one with another order id too', () => {
    const [a, b] = [keyless(1), keyless(2)];
    const r = checkHistory([a, b], { orders: [keylessRow(b, 'gen-b', { id: 'not-what-b-was-told' })], events: EVENTS }, PREFIX);
    expect(r.lost).toEqual({ count: 2, keys: [`keyless ${tag(1)}`], orderIdMismatch: [`keyless ${tag(2)}`] });
  });

  it('a keyless purchase refused for sure (a 503 an api node signed) but persisted is failed-but-persisted', () => {
    const op = keyless(1, { outcome: 'fail', httpStatus: 503, status: 'UNAVAILABLE', orderId: undefined });
    const r = checkHistory([op], { orders: [keylessRow({ ...op, orderId: 'x' }, 'gen-a')], events: EVENTS }, PREFIX);
    expect(r.failedButPersisted).toEqual({ count: 1, keys: [`keyless ${tag(1)}`] });
    expect(r.duplicated.count).toBe(0);
  });

  it('a keyless request retried after a timeout may hold two orders (the client asked twice): reported as retryOrders, not duplicated; three would be', () => {
    const first = keyless(1, { outcome: 'unknown', httpStatus: undefined, orderId: undefined, error: 'TimeoutError' });
    const retry = keyless(1, { id: 900, request: first.id, attempt: 2, invokeMs: first.invokeMs + 300, completeMs: first.completeMs + 300 });
    const rows = [keylessRow({ ...first, orderId: 'o-1' }, 'gen-a'), keylessRow(retry, 'gen-b')];
    const two = checkHistory([first, retry], { orders: rows, events: EVENTS }, PREFIX);
    expect(two.duplicated.count).toBe(0);
    expect(two.retryOrders).toEqual({ count: 1, requests: [tag(1)] });
    expect(two.unknown).toMatchObject({ count: 1, recovered: 1 });
    const three = checkHistory([first, retry], { orders: [...rows, keylessRow({ ...first, orderId: 'o-3' }, 'gen-c')], events: EVENTS }, PREFIX);
    expect(three.duplicated.count).toBe(1);
  });

  it('a same-key retry persisted once is fine, and the refused first attempt is not failed-but-persisted', () => {
    const first = purchase(1, { outcome: 'fail', httpStatus: 503, status: 'UNAVAILABLE', orderId: undefined, email: tag(1) });
    const retry = purchase(1, { id: 901, request: first.id, attempt: 2, email: tag(1) });
    const r = checkHistory([first, retry], { orders: [rowFor(retry)], events: EVENTS }, PREFIX);
    expect(r).toMatchObject({ lost: { count: 0 }, duplicated: { count: 0 }, failedButPersisted: { count: 0 }, retryOrders: { count: 0 } });
  });

  it('a new-key retry after an unknown outcome may create a second order: retryOrders, not a duplicate', () => {
    const first = purchase(1, { outcome: 'unknown', httpStatus: 504, orderId: undefined, email: tag(1) });
    const retry = purchase(2, { id: 902, request: first.id, attempt: 2, email: tag(1) });
    const r = checkHistory([first, retry], { orders: [rowFor({ ...first, orderId: 'o-first' }), rowFor(retry)], events: EVENTS }, PREFIX);
    expect(r.duplicated.count).toBe(0);
    expect(r.retryOrders).toEqual({ count: 1, requests: [tag(1)] });
  });

  it('a double submit (same key twice at once) answered with two order ids: the one not persisted is lost', () => {
    const one = purchase(1, { email: tag(1), orderId: 'aaaaaaaa-0000-4000-8000-000000000001' });
    const twin = purchase(1, { id: 903, request: one.id, twin: true, email: tag(1), orderId: 'bbbbbbbb-0000-4000-8000-000000000001' });
    const r = checkHistory([one, twin], { orders: [rowFor(one)], events: EVENTS }, PREFIX);
    expect(r.lost).toEqual({ count: 1, keys: [], orderIdMismatch: [`${PREFIX}1`] });
    expect(checkHistory([one, { ...twin, orderId: one.orderId }], { orders: [rowFor(one)], events: EVENTS }, PREFIX).lost.count).toBe(0);
  });

  it('a row with the run\'s e-mail tag from a request that always sent a key is unexpected', () => {
    const op = purchase(1, { email: tag(1) });
    const r = checkHistory([op], { orders: [rowFor(op), keylessRow({ ...op, orderId: 'o-x' }, 'gen-x')], events: EVENTS }, PREFIX);
    expect(r.unexpected).toEqual({ count: 1, keys: [`gen-x (${tag(1)})`] });
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
    // The client's own timeout (an aborted request): unknown, named by what it is.
    expect(classifyError(new DOMException('client timeout', 'TimeoutError'))).toMatchObject({ outcome: 'unknown', error: 'TimeoutError: client timeout' });
  });
});
