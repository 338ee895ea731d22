/**
 * One named TCP proxy (Toxiproxy's Proxy): listens on `listen`, dials `upstream`
 * for every client, and applies its toxics to every connection, the live ones
 * included.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Link } from './link.js';
import { parseToxic, ProxyApiError, type ToxicJson } from './toxics.js';

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces), as Go's net.Listen takes it. */
export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new ProxyApiError(`"${address}" is not host:port`, 400);
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port };
}

const joinHostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export class ToxicProxy {
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private readonly toxics: ToxicJson[] = [];
  private listenAddress: string;

  constructor(
    readonly name: string,
    listen: string,
    readonly upstream: string,
  ) {
    splitHostPort(upstream);
    this.listenAddress = listen;
  }

  get enabled(): boolean {
    return this.server !== undefined;
  }

  /** Start listening (idempotent). A listen port of 0 becomes the port the system chose. */
  async enable(): Promise<void> {
    if (this.server) return;
    const { host, port } = splitHostPort(this.listenAddress);
    const server = createServer({ noDelay: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new ProxyApiError(`proxy ${this.name}: cannot listen on ${this.listenAddress}: ${e.code ?? e.message}`, 500)));
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.listenAddress = joinHostPort(host, address.port);
    this.server = server;
  }

  /** Stop listening and drop every connection (idempotent). */
  async disable(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const link of [...this.links]) link.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.pause();
    const { host, port } = splitHostPort(this.upstream);
    const upstream = connect({ host, port, noDelay: true });
    const refuse = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.once('error', refuse);
    client.once('error', refuse);
    upstream.once('connect', () => {
      upstream.off('error', refuse);
      client.off('error', refuse);
      const link = new Link(client, upstream, () => this.links.delete(link));
      this.links.add(link);
      link.setToxics(this.toxics);
      client.resume();
    });
  }

  addToxic(input: Parameters<typeof parseToxic>[0]): ToxicJson {
    const toxic = parseToxic(input);
    if (this.toxics.some((t) => t.name === toxic.name)) throw new ProxyApiError('toxic already exists', 409);
    this.toxics.push(toxic);
    this.applyToxics();
    return toxic;
  }

  removeToxic(name: string): void {
    const at = this.toxics.findIndex((t) => t.name === name);
    if (at < 0) throw new ProxyApiError('toxic not found', 404);
    this.toxics.splice(at, 1);
    this.applyToxics();
  }

  toxic(name: string): ToxicJson {
    const found = this.toxics.find((t) => t.name === name);
    if (!found) throw new ProxyApiError('toxic not found', 404);
    return found;
  }

  removeAllToxics(): void {
    this.toxics.length = 0;
    this.applyToxics();
  }

  private applyToxics(): void {
    for (const link of this.links) link.setToxics(this.toxics);
  }

  get connections(): number {
    return this.links.size;
  }

  toJSON(): ProxyJson {
    return { name: this.name, listen: this.listenAddress, upstream: this.upstream, enabled: this.enabled, toxics: [...this.toxics] };
  }
}
