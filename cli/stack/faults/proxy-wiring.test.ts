import { describe, expect, it } from 'vitest';
import { buildTopology } from '../topology.js';
import { routeThroughProxy, viaProxy } from './proxy-wiring.js';

const credentials = { postgres: { user: 'u', password: 'p', database: 'd' }, rabbitmq: { user: 'r', password: 'q' }, redis: { password: 's' } };

describe('routing dependencies through the fault proxy', () => {
  const topo = buildTopology({ imageSet: 'offline', credentials, nodes: 2 });
  const routed = routeThroughProxy(topo.services, { image: 'localhost/eventflow/app-offline:test', group: 'balancer', publishApi: [] });
  const byName = new Map(routed.map((s) => [s.name, s]));

  it('adds one proxy listening on each dependency port, forwarding to the dependency', () => {
    const proxy = byName.get('proxy')!;
    expect(proxy.command).toEqual(['proxy']);
    expect(JSON.parse(proxy.env.PROXY_CONFIG!)).toEqual([
      { name: 'postgres', listen: '0.0.0.0:5432', upstream: 'postgres:5432' },
      { name: 'redis', listen: '0.0.0.0:6379', upstream: 'redis:6379' },
      { name: 'rabbitmq', listen: '0.0.0.0:5672', upstream: 'rabbitmq:5672' },
    ]);
    // the proxy starts before the services that go through it
    expect(routed.indexOf(proxy)).toBeLessThan(routed.findIndex((s) => s.name === 'api-1'));
  });

  it('points the services at the proxy and nothing else', () => {
    const api = byName.get('api-1')!;
    expect(api.env.DATABASE_URL).toBe('postgres://u:p@proxy:5432/d');
    expect(api.env.REDIS_URL).toBe('redis://:s@proxy:6379');
    expect(api.env.AMQP_URL).toBe('amqp://r:q@proxy:5672');
    expect(api.env.PEERS).toBe('api-1:3000,api-2:3000');
    expect(api.dependsOn).toContain('proxy');
    expect(byName.get('postgres')).toEqual(topo.services.find((s) => s.name === 'postgres'));
    expect(byName.get('nginx')).toEqual(topo.services.find((s) => s.name === 'nginx'));
  });

  it('leaves values that are not URLs of a proxied dependency alone', () => {
    const proxied = new Map([['postgres', [5432]]]);
    expect(viaProxy('info', proxied)).toBe('info');
    expect(viaProxy('postgres://u:p@postgres:6543/d', proxied)).toBe('postgres://u:p@postgres:6543/d');
    expect(viaProxy('http://other:5432/', proxied)).toBe('http://other:5432/');
  });
});
