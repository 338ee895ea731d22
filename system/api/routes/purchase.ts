import type { FastifyPluginAsync } from 'fastify';
import { REQUEST_ID_HEADER, resolveIdempotencyKey } from '../idempotency.js';
import type { PurchaseService } from '../purchase.js';
import { purchaseSchema } from '../schemas.js';

/** `POST /purchase`: the key is the `Idempotency-Key` header, else derived from the gateway's `X-Request-Id`, else generated. */
export const purchaseRoutes: FastifyPluginAsync<{ purchases: PurchaseService }> = async (app, { purchases }) => {
  app.post<{ Body: { eventId: number; quantity: number; email: string }; Headers: { 'idempotency-key'?: string; 'x-request-id'?: string } }>(
    '/purchase',
    { schema: purchaseSchema },
    async (request, reply) => {
      const { key } = resolveIdempotencyKey(request.headers['idempotency-key'], request.headers[REQUEST_ID_HEADER]);
      const outcome = await purchases.purchase({ ...request.body, idempotencyKey: key });
      return reply.code(outcome.httpStatus).send(outcome.body);
    },
  );
};
