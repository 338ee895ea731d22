/**
 * The database's own limit for a purchase: `pgbench` inside the stack's PostgreSQL container running
 * the naive purchase transaction (BEGIN; UPDATE events … remaining - 1; INSERT orders; COMMIT) —
 * four round trips and a row lock held across them, as an application would do it by hand.
 */
import type { StackAccess } from './stack-access.js';

export const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';

export function naivePurchaseScript(eventId: number): string {
  return `BEGIN;
UPDATE events SET remaining = remaining - 1 WHERE id = ${eventId} AND remaining >= 1 RETURNING unit_price_cents;
INSERT INTO orders (id, idempotency_key, event_id, quantity, buyer_email, total_cents, status, reason, path, node_id, accepted_at, persisted_at)
  VALUES (gen_random_uuid(), 'pgbench-' || gen_random_uuid(), ${eventId}, 1, 'bench@example.test', 4500, 'CONFIRMED', NULL, 'sync', 'pgbench', now(), now());
COMMIT;
`;
}

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  transactions: number;
}

export function parsePgbench(out: string): PgbenchResult {
  const tps = /tps = ([\d.]+)/.exec(out)?.[1];
  const lat = /latency average = ([\d.]+) ms/.exec(out)?.[1];
  const tx = /number of transactions actually processed: (\d+)/.exec(out)?.[1];
  if (!tps || !lat || !tx) throw new Error(`pgbench: unexpected output:\n${out}`);
  return { tps: Number(tps), latencyMs: Number(lat), transactions: Number(tx) };
}

export async function pgbench(s: StackAccess, o: { eventId: number; clients: number; durationS: number }): Promise<PgbenchResult> {
  await s.exec('postgres', ['sh', '-c', 'cat > /tmp/eventflow-purchase.sql'], naivePurchaseScript(o.eventId));
  const out = await s.exec('postgres', [
    'sh',
    '-c',
    `${PGBENCH} -n -c ${o.clients} -j 2 -T ${o.durationS} -f /tmp/eventflow-purchase.sql -U "$POSTGRES_USER" "$POSTGRES_DB" 2>&1`,
  ]);
  return parsePgbench(out);
}
