import { describe, expect, it } from 'vitest';
import { describeValidation } from './http.js';

describe('describeValidation', () => {
  it('names the missing field with a 400', () => {
    expect(describeValidation([{ keyword: 'required', instancePath: '', params: { missingProperty: 'email' } }], 'body')).toEqual({
      status: 400,
      body: { error: 'VALIDATION', message: 'body: email is required', field: 'email' },
    });
  });
  it('names an out-of-range value with a 422', () => {
    const r = describeValidation([{ keyword: 'maximum', instancePath: '/quantity', message: 'must be <= 10', params: {} }], 'body');
    expect(r).toEqual({ status: 422, body: { error: 'VALIDATION', message: 'body: quantity must be <= 10', field: 'quantity' } });
  });
  it('handles a root type error without a field', () => {
    const r = describeValidation([{ keyword: 'type', instancePath: '', params: { type: 'object' } }], 'body');
    expect(r.status).toBe(400);
    expect(r.body.field).toBeUndefined();
    expect(r.body.message).toBe('body: body must be object');
  });
  it('never throws on an empty list', () => {
    expect(describeValidation([], undefined).status).toBe(400);
  });
});
