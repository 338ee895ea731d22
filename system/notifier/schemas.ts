/** Response schema for the notifier's routes (shape from docs/architecture.md). */
const errorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
  required: ['error', 'message'],
} as const;

const dependency = {
  type: 'object',
  properties: { up: { type: 'boolean' }, latencyMs: { type: 'number' }, error: { type: 'string' } },
  required: ['up', 'latencyMs'],
} as const;

/** Notifier `GET /health` (port 9464): `{node, up:true, status, dependencies:{postgres, rabbitmq}, consuming, paused}`. */
export const notifierHealthSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        node: { type: 'string' },
        up: { type: 'boolean' },
        status: { type: 'string', enum: ['ok', 'degraded'] },
        dependencies: { type: 'object', properties: { postgres: dependency, rabbitmq: dependency } },
        consuming: { type: 'boolean' },
        paused: { type: 'boolean' },
      },
      required: ['node', 'up', 'status', 'dependencies', 'consuming', 'paused'],
    },
    503: errorBody,
  },
} as const;
