/**
 * Contracts between the stack runtime (cli/stack) and its users (the scenario
 * engine, the CLI commands, tests). The runtime behind them is Testcontainers
 * on a Docker engine today; a Kubernetes driver would implement the same.
 */
export type ServiceGroup = 'db' | 'cache' | 'broker' | 'api' | 'worker' | 'analytics' | 'balancer' | 'monitoring';

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
}

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
