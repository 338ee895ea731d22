import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../../shared/db.js';
import type { HealthMonitor } from '../../shared/health.js';
import type { PendingStore } from '../pending.js';
import { clusterHealthSchema, nodeHealthSchema } from '../schemas.js';

export interface NodeHealthBody {
  node: string;
  up: boolean;
  status?: 'ok' | 'degraded';
  dependencies?: ReturnType<HealthMonitor['snapshot']>;
  breaker?: string;
  pendingOrders?: number;
}

export interface HealthRoutesOptions {
  nodeId: string;
  peers: readonly string[];
  db: Database;
  monitor: HealthMonitor;
  pending: PendingStore;
}

/** Long enough for a busy peer, short enough that a dead one does not stall the GUI's poll. */
const PEER_HEALTH_TIMEOUT_MS = 1000;

function peerNodeId(peer: string): string {
  return peer.replace(/:\d+$/, '');
}

async function peerHealth(peer: string): Promise<NodeHealthBody> {
  try {
    const res = await fetch(`http://${peer}/health/node`, { signal: AbortSignal.timeout(PEER_HEALTH_TIMEOUT_MS) });
    if (!res.ok) return { node: peerNodeId(peer), up: false };
    return (await res.json()) as NodeHealthBody;
  } catch {
    return { node: peerNodeId(peer), up: false };
  }
}

/** `GET /health/node` (this node) and `GET /health` (this node and its peers). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { nodeId, peers, db, monitor, pending }) => {
  const nodeHealth = (): NodeHealthBody => ({
    node: nodeId,
    up: true,
    status: monitor.allUp() && db.breakerState === 'closed' ? 'ok' : 'degraded',
    dependencies: monitor.snapshot(),
    breaker: db.breakerState,
    pendingOrders: pending.size,
  });

  app.get('/health/node', { schema: nodeHealthSchema }, async () => nodeHealth());

  app.get('/health', { schema: clusterHealthSchema }, async () => {
    // A peer is addressed as "<alias>:<port>" and the alias is its node id: skip ourselves
    // (asking ourselves over the network could only time out under load and report us down).
    const others = peers.filter((peer) => peerNodeId(peer) !== nodeId);
    const nodes = [nodeHealth(), ...(await Promise.all(others.map(peerHealth)))];
    const status = nodes.every((n) => n.up && n.status === 'ok') ? 'ok' : 'degraded';
    return { status, node: nodeId, nodes };
  });
};
