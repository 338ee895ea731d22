/** JSON-schema pieces every service's routes share (Fastify/ajv and fast-json-stringify). */

/** `{error, message, field?}`: every 4xx/503 body (system/shared/errors.ts). */
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
