/**
 * The toxics of the fault proxy, named and shaped as Toxiproxy's (same `type`
 * strings, same attribute names and units) so one client drives both this proxy
 * and the official Toxiproxy image. Each toxic is one entry of a registry: how to
 * read its attributes, and what it does to the chunks of one connection in one
 * direction.
 */

/** What one toxic does to one direction of one connection, from attach to detach. */
export interface ToxicEffect {
  /**
   * A chunk of `bytes` arrives and would be delivered at `dueAt` (epoch ms) by the
   * toxics before this one: return when to deliver it, or `'drop'`.
   */
  onChunk(bytes: number, dueAt: number): number | 'drop';
  /** The toxic was removed while this connection lives. */
  detach(): void;
}

/** What a toxic may do to the connection it is attached to. */
export interface LinkControl {
  /** Close both sides gracefully (FIN). */
  close(): void;
  /** Close both sides with a TCP RST (SO_LINGER 0). */
  reset(): void;
}

type Attributes = Record<string, number>;

interface ToxicKind {
  /** Attribute names with their defaults (milliseconds, KB/s…), as Toxiproxy's JSON fields. */
  defaults: Attributes;
  attach(attributes: Attributes, link: LinkControl): ToxicEffect;
}

const noDetach = (): void => undefined;

/** latency ± jitter (ms) added to every chunk; order is kept (a chunk never overtakes an earlier one). */
const latency: ToxicKind = {
  defaults: { latency: 0, jitter: 0 },
  attach: ({ latency: ms = 0, jitter = 0 }) => ({
    onChunk: (_bytes, dueAt) => dueAt + Math.max(0, ms + (jitter > 0 ? Math.random() * 2 * jitter - jitter : 0)),
    detach: noDetach,
  }),
};

/** Data stops; with timeout > 0 the connection is closed that many ms after the toxic attached. Removing it closes the connection (its stream lost data). */
const timeout: ToxicKind = {
  defaults: { timeout: 0 },
  attach: ({ timeout: ms = 0 }, link) => {
    const timer = ms > 0 ? setTimeout(() => link.close(), ms) : undefined;
    timer?.unref();
    return {
      onChunk: () => 'drop',
      detach: () => {
        if (timer) clearTimeout(timer);
        link.close();
      },
    };
  },
};

/** The first chunk after attach is dropped and the connection reset (RST) `timeout` ms later. */
const resetPeer: ToxicKind = {
  defaults: { timeout: 0 },
  attach: ({ timeout: ms = 0 }, link) => {
    let timer: NodeJS.Timeout | undefined;
    return {
      onChunk: () => {
        timer ??= setTimeout(() => link.reset(), ms);
        return 'drop';
      },
      detach: () => {
        if (timer) clearTimeout(timer);
      },
    };
  },
};

/** At most `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy) in this direction. */
const bandwidth: ToxicKind = {
  defaults: { rate: 0 },
  attach: ({ rate = 0 }) => {
    let freeAt = 0;
    return {
      onChunk: (bytes, dueAt) => {
        if (rate <= 0) return dueAt;
        freeAt = Math.max(freeAt, dueAt) + bytes / rate;
        return freeAt;
      },
      detach: noDetach,
    };
  },
};

export const TOXIC_KINDS: Record<string, ToxicKind> = { latency, timeout, reset_peer: resetPeer, bandwidth };

export type Stream = 'upstream' | 'downstream';

/** A toxic as Toxiproxy's API shows it. */
export interface ToxicJson {
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
  attributes: Attributes;
}

/** Raised for a request the API must refuse; `status` is the HTTP status (Toxiproxy's ApiError). */
export class ProxyApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ProxyApiError';
  }
}

/**
 * Validate a toxic definition as POSTed to /proxies/:name/toxics, filling in
 * Toxiproxy's defaults: stream `downstream`, toxicity 1, name `<type>_<stream>`.
 */
export function parseToxic(input: { name?: string; type: string; stream?: string; toxicity?: number; attributes?: Record<string, unknown> }): ToxicJson {
  const kind = TOXIC_KINDS[input.type];
  if (!kind) throw new ProxyApiError(`invalid toxic type: "${input.type}" (this proxy supports ${Object.keys(TOXIC_KINDS).join(', ')})`, 400);
  const stream = input.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') throw new ProxyApiError('stream was invalid, can be either upstream or downstream', 400);
  const toxicity = input.toxicity ?? 1;
  if (!(toxicity >= 0 && toxicity <= 1)) throw new ProxyApiError(`toxicity must be between 0 and 1, got ${toxicity}`, 400);
  const attributes: Attributes = { ...kind.defaults };
  for (const [key, value] of Object.entries(input.attributes ?? {})) {
    if (!(key in kind.defaults)) throw new ProxyApiError(`unknown attribute "${key}" for ${input.type} (expected ${Object.keys(kind.defaults).join(', ')})`, 400);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ProxyApiError(`attribute ${key} must be a number >= 0`, 400);
    attributes[key] = value;
  }
  return { name: input.name || `${input.type}_${stream}`, type: input.type, stream, toxicity, attributes };
}

/** Attach a validated toxic to one direction of one connection; toxicity decides once per connection, as Toxiproxy does. */
export function attachToxic(toxic: ToxicJson, link: LinkControl): ToxicEffect | undefined {
  if (Math.random() >= toxic.toxicity) return undefined;
  return TOXIC_KINDS[toxic.type]!.attach(toxic.attributes, link);
}
