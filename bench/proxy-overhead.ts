/**
 * What the fault proxy (system/proxy) costs with no toxic: round trips of one
 * small message to a TCP echo server on loopback, direct and through the proxy,
 * interleaved so that machine load hits both alike. Prints median and p99.
 *
 *   EVENTFLOW_BENCH_ROUNDS (2000)
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createProxyApi } from '../system/proxy/api.js';

const ROUNDS = Number(process.env.EVENTFLOW_BENCH_ROUNDS ?? 2000);

async function open(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(s, 'connect');
  return s;
}

function roundTrip(s: Socket): Promise<number> {
  return new Promise((resolve) => {
    const t = performance.now();
    s.once('data', () => resolve(performance.now() - t));
    s.write('ping');
  });
}

const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

export async function run(): Promise<void> {
  const echo = createServer({ noDelay: true }, (s) => s.pipe(s)).listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const echoPort = (echo.address() as AddressInfo).port;
  const { app, collection } = createProxyApi();
  const proxy = await collection.add({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
  const proxyPort = Number(proxy.toJSON().listen.split(':').pop());
  const direct = await open(echoPort);
  const proxied = await open(proxyPort);
  const samples = { direct: [] as number[], proxied: [] as number[] };
  for (let i = 0; i < ROUNDS + 200; i++) {
    const d = await roundTrip(direct);
    const p = await roundTrip(proxied);
    if (i >= 200) {
      samples.direct.push(d);
      samples.proxied.push(p);
    }
  }
  for (const [name, xs] of Object.entries(samples)) {
    xs.sort((a, b) => a - b);
    process.stdout.write(`${name.padEnd(8)} median ${pct(xs, 50).toFixed(3)} ms  p99 ${pct(xs, 99).toFixed(3)} ms  (${xs.length} round trips)\n`);
  }
  process.stdout.write(`overhead median +${(pct(samples.proxied, 50) - pct(samples.direct, 50)).toFixed(3)} ms, p99 +${(pct(samples.proxied, 99) - pct(samples.direct, 99)).toFixed(3)} ms\n`);
  direct.destroy();
  proxied.destroy();
  await app.close();
  echo.close();
}
