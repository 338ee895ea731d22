/**
 * Pure pricing rules, integer cents only (no floating point money).
 *
 *   subtotal = unit price × quantity
 *   discount = groupDiscountPercent % of subtotal when quantity >= groupDiscountMinQty (rounded down: in the buyer's favour)
 *   fee      = serviceFeePercent % of (subtotal − discount), rounded half up, at least minServiceFeeCents; free events pay no fee
 *   total    = subtotal − discount + fee
 */
export interface PricingRules {
  groupDiscountMinQty: number;
  groupDiscountPercent: number;
  serviceFeePercent: number;
  minServiceFeeCents: number;
}

export const DEFAULT_RULES: Readonly<PricingRules> = Object.freeze({
  groupDiscountMinQty: 6,
  groupDiscountPercent: 10,
  serviceFeePercent: 3,
  minServiceFeeCents: 50,
});

export const MAX_QUANTITY = 10;
export const MAX_TOTAL_CENTS = 2_147_483_647; // orders.total_cents is int4

export interface PriceBreakdown {
  subtotalCents: number;
  discountCents: number;
  feeCents: number;
  totalCents: number;
}

function assertInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** round(value * percent / 100) half up, in integers. */
export function percentOf(value: number, percent: number, mode: 'down' | 'half-up'): number {
  const scaled = value * percent;
  return mode === 'down' ? Math.floor(scaled / 100) : Math.floor((scaled + 50) / 100);
}

export function subtotal(unitPriceCents: number, quantity: number): number {
  assertInt('unitPriceCents', unitPriceCents, 0, MAX_TOTAL_CENTS);
  assertInt('quantity', quantity, 1, MAX_QUANTITY);
  return unitPriceCents * quantity;
}

export function groupDiscount(subtotalCents: number, quantity: number, rules: PricingRules = DEFAULT_RULES): number {
  return quantity >= rules.groupDiscountMinQty ? percentOf(subtotalCents, rules.groupDiscountPercent, 'down') : 0;
}

export function serviceFee(discountedCents: number, rules: PricingRules = DEFAULT_RULES): number {
  if (discountedCents <= 0) return 0;
  return Math.max(rules.minServiceFeeCents, percentOf(discountedCents, rules.serviceFeePercent, 'half-up'));
}

export function priceOrder(unitPriceCents: number, quantity: number, rules: PricingRules = DEFAULT_RULES): PriceBreakdown {
  const subtotalCents = subtotal(unitPriceCents, quantity);
  const discountCents = groupDiscount(subtotalCents, quantity, rules);
  const feeCents = serviceFee(subtotalCents - discountCents, rules);
  const totalCents = subtotalCents - discountCents + feeCents;
  if (totalCents > MAX_TOTAL_CENTS) throw new RangeError(`total ${totalCents} exceeds ${MAX_TOTAL_CENTS}`);
  return { subtotalCents, discountCents, feeCents, totalCents };
}
