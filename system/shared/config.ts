import { z } from 'zod';

/** The roles one image can run (first CLI argument). */
export const ROLES = ['api', 'notifier', 'analytics', 'migrate'] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServiceConfig {
  role: Role;
  databaseUrl: string;
  redisUrl?: string;
  amqpUrl?: string;
  nodeId: string;
  port: number;
  peers: string[];
  dbQueryTimeoutMs: number;
  breakerResetMs: number;
  logLevel: LogLevel;
}

/** Thrown by loadConfig; main prints `config error: <VAR>: <reason>` and exits 78 (EX_CONFIG). */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`config error: ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

export const CONFIG_EXIT_CODE = 78;

const DEFAULT_PORT: Record<Role, number> = { api: 3000, analytics: 3001, notifier: 9464, migrate: 0 };

function urlWithSchemes(schemes: string[]) {
  return z.string().superRefine((value, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid URL' });
      return;
    }
    if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
      ctx.addIssue({ code: 'custom', message: `scheme must be ${schemes.join(' or ')}, got "${parsed.protocol}"` });
      return;
    }
    if (!parsed.hostname) ctx.addIssue({ code: 'custom', message: 'host is missing' });
  });
}

const intInRange = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const peerList = z.string().superRefine((value, ctx) => {
  for (const peer of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(peer)) ctx.addIssue({ code: 'custom', message: `"${peer}" is not host:port` });
  }
});

/** Which variables each role needs. */
const REQUIRED: Record<Role, string[]> = {
  api: ['DATABASE_URL', 'REDIS_URL', 'AMQP_URL', 'NODE_ID'],
  notifier: ['DATABASE_URL', 'AMQP_URL', 'NODE_ID'],
  analytics: ['DATABASE_URL', 'NODE_ID'],
  migrate: ['DATABASE_URL'],
};

const FIELDS = {
  DATABASE_URL: urlWithSchemes(['postgres', 'postgresql']),
  REDIS_URL: urlWithSchemes(['redis', 'rediss']),
  AMQP_URL: urlWithSchemes(['amqp', 'amqps']),
  NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1..64 chars [A-Za-z0-9_.-]'),
  PORT: intInRange(1, 65535),
  PEERS: peerList,
  DB_QUERY_TIMEOUT_MS: intInRange(10, 60_000),
  BREAKER_RESET_MS: intInRange(50, 600_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
} as const;
type Field = keyof typeof FIELDS;

/** Validate one variable; throws ConfigError naming it. */
function read<F extends Field>(env: NodeJS.ProcessEnv, name: F, required: boolean): z.output<(typeof FIELDS)[F]> | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (required) throw new ConfigError(name, 'is required but not set');
    return undefined;
  }
  const result = FIELDS[name].safeParse(raw.trim());
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(name, issue?.message ?? 'invalid value');
  }
  return result.data as z.output<(typeof FIELDS)[F]>;
}

export function parseRole(arg: string | undefined): Role {
  if (arg === undefined) throw new ConfigError('ROLE', `first argument must be one of ${ROLES.join('|')}`);
  if (!(ROLES as readonly string[]).includes(arg)) {
    throw new ConfigError('ROLE', `"${arg}" is not one of ${ROLES.join('|')}`);
  }
  return arg as Role;
}

/** Read and validate the environment for a role. Throws ConfigError on the first bad variable. */
export function loadConfig(role: Role, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const need = new Set(REQUIRED[role]);
  const databaseUrl = read(env, 'DATABASE_URL', true) as string;
  const redisUrl = read(env, 'REDIS_URL', need.has('REDIS_URL'));
  const amqpUrl = read(env, 'AMQP_URL', need.has('AMQP_URL'));
  const nodeId = read(env, 'NODE_ID', need.has('NODE_ID')) ?? role;
  const port = read(env, 'PORT', false) ?? DEFAULT_PORT[role];
  const peersRaw = read(env, 'PEERS', false);
  const peers = (peersRaw ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  return {
    role,
    databaseUrl,
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    ...(amqpUrl !== undefined ? { amqpUrl } : {}),
    nodeId,
    port,
    peers,
    dbQueryTimeoutMs: read(env, 'DB_QUERY_TIMEOUT_MS', false) ?? 1000,
    breakerResetMs: read(env, 'BREAKER_RESET_MS', false) ?? 1000,
    logLevel: read(env, 'LOG_LEVEL', false) ?? 'info',
  };
}
