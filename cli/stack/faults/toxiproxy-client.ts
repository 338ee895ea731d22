/**
 * A small client for Toxiproxy's HTTP API: the official image
 * (ghcr.io/shopify/toxiproxy, what @testcontainers/toxiproxy starts) and
 * EventFlow's own proxy (system/proxy, the `proxy` role of the app image) speak
 * the same JSON, so this drives both.
 *
 * Why not `toxiproxy-node-client`: we use five endpoints; a fetch-based module of
 * this size has no dependency, makes every call idempotent where the fault layer
 * needs it (ensureProxy, removeToxic of an absent toxic) and turns every failure
 * into an InfrastructureError naming the proxy and what was asked.
 */
import { InfrastructureError } from '../../errors.js';

export type ToxicType = 'latency' | 'timeout' | 'reset_peer' | 'bandwidth';

/** Attribute names and units are Toxiproxy's: milliseconds, and KB/s for bandwidth. */
export interface ToxicAttributes {
  latency: { latency: number; jitter?: number };
  timeout: { timeout: number };
  reset_peer: { timeout?: number };
  bandwidth: { rate: number };
}

export interface Toxic<T extends ToxicType = ToxicType> {
  name: string;
  type: T;
  /** `downstream` = server → client (Toxiproxy's default), `upstream` = client → server. */
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: ToxicAttributes[T];
}

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: Toxic[];
}

export interface ToxiproxyClientOptions {
  /** Per request (default 5 s). */
  timeoutMs?: number;
}

export class ToxiproxyClient {
  private readonly timeoutMs: number;

  /** @param baseUrl e.g. http://127.0.0.1:8474 */
  constructor(
    readonly baseUrl: string,
    options: ToxiproxyClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  private async call<T>(method: string, path: string, body?: unknown, accept: number[] = []): Promise<{ status: number; data: T | undefined }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new InfrastructureError(`toxiproxy at ${this.baseUrl}: ${method} ${path} failed: ${(e as Error).message}`, 'is the proxy service running? (`eventflow status`)');
    }
    const text = await res.text();
    if (!res.ok && !accept.includes(res.status)) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new InfrastructureError(`toxiproxy at ${this.baseUrl}: ${method} ${path} → ${res.status} ${message}`);
    }
    return { status: res.status, data: text && res.ok ? (JSON.parse(text) as T) : undefined };
  }

  async version(): Promise<string> {
    const res = await fetch(new URL('/version', this.baseUrl), { signal: AbortSignal.timeout(this.timeoutMs) }).catch((e: Error) => {
      throw new InfrastructureError(`toxiproxy at ${this.baseUrl}: GET /version failed: ${e.message}`);
    });
    const text = (await res.text()).trim();
    try {
      return (JSON.parse(text) as { version: string }).version; // ≥ 2.6 answers JSON
    } catch {
      return text; // older Toxiproxy answers the bare version
    }
  }

  async proxies(): Promise<Record<string, ProxyInfo>> {
    return (await this.call<Record<string, ProxyInfo>>('GET', '/proxies')).data ?? {};
  }

  /** Create the proxy, or keep the existing one when it already points where asked (idempotent). */
  async ensureProxy(def: { name: string; listen: string; upstream: string }): Promise<ProxyInfo> {
    const created = await this.call<ProxyInfo>('POST', '/proxies', { ...def, enabled: true }, [409]);
    if (created.data) return created.data;
    const existing = (await this.proxies())[def.name];
    if (!existing || existing.upstream !== def.upstream) {
      throw new InfrastructureError(`toxiproxy at ${this.baseUrl}: proxy ${def.name} exists with upstream ${existing?.upstream ?? '?'}, not ${def.upstream}`);
    }
    return existing;
  }

  /** Add a toxic; one of the same name is replaced (idempotent). */
  async setToxic<T extends ToxicType>(proxy: string, toxic: { name: string; type: T; stream?: 'upstream' | 'downstream'; toxicity?: number; attributes: ToxicAttributes[T] }): Promise<Toxic<T>> {
    await this.removeToxic(proxy, toxic.name);
    const body = { stream: 'downstream', toxicity: 1, ...toxic };
    return (await this.call<Toxic<T>>('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, body)).data!;
  }

  /** Remove a toxic; an absent one is not an error (idempotent). */
  async removeToxic(proxy: string, name: string): Promise<void> {
    const res = await this.call<unknown>('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`, undefined, [404]);
    if (res.status === 404) {
      // 404 for an unknown toxic is fine; for an unknown proxy it is not
      if (!(await this.proxies())[proxy]) throw new InfrastructureError(`toxiproxy at ${this.baseUrl}: no proxy named ${proxy}`);
    }
  }

  /** Enable every proxy and remove every toxic. */
  async reset(): Promise<void> {
    await this.call<unknown>('POST', '/reset');
  }
}
