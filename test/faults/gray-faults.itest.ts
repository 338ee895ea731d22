/**
 * Each gray fault against real containers: its effect is measured, healing
 * restores, applying and healing twice are harmless, and a host that cannot
 * apply a fault gets an InfrastructureError (exit 3) naming what is missing.
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../cli/errors.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { execCollect } from '../../cli/stack/faults/exec.js';
import { runInNetns } from '../../cli/stack/faults/netns.js';
import { listChainsScript } from '../../cli/stack/faults/netfilter.js';
import type { GrayFault } from '../../cli/stack/types.js';
import { until } from '../support/wait.js';
import { PG_USER, startRig, type Rig } from './rig.js';

let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
  await until(
    'PostgreSQL to answer on loopback',
    async () => {
      const c = new pg.Client({ connectionString: rig.directUrl, connectionTimeoutMillis: 2000 });
      try {
        await c.connect();
        await c.query('CREATE TABLE IF NOT EXISTS events (id int PRIMARY KEY, remaining int NOT NULL)');
        await c.query('INSERT INTO events VALUES (1, 100) ON CONFLICT DO NOTHING');
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    60_000,
    500,
  );
});

afterAll(async () => {
  await rig?.close();
});

/** How many of `n` fresh connections from the client fail to get an answer within `seconds`. */
async function failedConnects(n: number, seconds: number): Promise<number> {
  const res = await rig.client(`f=0; for i in $(seq ${n}); do pg_isready -q -h postgres -U ${PG_USER} -t ${seconds} || f=$((f+1)); done; echo $f`, 120_000);
  return Number(res.output.split('\n').pop());
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function timedQuery(c: pg.Client, sql: string): Promise<number> {
  const t = performance.now();
  await c.query(sql);
  return performance.now() - t;
}

const settledWithin = <T>(p: Promise<T>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('gray faults on the Docker engine', () => {
  it('loss drops a share of the packets exchanged with one peer, and heal restores', async () => {
    expect(await failedConnects(6, 5)).toBe(0);
    const fault: GrayFault = { kind: 'loss', service: 'client', percent: 60, peer: 'postgres' };
    await rig.faults.degrade(fault);
    await rig.faults.degrade(fault); // idempotent: replaces, does not stack
    const client = await rig.docker.getContainer((await rig.docker.listContainers({ filters: { label: [`eventflow.stack=${rig.stackId}`, 'eventflow.service=client'] } }))[0]!.Id).inspect();
    try {
      const failed = await failedConnects(8, 1);
      const counters = (await runInNetns(rig.docker, client, listChainsScript('EVENTFLOW_LOSS'), 'counters')).output;
      const dropped = [...counters.matchAll(/^\s*(\d+)\s+\d+\s+DROP/gm)].map((m) => Number(m[1]));
      console.log(`loss 60% → ${failed}/8 connects failed; DROP counters in/out: ${dropped.join('/')}`);
      expect(dropped).toHaveLength(2); // one rule per direction, not two after applying twice
      expect(dropped.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(failed).toBeGreaterThanOrEqual(3);
    } finally {
      await rig.faults.heal(fault);
    }
    await rig.faults.heal(fault); // idempotent
    expect(await failedConnects(6, 5)).toBe(0);
    const after = await runInNetns(rig.docker, client, 'iptables -w -S | grep -c EVENTFLOW || true', 'rules left');
    expect(after.output.trim()).toBe('0');
  });

  it('partition cuts one service off from a peer while others still reach it, and heal restores', async () => {
    const fault: GrayFault = { kind: 'partition', service: 'client', peers: ['postgres'] };
    await rig.faults.degrade(fault);
    await rig.faults.degrade(fault);
    try {
      expect(await failedConnects(3, 1)).toBe(3);
      // the proxy (another service) still reaches PostgreSQL
      expect(await withClient(rig.proxiedUrl, async (c) => (await c.query('SELECT 1 AS one')).rows[0])).toEqual({ one: 1 });
    } finally {
      await rig.faults.heal(fault);
    }
    await rig.faults.heal(fault);
    expect(await failedConnects(3, 5)).toBe(0);
  });

  it('bandwidth caps what the service sends, and heal lifts the cap', async () => {
    const bytes = 400_000;
    await withClient(rig.directUrl, async (c) => {
      const fetchBlob = (): Promise<number> => timedQuery(c, `SELECT repeat('x', ${bytes})`);
      const before = await fetchBlob();
      const fault: GrayFault = { kind: 'bandwidth', service: 'postgres', rate: '2mbit' };
      await rig.faults.degrade(fault);
      await rig.faults.degrade(fault);
      let capped: number;
      try {
        capped = await fetchBlob();
      } finally {
        await rig.faults.heal(fault);
      }
      await rig.faults.heal(fault);
      const after = await fetchBlob();
      const mbit = (bytes * 8) / (capped / 1000) / 1e6;
      console.log(`bandwidth 2mbit: ${bytes} bytes in ${capped.toFixed(0)} ms (${mbit.toFixed(2)} Mbit/s); before ${before.toFixed(0)} ms, after heal ${after.toFixed(0)} ms`);
      expect(mbit).toBeLessThan(2.4);
      expect(mbit).toBeGreaterThan(1); // a cap, not a stall
      expect(after).toBeLessThan(capped / 3);
    });
  });

  it('throttle makes the service slow (not dead), and heal gives it every core again', async () => {
    const id = (await rig.docker.listContainers({ filters: { label: [`eventflow.stack=${rig.stackId}`, 'eventflow.service=postgres'] } }))[0]!.Id;
    const pgContainer = rig.docker.getContainer(id);
    /** Milliseconds the container was held back by its CPU quota so far (cgroup v1 ns, v2 µs). */
    const heldBackMs = async (): Promise<number> => {
      const res = await execCollect(pgContainer, ['sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu.stat']);
      const v1 = /throttled_time (\d+)/.exec(res.output);
      if (v1) return Number(v1[1]) / 1e6;
      return Number(/throttled_usec (\d+)/.exec(res.output)?.[1]) / 1e3;
    };
    await withClient(rig.directUrl, async (c) => {
      const work = async (): Promise<{ ms: number; heldBack: number }> => {
        const t0 = await heldBackMs();
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(await timedQuery(c, 'SELECT count(*) FROM generate_series(1, 600000)'));
        return { ms: runs.sort((a, b) => a - b)[1]!, heldBack: (await heldBackMs()) - t0 }; // median of three: the machine is shared
      };
      const before = await work();
      const fault: GrayFault = { kind: 'throttle', service: 'postgres', cpus: 0.05 };
      await rig.faults.degrade(fault);
      let slow: Awaited<ReturnType<typeof work>>;
      try {
        slow = await work();
      } finally {
        await rig.faults.heal(fault);
      }
      await rig.faults.heal(fault);
      const after = await work();
      const nano = (await pgContainer.inspect()).HostConfig.NanoCpus;
      const ncpu = ((await rig.docker.info()) as { NCPU: number }).NCPU;
      const f = (w: typeof before): string => `${w.ms.toFixed(0)} ms (held back by the quota ${w.heldBack.toFixed(0)} ms)`;
      console.log(`throttle 0.05 CPU: before ${f(before)} → throttled ${f(slow)} → after heal ${f(after)}; NanoCpus ${nano}`);
      // wall times swing with the shared machine's load; the time the quota held the database back does not
      expect(slow.heldBack).toBeGreaterThan(300);
      expect(before.heldBack).toBe(0);
      expect(after.heldBack).toBe(0);
      expect(nano).toBe(ncpu * 1e9);
    });
  });

  it('db-lock blocks an UPDATE of events until healed, while reads go on (EXCLUSIVE)', async () => {
    const fault: GrayFault = { kind: 'db-lock', service: 'postgres', table: 'events', mode: 'EXCLUSIVE', durationMs: 60_000 };
    await rig.faults.degrade(fault);
    await rig.faults.degrade(fault); // replaces the session, still one lock
    await withClient(rig.directUrl, async (c) => {
      const t0 = Date.now();
      const update = c.query('UPDATE events SET remaining = remaining - 1 WHERE id = 1');
      expect(await settledWithin(update, 1500)).toBe(false);
      await withClient(rig.directUrl, async (reader) => {
        const started = Date.now();
        await reader.query('SELECT remaining FROM events WHERE id = 1');
        expect(Date.now() - started).toBeLessThan(5000); // not blocked (the lock is held for 60 s)
      });
      await rig.faults.heal(fault);
      expect(await settledWithin(update, 10_000)).toBe(true);
      await update;
      console.log(`db-lock: UPDATE blocked ${Date.now() - t0} ms until heal`);
    });
    await rig.faults.heal(fault); // idempotent
  });

  it('db-lock lets go by itself after its duration', async () => {
    await rig.faults.degrade({ kind: 'db-lock', service: 'postgres', table: 'events', mode: 'SHARE', durationMs: 2000 });
    const took = await withClient(rig.directUrl, async (c) => {
      const started = Date.now();
      await c.query('UPDATE events SET remaining = remaining - 1 WHERE id = 1');
      return Date.now() - started;
    });
    console.log(`db-lock 2000 ms: UPDATE waited ${took} ms`);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(15_000);
  });

  it('db-lock on a table that does not exist is an infrastructure error naming it', async () => {
    const err = await rig.faults.degrade({ kind: 'db-lock', service: 'postgres', table: 'evnts', mode: 'EXCLUSIVE', durationMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfrastructureError);
    expect((err as Error).message).toMatch(/no table "evnts"/);
  });

  it('latency, timeout and reset through the fault proxy, each healed', async () => {
    await withClient(rig.proxiedUrl, async (c) => {
      const rt = async (): Promise<number> => {
        const xs = [];
        for (let i = 0; i < 5; i++) xs.push(await timedQuery(c, 'SELECT 1'));
        return xs.sort((a, b) => a - b)[2]!; // median of five: the machine is shared
      };
      const before = await rt();
      const latency: GrayFault = { kind: 'latency', service: 'postgres', latencyMs: 200, jitterMs: 20 };
      await rig.faults.degrade(latency);
      await rig.faults.degrade(latency);
      const slow = await rt();
      expect(slow).toBeGreaterThanOrEqual(175);
      expect(slow).toBeGreaterThan(before + 120);
      await rig.faults.heal(latency);
      await rig.faults.heal(latency);
      expect(await rt()).toBeLessThan(slow - 120);
    });

    const timeout: GrayFault = { kind: 'timeout', service: 'postgres', timeoutMs: 0 };
    await rig.faults.degrade(timeout);
    const hung = new pg.Client({ connectionString: rig.proxiedUrl, connectionTimeoutMillis: 1000 });
    hung.on('error', () => undefined);
    await expect(hung.connect()).rejects.toThrow(/timeout/i);
    await rig.faults.heal(timeout);
    expect(await withClient(rig.proxiedUrl, async (c) => (await c.query('SELECT 1 AS one')).rows[0])).toEqual({ one: 1 });

    await withClient(rig.proxiedUrl, async (c) => {
      const reset: GrayFault = { kind: 'reset', service: 'postgres' };
      await rig.faults.degrade(reset);
      await expect(c.query('SELECT 1')).rejects.toThrow(/ECONNRESET|terminated/i);
      await rig.faults.heal(reset);
    });
    expect(await withClient(rig.proxiedUrl, async (c) => (await c.query('SELECT 2 AS two')).rows[0])).toEqual({ two: 2 });
  });

  it('the proxy adds little to a PostgreSQL round trip with no toxic (median, p99)', async () => {
    // interleaved, so that the machine's load (other work on a shared host) hits both paths alike
    const [direct, proxied] = await withClient(rig.directUrl, (d) =>
      withClient(rig.proxiedUrl, async (p) => {
        for (let i = 0; i < 50; i++) await Promise.all([d.query('SELECT 1'), p.query('SELECT 1')]); // warm up
        const out: [number[], number[]] = [[], []];
        for (let i = 0; i < 500; i++) {
          out[0].push(await timedQuery(d, 'SELECT 1'));
          out[1].push(await timedQuery(p, 'SELECT 1'));
        }
        return out.map((xs) => xs.sort((a, b) => a - b)) as [number[], number[]];
      }),
    );
    const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    const f = (xs: number[]): string => `median ${pct(xs, 50).toFixed(3)} ms, p99 ${pct(xs, 99).toFixed(3)} ms`;
    console.log(`SELECT 1 round trip, 500 sequential each, interleaved: direct ${f(direct)}; through the proxy ${f(proxied)}`);
    expect(pct(proxied, 50) - pct(direct, 50)).toBeLessThan(2);
  });

  it('a host that cannot apply a fault gets exit 3 naming what is missing', async () => {
    const missingImage = 'localhost/eventflow/no-such-nettools:latest';
    process.env.EVENTFLOW_NETTOOLS_IMAGE = missingImage;
    try {
      const err = (await rig.faults.degrade({ kind: 'loss', service: 'client', percent: 10 }).catch((e: unknown) => e)) as InfrastructureError;
      expect(err).toBeInstanceOf(InfrastructureError);
      expect(err.exitCode).toBe(ExitCode.Infrastructure);
      expect(err.message).toContain(missingImage);

      const noIptables = 'localhost/eventflow/test-no-iptables:latest';
      execFileSync('docker', ['build', '-q', '-t', noIptables, '-'], {
        input: 'FROM localhost/eventflow/base:latest\nRUN rm -f /usr/sbin/iptables /usr/sbin/tc\n',
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      process.env.EVENTFLOW_NETTOOLS_IMAGE = noIptables;
      try {
        const lossErr = (await rig.faults.degrade({ kind: 'loss', service: 'client', percent: 10 }).catch((e: unknown) => e)) as InfrastructureError;
        expect(lossErr).toBeInstanceOf(InfrastructureError);
        expect(lossErr.message).toMatch(/missing tool: iptables/);
        const tcErr = (await rig.faults.degrade({ kind: 'bandwidth', service: 'postgres', rate: '1mbit' }).catch((e: unknown) => e)) as InfrastructureError;
        expect(tcErr.message).toMatch(/missing tool: tc/);
      } finally {
        execFileSync('docker', ['rmi', '-f', noIptables], { stdio: 'ignore' });
      }
    } finally {
      delete process.env.EVENTFLOW_NETTOOLS_IMAGE;
    }
  });
});
