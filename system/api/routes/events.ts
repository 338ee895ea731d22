import type { FastifyPluginAsync } from 'fastify';
import type { Catalogue } from '../catalogue.js';
import { getEventSchema, listEventsSchema } from '../schemas.js';

/** `GET /events`, `GET /events/:id`: the catalogue (cache-aside, see catalogue.ts). */
export const eventsRoutes: FastifyPluginAsync<{ catalogue: Catalogue }> = async (app, { catalogue }) => {
  app.get('/events', { schema: listEventsSchema }, async () => catalogue.list());

  app.get<{ Params: { id: string } }>('/events/:id', { schema: getEventSchema }, async (request) =>
    catalogue.get(Number(request.params.id)),
  );
};
