import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_EXIT_CODE, ConfigError, loadConfig, parseRole } from './config.js';

const base = {
  DATABASE_URL: 'postgres://u:p@postgres:5432/eventflow',
  REDIS_URL: 'redis://:p@redis:6379',
  AMQP_URL: 'amqp://u:p@rabbitmq:5672',
  NODE_ID: 'api-1',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('reads a full api config with defaults', () => {
    const c = loadConfig('api', { ...base, PEERS: 'api-1:3000, api-2:3000,api-3:3000' });
    expect(c).toMatchObject({ port: 3000, dbQueryTimeoutMs: 1000, breakerResetMs: 1000, logLevel: 'info', nodeId: 'api-1' });
    expect(c.peers).toEqual(['api-1:3000', 'api-2:3000', 'api-3:3000']);
  });

  it('uses the role default ports', () => {
    expect(loadConfig('notifier', base).port).toBe(9464);
    expect(loadConfig('analytics', base).port).toBe(3001);
  });

  it.each([
    ['api', { ...base, DATABASE_URL: undefined }, 'DATABASE_URL', /required/],
    ['api', { ...base, REDIS_URL: '' }, 'REDIS_URL', /required/],
    ['notifier', { ...base, AMQP_URL: undefined }, 'AMQP_URL', /required/],
    ['api', { ...base, DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', /scheme/],
    ['api', { ...base, AMQP_URL: 'not a url' }, 'AMQP_URL', /URL/],
    ['api', { ...base, PORT: '70000' }, 'PORT', /<= 65535/],
    ['api', { ...base, PORT: 'abc' }, 'PORT', /integer/],
    ['api', { ...base, DB_QUERY_TIMEOUT_MS: '-1' }, 'DB_QUERY_TIMEOUT_MS', /integer/],
    ['api', { ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of/],
    ['api', { ...base, PEERS: 'api-1' }, 'PEERS', /host:port/],
    ['api', { ...base, NODE_ID: 'api 1' }, 'NODE_ID', /chars/],
  ] as const)('%s: names %s (%s)', (role, env, variable, reason) => {
    const err = configError(() => loadConfig(role, env));
    expect(err.variable).toBe(variable);
    expect(err.reason).toMatch(reason);
    expect(err.message).toBe(`config error: ${variable}: ${err.reason}`);
  });

  it('analytics does not need the broker', () => {
    expect(() => loadConfig('analytics', { DATABASE_URL: base.DATABASE_URL, NODE_ID: 'analytics' })).not.toThrow();
  });

  it('parses roles', () => {
    expect(parseRole('notifier')).toBe('notifier');
    expect(configError(() => parseRole('web')).variable).toBe('ROLE');
    expect(configError(() => parseRole(undefined)).variable).toBe('ROLE');
  });

  it('main prints one line and exits 78 on a bad variable', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'system', 'main.ts'), 'api'], {
      env: { PATH: process.env.PATH ?? '', ...base, PORT: 'x' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(CONFIG_EXIT_CODE);
    expect(r.stderr.trim().split('\n')).toEqual(['config error: PORT: must be an integer']);
  }, 30_000);
});
