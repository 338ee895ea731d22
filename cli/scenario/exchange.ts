/**
 * One HTTP exchange of the load generator on undici's dispatch API: the status, the answering node
 * (`x-eventflow-node`) and the body as text, with no response stream, AbortController or timer per
 * request. Thousands of attempts a second made `request()` + `body.text()` + a timer and an abort
 * listener each cost more CPU than the exchange itself (see docs/benchmarks-before.md).
 *
 * Every attempt of one sender has the same timeout, so deadlines come due in the order attempts
 * start: one FIFO and one timer (armed for the oldest) time them all out, and one listener on the
 * run's signal stops them all.
 */
import type { Dispatcher } from 'undici';

export interface ExchangeRequest {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface ExchangeResult {
  status: number;
  /** `x-eventflow-node`: which api node answered (absent when the gateway answered itself) */
  node: string | undefined;
  text: string;
}

export interface Exchanger {
  /** Resolves with the answer; rejects with the network error, the timeout (a `TimeoutError`) or the run signal's reason. */
  send(request: ExchangeRequest): Promise<ExchangeResult>;
  /** Attempts sent and not yet settled. */
  readonly pending: number;
}

/** One attempt: undici's handler and the promise's settlement in one object (one allocation, monomorphic calls). */
class Attempt implements Dispatcher.DispatchHandler {
  status = 0;
  node: string | undefined;
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  // Dropped on settling: the FIFO keeps a settled attempt until the oldest deadline passes, and the
  // promise behind these would keep its answer (and the chunks their bytes) alive that long.
  private resolve: ((r: ExchangeResult) => void) | undefined;
  private reject: ((e: unknown) => void) | undefined;

  constructor(
    readonly deadline: number,
    private readonly onSettled: () => void,
    resolve: (r: ExchangeResult) => void,
    reject: (e: unknown) => void,
  ) {
    this.resolve = resolve;
    this.reject = reject;
  }

  get settled(): boolean {
    return this.resolve === undefined;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Timed out or stopped while it waited for a connection: never sent.
    if (this.settled) controller.abort(this.abortReason ?? new Error('attempt settled before it started'));
    else this.controller = controller;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    this.status = statusCode;
    const node = headers['x-eventflow-node'];
    this.node = Array.isArray(node) ? node[0] : node;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.first === undefined) this.first = chunk;
    else (this.rest ??= [this.first]).push(chunk);
  }

  onResponseEnd(): void {
    const resolve = this.resolve;
    if (!resolve) return;
    const text = this.rest ? Buffer.concat(this.rest).toString('utf8') : this.first ? this.first.toString('utf8') : '';
    this.release();
    resolve({ status: this.status, node: this.node, text });
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    const reject = this.reject;
    if (!reject) return;
    this.release();
    reject(error);
  }

  /** Timeout or stop: settles now, aborts the exchange if it started (else when it would start). */
  fail(reason: Error): void {
    const reject = this.reject;
    if (!reject) return;
    const started = this.controller;
    this.abortReason = reason;
    this.release();
    reject(reason);
    started?.abort(reason);
  }

  private release(): void {
    this.resolve = this.reject = undefined;
    this.first = this.rest = undefined;
    this.controller = undefined;
    this.onSettled();
  }
}

export function createExchanger(agent: Dispatcher, timeoutMs: number, now: () => number, signal?: AbortSignal): Exchanger {
  // In-flight attempts, oldest first; settled ones are skipped when they reach the head.
  let queue: Attempt[] = [];
  let head = 0;
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  const onSettled = () => {
    pending--;
  };

  const arm = () => {
    while (head < queue.length && queue[head]!.settled) head++;
    if (head === queue.length) {
      queue = [];
      head = 0;
      return;
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    // unref: a finished load must not keep the process alive until the last deadline
    timer = setTimeout(expire, Math.max(1, queue[head]!.deadline - now())).unref();
  };
  function expire() {
    timer = undefined;
    const t = now();
    for (; head < queue.length; head++) {
      const attempt = queue[head]!;
      if (attempt.settled) continue;
      if (attempt.deadline > t) break;
      attempt.fail(new DOMException('client timeout', 'TimeoutError'));
    }
    arm();
  }
  signal?.addEventListener(
    'abort',
    () => {
      for (let i = head; i < queue.length; i++) queue[i]!.fail(signal.reason as Error);
    },
    { once: true },
  );

  return {
    get pending() {
      return pending;
    },
    send(request) {
      return new Promise<ExchangeResult>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const attempt = new Attempt(now() + timeoutMs, onSettled, resolve, reject);
        pending++;
        queue.push(attempt);
        if (timer === undefined) arm();
        try {
          // headersTimeout/bodyTimeout 0: no parser timer per request; the FIFO above times the whole attempt.
          agent.dispatch({ origin: request.origin, path: request.path, method: request.method, headers: request.headers, body: request.body ?? null, headersTimeout: 0, bodyTimeout: 0 }, attempt);
        } catch (error) {
          attempt.onResponseError(undefined as never, error as Error);
        }
      });
    },
  };
}
