import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AppError, type ErrorBody } from './errors.js';
import type { LogLevel } from './config.js';
import type { Metrics } from './metrics.js';

export const BODY_LIMIT = 16 * 1024;

interface AjvErrorLike {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turn a schema validation failure into {status, body} naming the field. */
export function describeValidation(errors: AjvErrorLike[], context: string | undefined): { status: number; body: ErrorBody } {
  const first = errors[0];
  if (!first) return { status: 400, body: { error: 'VALIDATION', message: 'invalid request' } };
  const fromParams = (first.params.missingProperty ?? first.params.additionalProperty) as string | undefined;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const field = [path, fromParams].filter(Boolean).join('.') || undefined;
  const where = context ?? 'body';
  let message: string;
  switch (first.keyword) {
    case 'required':
      message = `${where}: ${field} is required`;
      break;
    case 'additionalProperties':
      message = `${where}: unknown field ${field}`;
      break;
    case 'type':
      message = `${where}: ${field ?? where} must be ${String(first.params.type)}`;
      break;
    default:
      message = `${where}: ${field ?? where} ${first.message ?? 'is invalid'}`;
  }
  // structural problems are 400; well-formed but unacceptable values are 422
  const status = ['required', 'type', 'additionalProperties'].includes(first.keyword) ? 400 : 422;
  return { status, body: { error: 'VALIDATION', message, ...(field !== undefined ? { field } : {}) } };
}

/** A Fastify instance with the common behaviour of every EventFlow HTTP service. */
export function createHttpApp(opts: {
  nodeId: string;
  metrics: Metrics;
  logLevel: LogLevel;
  onValidationError?: (request: FastifyRequest) => void;
}): FastifyInstance {
  const app = Fastify({
    logger: { level: opts.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A request that reaches a closing node on a connection it already has (NGINX reuses connections) is
    // served: the node's dependencies stay open until the HTTP server has closed, and its answer carries
    // `Connection: close`. Fastify's 503 here reached clients: NGINX retries a node that refuses or resets,
    // never one that answers 503 (rolling-restart, CI: one read answered "503 Service Unavailable").
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false } },
  });

  // JSON only: anything else is a 415, not a string body that fails validation later
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-eventflow-node', opts.nodeId);
  });
  app.addHook('onResponse', async (request, reply) => {
    opts.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      if (error.code === 'VALIDATION') opts.onValidationError?.(request);
      return reply.code(error.statusCode).send(error.toBody());
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      opts.onValidationError?.(request);
      const { status, body } = describeValidation(fe.validation as AjvErrorLike[], fe.validationContext);
      return reply.code(status).send(body);
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      opts.onValidationError?.(request);
      const messages: Record<string, string> = {
        FST_ERR_CTP_BODY_TOO_LARGE: `request body exceeds ${BODY_LIMIT} bytes`,
        FST_ERR_CTP_INVALID_MEDIA_TYPE: `unsupported content-type "${request.headers['content-type'] ?? ''}"; send application/json`,
        FST_ERR_CTP_EMPTY_JSON_BODY: 'request body is empty; send a JSON object',
        FST_ERR_CTP_INVALID_JSON_BODY: 'request body is not valid JSON',
      };
      const message = messages[fe.code] ?? (status === 400 && fe.message ? `invalid request: ${fe.message}` : fe.message || 'bad request');
      const mapped = fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 415 : status;
      return reply.code(mapped).send({ error: 'VALIDATION', message } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error' } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ErrorBody);
  });

  app.get('/metrics', { schema: {} }, async (_request, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.header('content-type', opts.metrics.registry.contentType).send(text);
  });

  return app;
}
