/**
 * Contracts between the stack runtime (cli/stack) and its users (the scenario
 * engine, the CLI commands, tests). The runtime behind them is Testcontainers
 * on a Docker engine today; a Kubernetes driver would implement the same.
 */
export type ServiceGroup = 'db' | 'cache' | 'broker' | 'proxy' | 'api' | 'worker' | 'analytics' | 'balancer' | 'monitoring';

/** Fault handles on one service of a running stack. */
export interface FaultDriver {
  kill(service: string, signal?: string): Promise<void>;
  stop(service: string): Promise<void>;
  start(service: string): Promise<void>;
  restart(service: string): Promise<void>;
  pause(service: string): Promise<void>;
  unpause(service: string): Promise<void>;
  /** Cut the service off the stack network (a partition); reconnect restores its alias. */
  disconnect(service: string): Promise<void>;
  reconnect(service: string): Promise<void>;
  /** True when the service's container runs and its health check passes. */
  isHealthy(service: string): Promise<boolean>;
  /** Resolve once the service is healthy again (e.g. after start/unpause); rejects after timeoutMs. */
  waitHealthy?(service: string, timeoutMs?: number): Promise<void>;
  /**
   * Gray faults (a service degraded, not dead). Applying is idempotent (the same
   * kind on the same service replaces the previous one); an InfrastructureError
   * names what this host lacks (iptables, tc, the fault proxy…). Optional: a driver
   * that cannot degrade leaves them out and the engine says so.
   */
  degrade?(fault: GrayFault): Promise<void>;
  /** Undo a gray fault; a no-op when it is not applied (or its container was recreated since). */
  heal?(fault: GrayFault): Promise<void>;
  /** Throws an InfrastructureError naming what this host lacks to apply the fault (checked before a run starts anything). */
  preflight?(fault: GrayFault): Promise<void>;
}

/** PostgreSQL's table lock modes (LOCK TABLE … IN <mode> MODE). */
export const TABLE_LOCK_MODES = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'] as const;
export type TableLockMode = (typeof TABLE_LOCK_MODES)[number];

/**
 * A gray fault on one service. `service` is always the service whose behaviour
 * degrades (for the proxy toxics: the dependency whose connections suffer).
 */
export type GrayFault =
  /** `percent` of the packets to and from the service dropped (both ways), or only those exchanged with `peer`. */
  | { kind: 'loss'; service: string; percent: number; peer?: string }
  /**
   * The service cut off from `peers` (packets dropped in its network namespace) while everyone else still
   * reaches both. `oneWay`: only what the service sends to the peers is dropped (its TCP connections to
   * them fail; theirs to it fail too, their answers being part of what it sends).
   */
  | { kind: 'partition'; service: string; peers: string[]; oneWay?: boolean }
  /** Egress of the service capped at `rate` (tc syntax: `512kbit`, `1mbit`, `10mbit`…). */
  | { kind: 'bandwidth'; service: string; rate: string }
  /** The container's CPU quota cut to `cpus` (e.g. 0.05): slow, not dead. */
  | { kind: 'throttle'; service: string; cpus: number }
  /** A session in PostgreSQL (`service`) holds `LOCK TABLE <table> IN <mode> MODE` for `durationMs`, then lets go. */
  | { kind: 'db-lock'; service: string; table: string; mode: TableLockMode; durationMs: number }
  /** Through the fault proxy: every chunk from the dependency (`downstream`, default) or to it delayed by `latencyMs` ± `jitterMs`. */
  | { kind: 'latency'; service: string; latencyMs: number; jitterMs?: number; stream?: 'upstream' | 'downstream' }
  /** Through the fault proxy: data to and from the dependency stops; connections closed after `timeoutMs` (0: held open). */
  | { kind: 'timeout'; service: string; timeoutMs: number }
  /**
   * Through the fault proxy: connections to the dependency reset (RST) `afterMs` after their next data:
   * `downstream` (default) when the dependency answers — the request was executed, the answer lost;
   * `upstream` when the client sends — the request never arrives.
   */
  | { kind: 'reset'; service: string; afterMs?: number; stream?: 'upstream' | 'downstream' };

export type GrayFaultKind = GrayFault['kind'];

/** Addresses on the host (loopback) of a running stack; re-read after restarts. */
export interface StackEndpoints {
  /** NGINX: GUI at `/`, API at `/events`, `/purchase`…, cluster health at `/health`. */
  gateway: string;
  rabbitmqManagement: string;
  prometheus: string;
  grafana?: string;
  /** postgres://… on a loopback-mapped port, for checkers and tests. */
  postgresUrl: string;
  redisUrl: string;
  amqpUrl: string;
}

export interface StackCredentials {
  postgres: { user: string; password: string; database: string };
  rabbitmq: { user: string; password: string };
  redis: { password: string };
  grafana?: { user: string; password: string };
}

export interface ServiceInfo {
  name: string;
  group: ServiceGroup;
  state: 'running' | 'paused' | 'exited' | 'missing';
  healthy: boolean;
}

export interface StackHandle {
  readonly id: string;
  readonly credentials: StackCredentials;
  /** Names of all services, in topology order. */
  serviceNames(): string[];
  /** Service names of one group, e.g. `api` → api-1, api-2, api-3. */
  servicesInGroup(group: ServiceGroup): string[];
  /** Current host endpoints (inspects containers: mapped ports may change after a restart). */
  endpoints(): Promise<StackEndpoints>;
  services(): Promise<ServiceInfo[]>;
  /** `ip:port` of a service's (unpublished) port on the stack's own network, reachable from this machine; undefined when it does not run. */
  serviceAddress?(service: string, port: number): Promise<string | undefined>;
  readonly faults: FaultDriver;
  /** Optional extras of the Docker runtime. */
  readonly imageSet?: string;
  /** True when startStack found the stack already up and returned it. */
  readonly alreadyUp?: boolean;
  /** Services of the full stack that this image set does not run (e.g. Grafana offline), with the reason. */
  readonly skipped?: { name: string; reason: string }[];
}

/** Live progress of `startStack` (one event per service state change). */
export interface ProgressEvent {
  /** A service name, `app-image`, or `stack` for stack-wide notices. */
  service: string;
  phase: 'pending' | 'building' | 'starting' | 'waiting' | 'healthy' | 'running' | 'failed' | 'skipped' | 'info';
  /** Milliseconds since startStack was called. */
  elapsedMs: number;
  detail?: string;
}
