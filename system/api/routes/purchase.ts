import type { FastifyPluginAsync } from 'fastify';
import { resolveIdempotencyKey } from '../idempotency.js';
import type { PurchaseService } from '../purchase.js';
import { purchaseSchema } from '../schemas.js';

/** `POST /purchase`: the key comes from the `Idempotency-Key` header (generated when absent). */
export const purchaseRoutes: FastifyPluginAsync<{ purchases: PurchaseService }> = async (app, { purchases }) => {
  app.post<{ Body: { eventId: number; quantity: number; email: string }; Headers: { 'idempotency-key'?: string } }>(
    '/purchase',
    { schema: purchaseSchema },
    async (request, reply) => {
      const { key } = resolveIdempotencyKey(request.headers['idempotency-key']);
      const outcome = await purchases.purchase({ ...request.body, idempotencyKey: key });
      return reply.code(outcome.httpStatus).send(outcome.body);
    },
  );
};
