/** Waiting for eventual consistency: poll with a deadline, never a fixed sleep. */

/** Polls `probe` until it returns a value that is not undefined, or fails at the deadline. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `not within ${timeoutMs} ms: ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
