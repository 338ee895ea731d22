/** Response schema for the notifier's routes (shape from docs/architecture.md). */
import { serviceHealthSchema } from '../shared/schemas.js';

/** Notifier `GET /health` (port 9464): `{node, up:true, status, dependencies:{postgres, rabbitmq}, consuming, paused}`. */
export const notifierHealthSchema = serviceHealthSchema(['postgres', 'rabbitmq'], {
  consuming: { type: 'boolean' },
  paused: { type: 'boolean' },
});
