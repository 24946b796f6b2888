/**
 * The one way a command handler meets a conflict of revisions it did not ask for: its append
 * insisted on the revision its decision read, another write landed first, and nothing was
 * written. The command is decided again on the store as it now is, at most `attempts` times in
 * all; any other error, or a conflict `retryable` says is the caller's, is thrown as it is.
 */
import { WrongExpectedRevisionError } from '@tandem/event-store';

export async function decideAgainOnConflict<T>(
  attempts: number,
  decide: () => Promise<T>,
  retryable: (error: WrongExpectedRevisionError) => boolean | Promise<boolean> = () => true,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await decide();
    } catch (error) {
      if (
        !(error instanceof WrongExpectedRevisionError) ||
        attempt >= attempts ||
        !(await retryable(error))
      ) {
        throw error;
      }
    }
  }
}
