import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, groupDiscount, percentOf, priceOrder, serviceFee, subtotal } from './pricing.js';

describe('pricing', () => {
  it('unit price × quantity', () => {
    expect(subtotal(4500, 1)).toBe(4500);
    expect(subtotal(4500, 10)).toBe(45000);
  });

  it('adds a 3 % service fee rounded half up, at least 50 cents', () => {
    expect(priceOrder(4500, 2)).toEqual({ subtotalCents: 9000, discountCents: 0, feeCents: 270, totalCents: 9270 });
    expect(serviceFee(1000)).toBe(50); // 30 → minimum 50
    expect(serviceFee(5050)).toBe(152); // 151.5 → 152 (half up)
    expect(serviceFee(5016)).toBe(150); // 150.48 → 150
  });

  it('gives a 10 % group discount from 6 tickets (rounded down, in the buyer’s favour)', () => {
    expect(groupDiscount(30000, 5)).toBe(0);
    expect(groupDiscount(30000, 6)).toBe(3000);
    expect(groupDiscount(999, 6)).toBe(99);
    const p = priceOrder(2500, 6);
    expect(p).toEqual({ subtotalCents: 15000, discountCents: 1500, feeCents: 405, totalCents: 13905 });
    expect(p.totalCents).toBe(p.subtotalCents - p.discountCents + p.feeCents);
  });

  it('charges nothing for free events', () => {
    expect(priceOrder(0, 4)).toEqual({ subtotalCents: 0, discountCents: 0, feeCents: 0, totalCents: 0 });
  });

  it('is monotonic in quantity below the discount threshold and always integer', () => {
    for (const unit of [1, 99, 2500, 4500, 12000]) {
      let prev = 0;
      for (let q = 1; q <= 10; q++) {
        const { totalCents } = priceOrder(unit, q);
        expect(Number.isInteger(totalCents)).toBe(true);
        if (q < DEFAULT_RULES.groupDiscountMinQty) expect(totalCents).toBeGreaterThan(prev);
        prev = totalCents;
      }
    }
  });

  it('rejects impossible input instead of producing NaN', () => {
    expect(() => priceOrder(4500, 0)).toThrow(RangeError);
    expect(() => priceOrder(4500, 11)).toThrow(RangeError);
    expect(() => priceOrder(4500, 1.5)).toThrow(RangeError);
    expect(() => priceOrder(-1, 1)).toThrow(RangeError);
    expect(() => priceOrder(Number.NaN, 1)).toThrow(RangeError);
    expect(() => priceOrder(2_147_483_647, 10)).toThrow(RangeError); // int4 overflow of total
  });

  it('percentOf rounds as asked', () => {
    expect(percentOf(1050, 10, 'down')).toBe(105);
    expect(percentOf(1055, 10, 'down')).toBe(105);
    expect(percentOf(1055, 10, 'half-up')).toBe(106);
  });

  it('accepts custom rules', () => {
    const rules = { groupDiscountMinQty: 2, groupDiscountPercent: 50, serviceFeePercent: 0, minServiceFeeCents: 0 };
    expect(priceOrder(1000, 2, rules).totalCents).toBe(1000);
  });
});
