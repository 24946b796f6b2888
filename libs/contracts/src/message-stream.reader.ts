/**
 * Reads a message stream (a Node Readable in object mode, such as @platformatic/kafka's
 * MessagesStream) in batches: wait until something arrived, then take what is buffered, up to
 * `max`. Every message of one fetch response is pushed at once, so a batch is usually a fetch.
 *
 * Why a reader of its own: it keeps one 'readable' listener for the stream's whole life. The
 * client pauses and resumes its stream around a rebalance, and `resume()` on a stream without
 * a 'readable' (or 'data') listener switches it to flowing mode, where messages are emitted to
 * nobody and lost. With the listener attached, `resume()` leaves the stream paused.
 * It must never drop a message it took from the stream.
 */
export interface ObjectReadable {
  read(): unknown;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  on(event: 'readable' | 'end' | 'close' | 'error', listener: () => void): unknown;
}

/** Returns `next()`: the next 1..max buffered messages, or null once the stream ended or failed. */
export function streamReader<T>(stream: ObjectReadable, max: number): () => Promise<T[] | null> {
  let wake: (() => void) | null = null;
  const signal = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  for (const event of ['readable', 'end', 'close', 'error'] as const) stream.on(event, signal);
  return async () => {
    for (;;) {
      const messages: T[] = [];
      while (messages.length < max) {
        const message = stream.read();
        if (message === null) break;
        messages.push(message as T);
      }
      if (messages.length > 0) return messages;
      if (stream.destroyed || stream.readableEnded) return null;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
}
