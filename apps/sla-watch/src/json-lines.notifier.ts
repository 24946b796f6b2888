/**
 * Notifier adapter for demos and log shippers: one JSON object per line on a
 * stream (stdout by default), each carrying its idempotency key so whatever
 * reads the stream can drop repeats. It remembers keys only for the life of the
 * process, so after a restart replayed notifications are printed again; a real
 * deployment plugs an adapter with durable keys. It must never write anything
 * but notification lines to its stream (logs go elsewhere).
 */
import type { Writable } from 'node:stream';
import type { Notifier } from './notifier.port';

export function createJsonLinesNotifier(out: Writable = process.stdout): Notifier {
  const sent = new Set<string>();
  return {
    async notify(notification) {
      if (sent.has(notification.key)) return 'duplicate';
      await new Promise<void>((resolve, reject) =>
        out.write(`${JSON.stringify(notification)}\n`, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      sent.add(notification.key);
      return 'sent';
    },
  };
}
