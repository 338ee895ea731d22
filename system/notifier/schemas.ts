/** Response schema for the notifier's routes (shape from docs/architecture.md). */
import { dependencyHealth as dependency, errorBody, healthStatus } from '../shared/schemas.js';


/** Notifier `GET /health` (port 9464): `{node, up:true, status, dependencies:{postgres, rabbitmq}, consuming, paused}`. */
export const notifierHealthSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        node: { type: 'string' },
        up: { type: 'boolean' },
        status: healthStatus,
        dependencies: { type: 'object', properties: { postgres: dependency, rabbitmq: dependency } },
        consuming: { type: 'boolean' },
        paused: { type: 'boolean' },
      },
      required: ['node', 'up', 'status', 'dependencies', 'consuming', 'paused'],
    },
    503: errorBody,
  },
} as const;
