/**
 * Opens a KurrentDB client from a connection string (kurrentdb://, kdb://, esdb://,
 * their +discover forms for clusters; TLS, certificates and node preference as query
 * options of the string) and names the part of the client the adapter uses, so that
 * the unit spec can stand in for a server.
 * It must never put a password into an error message or a log line.
 */
import { KurrentDBClient } from '@kurrent/kurrentdb-client';

/** The client methods the adapter calls; nothing else of the client is relied on. */
export type KurrentDbClient = Pick<
  KurrentDBClient,
  | 'appendToStream'
  | 'appendRecords'
  | 'multiStreamAppend'
  | 'readStream'
  | 'readAll'
  | 'subscribeToAll'
  | 'dispose'
>;

export const CONNECTION_STRING_FORM =
  'kurrentdb://[user:password@]host:port[,host:port…][?tls=false&…] (or kurrentdb+discover://, kdb://, esdb://)';

/**
 * Creates the client; nothing is sent until the first request. A malformed string
 * fails here with the client's reason (redacted) and the expected form.
 */
export function openKurrentDbClient(connectionString: string): KurrentDBClient {
  try {
    return KurrentDBClient.connectionString(connectionString);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `KurrentDB connection string ${redactConnectionString(connectionString)} is invalid: ` +
        `${redactSecrets(reason, connectionString)}; expected ${CONNECTION_STRING_FORM}`,
    );
  }
}

/** The connection string with the password of its user info replaced by `***`. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/^([^:/?#]+:\/\/[^:@/?#]*:)[^@/?#]*@/, '$1***@');
}

/** `text` with every occurrence of the connection string's password replaced by `***`. */
export function redactSecrets(text: string, connectionString: string): string {
  const password = /^[^:/?#]+:\/\/[^:@/?#]*:([^@/?#]*)@/.exec(connectionString)?.[1];
  return password === undefined || password === '' ? text : text.split(password).join('***');
}
