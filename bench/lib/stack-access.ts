/**
 * What the front-door bench needs of a running stack: container names and their addresses on the
 * stack's Docker network (the api nodes publish no port; the host reaches the bridge directly),
 * `docker exec`, and a PostgreSQL client on the published port. Loopback and the stack's own containers only.
 */
import { execa } from 'execa';
import pg from 'pg';
import { openStack } from '../../cli/stack/stack.js';

export interface StackAccess {
  stack: string;
  container(service: string): string;
  /** the container's IPv4 address on the stack network */
  ip(service: string): Promise<string>;
  exec(service: string, cmd: string[], input?: string): Promise<string>;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  amqpUrl(): Promise<string>;
}

export async function accessStack(stack: string): Promise<StackAccess> {
  const handle = await openStack(stack);
  if (!handle) throw new Error(`stack "${stack}" is not up: start it with \`EVENTFLOW_STACK=${stack} node bin/eventflow.js up\``);
  const container = (service: string): string => `eventflow-${stack}-${service}`;
  return {
    stack,
    container,
    async ip(service) {
      const r = await execa('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', container(service)]);
      const ip = r.stdout.trim().split(/\s+/)[0];
      if (!ip) throw new Error(`${container(service)} has no address on a Docker network (is it running?)`);
      return ip;
    },
    async exec(service, cmd, input) {
      const r = await execa('docker', ['exec', ...(input === undefined ? [] : ['-i']), container(service), ...cmd], {
        reject: false,
        timeout: 120_000,
        ...(input === undefined ? {} : { input }),
      });
      if (r.exitCode !== 0) throw new Error(`docker exec ${container(service)} ${cmd.join(' ')} failed (exit ${r.exitCode}): ${r.stderr}`);
      return r.stdout;
    },
    async query(sql, params = []) {
      const { postgresUrl } = await handle.endpoints(); // the mapped port changes when PostgreSQL restarts
      const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async amqpUrl() {
      return (await handle.endpoints()).amqpUrl;
    },
  };
}

/** Wait (bounded) until PostgreSQL answers a query through its published port. */
export async function waitForPostgres(s: StackAccess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await s.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL of stack "${s.stack}" not reachable within ${timeoutMs} ms: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
