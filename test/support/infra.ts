/**
 * Reusable test infrastructure: PostgreSQL, Redis and RabbitMQ in containers on
 * a user-defined network, generated passwords, fixed (pre-allocated) loopback
 * host ports so a stopped-then-started container is reachable at the same
 * address, and fault helpers (stop/start/pause/unpause) that keep the container.
 *
 *   const infra = await startInfra();          // images from resolveImageSet()
 *   await infra.stop('postgres'); ...; await infra.start('postgres');
 *   await infra.close();                        // afterAll
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { RabbitMQContainer, type StartedRabbitMQContainer } from '@testcontainers/rabbitmq';
import { RedisContainer, type StartedRedisContainer } from '@testcontainers/redis';
import { Network, Wait, type StartedNetwork } from 'testcontainers';
import { Redis } from 'ioredis';
import pg from 'pg';
import { imageFor, resolveImageSet } from '../../cli/stack/images.js';
import { until } from './wait.js';

export type InfraService = 'postgres' | 'redis' | 'rabbitmq';

export interface Infra {
  databaseUrl: string;
  redisUrl: string;
  amqpUrl: string;
  managementUrl: string;
  rabbitUser: string;
  rabbitPassword: string;
  network: StartedNetwork;
  stop(service: InfraService): Promise<void>;
  start(service: InfraService): Promise<void>;
  pause(service: InfraService): Promise<void>;
  unpause(service: InfraService): Promise<void>;
  /** wait until the service accepts work again (bounded) */
  waitReady(service: InfraService, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const secret = (): string => randomBytes(12).toString('hex');
const EXEC_BOUND_MS = 5000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}


export async function startInfra(opts: { label?: string } = {}): Promise<Infra> {
  const set = resolveImageSet();
  const image = (role: 'postgres' | 'redis' | 'rabbitmq'): string => {
    const name = imageFor(set, role);
    if (!name) throw new Error(`no ${role} image in set ${set}`);
    return name;
  };
  const labels = { 'eventflow.test': opts.label ?? 'system-itest', 'eventflow.owner': 'test/system' };
  const network = await new Network().start();
  const [pgPort, redisPort, amqpPort, mgmtPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const pgPass = secret();
  const redisPass = secret();
  const rabbitUser = 'eventflow';
  const rabbitPassword = secret();

  const started = await Promise.allSettled([
    new PostgreSqlContainer(image('postgres'))
      .withNetwork(network)
      .withNetworkAliases('postgres')
      .withLabels({ ...labels, 'eventflow.service': 'postgres' })
      .withUsername('eventflow')
      .withPassword(pgPass)
      .withDatabase('eventflow')
      .withExposedPorts({ container: 5432, host: pgPort })
      .withStartupTimeout(120_000)
      .start(),
    new RedisContainer(image('redis'))
      .withNetwork(network)
      .withNetworkAliases('redis')
      .withLabels({ ...labels, 'eventflow.service': 'redis' })
      .withPassword(redisPass)
      .withExposedPorts({ container: 6379, host: redisPort })
      .start(),
    new RabbitMQContainer(image('rabbitmq'))
      .withNetwork(network)
      .withNetworkAliases('rabbitmq')
      .withLabels({ ...labels, 'eventflow.service': 'rabbitmq' })
      .withEnvironment({ RABBITMQ_DEFAULT_USER: rabbitUser, RABBITMQ_DEFAULT_PASS: rabbitPassword })
      .withExposedPorts({ container: 5672, host: amqpPort }, { container: 15672, host: mgmtPort })
      // the offline image does not print "Server startup complete" to stdout: wait on the AMQP + management ports
      .withHealthCheck({
        test: ['CMD', 'bash', '-c', '</dev/tcp/127.0.0.1/5672 && </dev/tcp/127.0.0.1/15672'],
        interval: 500,
        timeout: 2000,
        retries: 600,
      })
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(120_000)
      .start(),
  ]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    await network.stop().catch(() => undefined);
    throw (failed as PromiseRejectedResult).reason;
  }
  const [pgC, redisC, rabbitC] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    StartedPostgreSqlContainer,
    StartedRedisContainer,
    StartedRabbitMQContainer,
  ];
  const ids: Record<InfraService, string> = { postgres: pgC.getId(), redis: redisC.getId(), rabbitmq: rabbitC.getId() };
  const docker = new Docker();
  const c = (s: InfraService) => docker.getContainer(ids[s]);

  const databaseUrl = `postgres://eventflow:${pgPass}@127.0.0.1:${pgPort}/eventflow`;
  const redisUrl = `redis://:${redisPass}@127.0.0.1:${redisPort}`;
  const amqpUrl = `amqp://${rabbitUser}:${rabbitPassword}@127.0.0.1:${amqpPort}`;
  const managementUrl = `http://127.0.0.1:${mgmtPort}`;

  const frozen = new Map<InfraService, 'docker' | 'signal'>();
  async function exec(service: InfraService, cmd: string[]): Promise<void> {
    const e = await c(service).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: 'root' });
    const stream = await e.start({ hijack: true, stdin: false });
    // Until the command's output ends, at most EXEC_BOUND_MS (kill -STOP/-CONT return at once).
    await new Promise<void>((resolve) => {
      stream.on('end', () => resolve());
      stream.on('error', () => resolve());
      stream.resume();
      setTimeout(resolve, EXEC_BOUND_MS).unref();
    });
  }

  async function ready(service: InfraService): Promise<boolean> {
    try {
      if (service === 'postgres') {
        const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 1000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('SELECT 1');
        } finally {
          await client.end().catch(() => undefined);
        }
        return true;
      }
      if (service === 'redis') {
        const r = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 1000 });
        r.on('error', () => undefined);
        try {
          await r.connect();
          return (await r.ping()) === 'PONG';
        } finally {
          r.disconnect();
        }
      }
      const res = await fetch(`${managementUrl}/api/overview`, {
        headers: { authorization: `Basic ${Buffer.from(`${rabbitUser}:${rabbitPassword}`).toString('base64')}` },
        signal: AbortSignal.timeout(1000),
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  const infra: Infra = {
    databaseUrl,
    redisUrl,
    amqpUrl,
    managementUrl,
    rabbitUser,
    rabbitPassword,
    network,
    async stop(service) {
      await c(service).stop({ t: 0 });
    },
    async start(service) {
      await c(service)
        .start()
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 304) throw err; // already running
        });
      await infra.waitReady(service);
    },
    async pause(service) {
      try {
        await c(service).pause();
        frozen.set(service, 'docker');
      } catch {
        // no cgroup freezer on this engine: stop every process but init inside the container instead
        await exec(service, ['sh', '-c', 'kill -STOP -1']);
        frozen.set(service, 'signal');
      }
    },
    async unpause(service) {
      const how = frozen.get(service);
      frozen.delete(service);
      if (how === 'docker') await c(service).unpause();
      else if (how === 'signal') await exec(service, ['sh', '-c', 'kill -CONT -1']);
      await infra.waitReady(service);
    },
    async waitReady(service, timeoutMs = 60_000) {
      await until(`${service} to accept work`, () => ready(service), timeoutMs, 200);
    },
    async close() {
      for (const s of ['postgres', 'redis', 'rabbitmq'] as const) {
        const info = await c(s).inspect().catch(() => undefined);
        if (info?.State.Paused) await c(s).unpause().catch(() => undefined);
        if (frozen.get(s) === 'signal') await exec(s, ['sh', '-c', 'kill -CONT -1']).catch(() => undefined);
      }
      await Promise.allSettled([pgC.stop({ timeout: 0 }), redisC.stop({ timeout: 0 }), rabbitC.stop({ timeout: 0 })]);
      // containers stopped by a fault helper are not removed by testcontainers' stop(): make sure
      await Promise.allSettled((['postgres', 'redis', 'rabbitmq'] as const).map((s) => c(s).remove({ force: true, v: true })));
      await network.stop().catch(() => undefined);
    },
  };
  await infra.waitReady('rabbitmq');
  return infra;
}
