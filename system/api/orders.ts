import type { Database } from '../shared/db.js';
import { orderNotFound, unavailable } from '../shared/errors.js';
import { errorMessage } from '../shared/logger.js';
import { viewOf, type PendingStore } from './pending.js';
import type { OrderView } from './types.js';

interface OrderRow {
  id: string;
  status: 'CONFIRMED' | 'REJECTED';
  event_id: number;
  quantity: number;
  total_cents: number;
  reason: string | null;
}

const SELECT_ORDER = 'SELECT id, status, event_id, quantity, total_cents, reason FROM orders';

function viewOfRow(row: OrderRow): OrderView {
  return {
    orderId: row.id,
    status: row.status,
    eventId: row.event_id,
    quantity: row.quantity,
    totalCents: row.total_cents,
    ...(row.reason ? { reason: row.reason } : {}),
  };
}

/**
 * Reading one order: the row in PostgreSQL, else the pending record (node memory, then Redis) of an order
 * accepted asynchronously and not persisted yet. Never a false 404: with the database unreachable and the
 * order unknown here, the answer is 503 (it may exist).
 */
export class OrderReader {
  constructor(
    private readonly db: Database,
    private readonly pending: PendingStore,
  ) {}

  private async rowWhere(column: 'id' | 'idempotency_key', value: string): Promise<OrderRow | undefined> {
    return (await this.db.run((pool) => pool.query<OrderRow>(`${SELECT_ORDER} WHERE ${column} = $1`, [value]))).rows[0];
  }

  async get(rawId: string): Promise<OrderView> {
    const id = rawId.toLowerCase();
    let dbError: unknown;
    try {
      let row = await this.rowWhere('id', id);
      if (!row) {
        // accepted twice under one key (e.g. a retried POST while Redis was down): the key's order is the one that counts
        const rec = await this.pending.findById(id);
        if (rec) row = await this.rowWhere('idempotency_key', rec.idempotencyKey);
      }
      if (row) {
        void this.pending.settled(id, row.status, row.reason);
        return viewOfRow(row);
      }
    } catch (err) {
      dbError = err;
    }
    const rec = await this.pending.findById(id);
    if (rec) {
      const { idempotencyKey: _omit, ...view } = viewOf(rec);
      return view;
    }
    if (dbError !== undefined) throw unavailable(`database unreachable (${errorMessage(dbError)}) and order ${id} not known to this node`);
    throw orderNotFound(id);
  }
}
