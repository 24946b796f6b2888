/**
 * The command line asks for something that cannot be done as written. Its own module so
 * that both the API client (which throws it) and the failure translation (which maps it
 * to exit code 2) can import it without importing each other.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
