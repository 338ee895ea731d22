/**
 * One proxied connection: the client's socket and the upstream socket, with one
 * Flow per direction. Without toxics a chunk is written through at once (with
 * back-pressure); with toxics each chunk gets a delivery time (or is dropped),
 * and chunks leave in order.
 */
import type { Socket } from 'node:net';
import { attachToxic, type LinkControl, type Stream, type ToxicEffect, type ToxicJson } from './toxics.js';

/** How long a half-closed link may take to deliver what is left before it is cut. */
const LINGER_MS = 10_000;

/** Bytes a flow may hold back (delayed by toxics) before it stops reading its source. */
const MAX_QUEUED_BYTES = 1 << 20;

interface Queued {
  data: Buffer;
  dueAt: number;
}

class Flow {
  private readonly effects = new Map<string, ToxicEffect>();
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private lastDueAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private waitingForDrain = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
  ) {
    from.on('data', (chunk: Buffer) => this.receive(chunk));
    from.on('end', () => {
      this.ended = true;
      this.deliver();
    });
    to.on('drain', () => {
      this.waitingForDrain = false;
      this.deliver();
    });
  }

  private receive(chunk: Buffer): void {
    if (this.effects.size === 0 && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    let dueAt = Date.now();
    for (const effect of this.effects.values()) {
      const next = effect.onChunk(chunk.length, dueAt);
      if (next === 'drop') return;
      dueAt = next;
    }
    dueAt = Math.max(dueAt, this.lastDueAt);
    this.lastDueAt = dueAt;
    this.queue.push({ data: chunk, dueAt });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > MAX_QUEUED_BYTES) this.from.pause();
    this.deliver();
  }

  private write(chunk: Buffer): void {
    if (this.to.destroyed) return;
    if (!this.to.write(chunk)) {
      this.waitingForDrain = true;
      this.from.pause();
    }
  }

  /** Send every chunk that is due, then sleep until the next one is. */
  private deliver(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.dueAt <= now && !this.waitingForDrain) {
      const next = this.queue.shift()!;
      this.queuedBytes -= next.data.length;
      this.write(next.data);
    }
    if (this.queue.length > 0) {
      if (!this.waitingForDrain) this.timer = setTimeout(() => this.deliver(), this.queue[0]!.dueAt - now);
      return;
    }
    if (this.ended) {
      if (!this.to.destroyed) this.to.end();
      return;
    }
    if (!this.waitingForDrain && this.queuedBytes <= MAX_QUEUED_BYTES && this.from.isPaused()) this.from.resume();
  }

  /** Make `toxics` (in order) the ones acting on this flow; what they held back is sent now (nothing dropped on a change). */
  setToxics(toxics: ToxicJson[], link: LinkControl): void {
    const wanted = new Set(toxics.map((t) => t.name));
    for (const [name, effect] of this.effects) {
      if (!wanted.has(name)) {
        this.effects.delete(name);
        effect.detach();
      }
    }
    const kept = new Map(this.effects);
    this.effects.clear();
    for (const toxic of toxics) {
      const effect = kept.get(toxic.name) ?? attachToxic(toxic, link);
      if (effect) this.effects.set(toxic.name, effect);
    }
    for (const q of this.queue) q.dueAt = 0;
    this.lastDueAt = 0;
    this.deliver();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const effect of this.effects.values()) effect.detach();
    this.effects.clear();
  }
}

export class Link implements LinkControl {
  private readonly flows: Record<Stream, Flow>;
  private closed = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly onClose: () => void,
  ) {
    this.flows = { upstream: new Flow(client, upstream), downstream: new Flow(upstream, client) };
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.close());
      // one side closed cleanly: its flow ends the other side once what it held is delivered (the
      // server's last words, e.g. PostgreSQL's "terminating connection", must reach the client)
      socket.on('close', () => {
        if (client.destroyed && upstream.destroyed) this.close();
        else setTimeout(() => this.close(), LINGER_MS).unref();
      });
    }
  }

  setToxics(toxics: ToxicJson[]): void {
    if (this.closed) return;
    for (const stream of ['upstream', 'downstream'] as const) {
      this.flows[stream].setToxics(
        toxics.filter((t) => t.stream === stream),
        this,
      );
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flows.upstream.stop();
    this.flows.downstream.stop();
    this.client.destroy();
    this.upstream.destroy();
    this.onClose();
  }

  reset(): void {
    if (this.closed) return;
    for (const socket of [this.client, this.upstream]) if (!socket.destroyed) socket.resetAndDestroy();
    this.close();
  }
}
