/** JSON-schema pieces every service's routes share (Fastify/ajv and fast-json-stringify). */

/** `{error, message, field?}`: every 4xx/5xx body (system/shared/errors.ts). */
export const errorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
  required: ['error', 'message'],
} as const;

/** One dependency as a health probe saw it: `{up, latencyMs, error?}`. */
export const dependencyHealth = {
  type: 'object',
  properties: { up: { type: 'boolean' }, latencyMs: { type: 'number' }, error: { type: 'string' } },
} as const;

export const healthStatus = { type: 'string', enum: ['ok', 'degraded'] } as const;

/**
 * `GET /health` of a single-instance service: `{node, up, status, dependencies: {…}, …extra}`,
 * answered 200, or 503 with an error body.
 */
export function serviceHealthSchema(dependencies: readonly string[], extra: Record<string, object>) {
  return {
    response: {
      200: {
        type: 'object',
        properties: {
          node: { type: 'string' },
          up: { type: 'boolean' },
          status: healthStatus,
          dependencies: { type: 'object', properties: Object.fromEntries(dependencies.map((d) => [d, dependencyHealth])) },
          ...extra,
        },
        required: ['node', 'up', 'status', 'dependencies', ...Object.keys(extra)],
      },
      503: errorBody,
    },
  };
}
