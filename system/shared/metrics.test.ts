import { describe, expect, it } from 'vitest';
import { CACHE_RESULTS, createMetrics, DEAD_LETTER_REASONS, NOTIFIER_RESULTS, PURCHASE_OUTCOMES } from './metrics.js';

/** `name{label="v",service="s",node="n"} 0` lines of the registry's text output, before any event. */
function zeroSeries(text: string, name: string, label: string): string[] {
  const re = new RegExp(`^${name}\\{${label}="([a-z_]+)",service="[^"]+",node="[^"]+"\\} 0$`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1] as string).sort();
}

describe('labelled counters start at 0 for every value of their bounded set (docs/architecture.md "Metrics")', () => {
  it('api: purchases by outcome and cache requests by result', async () => {
    const text = await createMetrics('api', 'api-1').registry.metrics();
    expect(zeroSeries(text, 'eventflow_purchases_total', 'outcome')).toEqual([...PURCHASE_OUTCOMES].sort());
    expect(zeroSeries(text, 'eventflow_cache_requests_total', 'result')).toEqual([...CACHE_RESULTS].sort());
    expect(PURCHASE_OUTCOMES).toEqual(['confirmed', 'accepted_async', 'rejected', 'refused', 'unknown', 'invalid']);
    expect(CACHE_RESULTS).toEqual(['hit', 'miss', 'error']);
    // an api node does not pretend to process queue messages
    expect(text).not.toMatch(/^eventflow_notifier_messages_total\{/m);
  });

  it('notifier: messages by result and dead-lettered by reason; the unlabelled retry counter too', async () => {
    const text = await createMetrics('notifier', 'notifier').registry.metrics();
    expect(zeroSeries(text, 'eventflow_notifier_messages_total', 'result')).toEqual([...NOTIFIER_RESULTS].sort());
    expect(zeroSeries(text, 'eventflow_notifier_dead_lettered_total', 'reason')).toEqual([...DEAD_LETTER_REASONS].sort());
    expect(NOTIFIER_RESULTS).toEqual(['confirmed', 'rejected', 'duplicate']);
    expect(DEAD_LETTER_REASONS).toEqual(['invalid_json', 'invalid_schema', 'unknown_event', 'max_attempts']);
    expect(text).toMatch(/^eventflow_notifier_retries_total\{service="notifier",node="notifier"\} 0$/m);
    expect(text).not.toMatch(/^eventflow_purchases_total\{/m);
  });

  it('increments still add up from the initial 0', async () => {
    const m = createMetrics('api', 'api-2');
    m.purchases.inc({ outcome: 'confirmed' });
    m.purchases.inc({ outcome: 'confirmed' });
    const text = await m.registry.metrics();
    expect(text).toMatch(/^eventflow_purchases_total\{outcome="confirmed",service="api",node="api-2"\} 2$/m);
    expect(text).toMatch(/^eventflow_purchases_total\{outcome="refused",service="api",node="api-2"\} 0$/m);
  });
});
