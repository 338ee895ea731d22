/**
 * The broker's own limit for an accepted purchase: persistent messages with publisher confirms to
 * the stack's RabbitMQ, a fixed number in flight, on a scratch queue declared like the purchases
 * queue (durable) and deleted afterwards — the notifier never sees them.
 */
import amqp from 'amqplib';

const SCRATCH_QUEUE = 'eventflow.bench.raw-publish';

export async function rawConfirmPublish(amqpUrl: string, o: { inFlight: number; durationS: number }): Promise<{ rate: number; published: number; serverVersion: string }> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(SCRATCH_QUEUE, { durable: true });
    const body = Buffer.from(JSON.stringify({ v: 1, orderId: '00000000-0000-4000-8000-000000000000', padding: 'x'.repeat(200) }));
    const until = performance.now() + o.durationS * 1000;
    let published = 0;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) {
        await new Promise<void>((ok, fail) =>
          ch.publish('', SCRATCH_QUEUE, body, { persistent: true, contentType: 'application/json' }, (err: unknown) => (err ? fail(err as Error) : ok())),
        );
        published++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: o.inFlight }, worker));
    const elapsed = (performance.now() - t0) / 1000;
    await ch.deleteQueue(SCRATCH_QUEUE);
    const props = (conn as unknown as { connection?: { serverProperties?: { version?: unknown } } }).connection?.serverProperties;
    return { rate: published / elapsed, published, serverVersion: String(props?.version ?? 'unknown') };
  } finally {
    await conn.close().catch(() => undefined);
  }
}
