/**
 * The subset of Toxiproxy's HTTP API (port 8474) that EventFlow uses, with its
 * JSON shapes and status codes, so the same client drives this proxy and the
 * official Toxiproxy image:
 *
 *   GET    /version                         {"version": "…"}
 *   GET    /proxies                         {name: proxy}
 *   POST   /proxies                         {name, listen, upstream, enabled?} → 201 proxy | 409
 *   GET    /proxies/:proxy                  proxy | 404
 *   POST   /proxies/:proxy                  {enabled} → proxy (disable drops every connection)
 *   DELETE /proxies/:proxy                  204
 *   GET    /proxies/:proxy/toxics           [toxic]
 *   POST   /proxies/:proxy/toxics           {name?, type, stream?, toxicity?, attributes} → 200 toxic | 409
 *   GET    /proxies/:proxy/toxics/:toxic    toxic | 404
 *   DELETE /proxies/:proxy/toxics/:toxic    204 | 404
 *   POST   /reset                           204: every proxy enabled, every toxic removed
 *
 * Errors are Toxiproxy's `{"error": "…", "status": N}`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ToxicProxy, type ProxyJson } from './proxy.js';
import { ProxyApiError, type ToxicJson } from './toxics.js';

export const PROXY_API_VERSION = 'eventflow-proxy 1.0 (toxiproxy 2.x API subset)';

export interface ProxyDefinition {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

/** The proxies of one process, by name (Toxiproxy's ProxyCollection). */
export class ProxyCollection {
  private readonly proxies = new Map<string, ToxicProxy>();

  async add(def: ProxyDefinition): Promise<ToxicProxy> {
    if (this.proxies.has(def.name)) throw new ProxyApiError('proxy already exists', 409);
    const proxy = new ToxicProxy(def.name, def.listen, def.upstream);
    if (def.enabled !== false) await proxy.enable();
    this.proxies.set(def.name, proxy);
    return proxy;
  }

  get(name: string): ToxicProxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw new ProxyApiError('proxy not found', 404);
    return proxy;
  }

  async remove(name: string): Promise<void> {
    await this.get(name).disable();
    this.proxies.delete(name);
  }

  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      proxy.removeAllToxics();
      await proxy.enable();
    }
  }

  toJSON(): Record<string, ProxyJson> {
    return Object.fromEntries([...this.proxies].map(([name, proxy]) => [name, proxy.toJSON()]));
  }

  async closeAll(): Promise<void> {
    for (const proxy of this.proxies.values()) await proxy.disable();
  }
}

const nameParams = { type: 'object', properties: { proxy: { type: 'string' }, toxic: { type: 'string' } }, required: ['proxy'] } as const;

const proxyBody = {
  type: 'object',
  required: ['name', 'upstream'],
  properties: { name: { type: 'string', minLength: 1 }, listen: { type: 'string' }, upstream: { type: 'string', minLength: 1 }, enabled: { type: 'boolean' } },
} as const;

const toxicBody = {
  type: 'object',
  required: ['type'],
  properties: {
    name: { type: 'string' },
    type: { type: 'string' },
    stream: { type: 'string' },
    toxicity: { type: 'number' },
    attributes: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

interface Params {
  proxy: string;
  toxic?: string;
}

export function createProxyApi(collection = new ProxyCollection()): { app: FastifyInstance; collection: ProxyCollection } {
  const app = Fastify({ logger: false });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = error instanceof ProxyApiError ? error.status : (error.statusCode ?? 500);
    const message = error instanceof ProxyApiError || status >= 500 ? error.message : `bad request body: ${error.message}`;
    void reply.status(status).send({ error: message, status });
  });
  app.addHook('onClose', () => collection.closeAll());

  app.get('/version', () => ({ version: PROXY_API_VERSION }));
  app.get('/proxies', () => collection.toJSON());
  app.post<{ Body: ProxyDefinition }>('/proxies', { schema: { body: proxyBody } }, async (request, reply) => {
    const proxy = await collection.add({ ...request.body, listen: request.body.listen ?? '0.0.0.0:0' });
    return reply.status(201).send(proxy.toJSON());
  });
  app.get<{ Params: Params }>('/proxies/:proxy', { schema: { params: nameParams } }, (request) => collection.get(request.params.proxy).toJSON());
  app.post<{ Params: Params; Body: { enabled?: boolean } }>(
    '/proxies/:proxy',
    { schema: { params: nameParams, body: { type: 'object', properties: { enabled: { type: 'boolean' } } } } },
    async (request) => {
      const proxy = collection.get(request.params.proxy);
      if (request.body.enabled === true) await proxy.enable();
      if (request.body.enabled === false) await proxy.disable();
      return proxy.toJSON();
    },
  );
  app.delete<{ Params: Params }>('/proxies/:proxy', { schema: { params: nameParams } }, async (request, reply) => {
    await collection.remove(request.params.proxy);
    return reply.status(204).send();
  });
  app.get<{ Params: Params }>('/proxies/:proxy/toxics', { schema: { params: nameParams } }, (request) => collection.get(request.params.proxy).toJSON().toxics);
  app.post<{ Params: Params; Body: Partial<ToxicJson> & { type: string } }>(
    '/proxies/:proxy/toxics',
    { schema: { params: nameParams, body: toxicBody } },
    (request) => collection.get(request.params.proxy).addToxic(request.body),
  );
  app.get<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', { schema: { params: nameParams } }, (request) =>
    collection.get(request.params.proxy).toxic(request.params.toxic ?? ''),
  );
  app.delete<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', { schema: { params: nameParams } }, (request, reply) => {
    collection.get(request.params.proxy).removeToxic(request.params.toxic ?? '');
    return reply.status(204).send();
  });
  app.post('/reset', async (_request, reply) => {
    await collection.reset();
    return reply.status(204).send();
  });
  return { app, collection };
}
