import type { FastifyPluginAsync } from 'fastify';
import type { OrderReader } from '../orders.js';
import { orderSchema } from '../schemas.js';
import type { OrderView } from '../types.js';

/** `GET /orders/:id`. */
export const ordersRoutes: FastifyPluginAsync<{ orders: OrderReader }> = async (app, { orders }) => {
  app.get<{ Params: { id: string } }>('/orders/:id', { schema: orderSchema }, async (request): Promise<OrderView> => orders.get(request.params.id));
};
