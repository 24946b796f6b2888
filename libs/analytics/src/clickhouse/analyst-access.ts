/**
 * The read-only analyst login on a ClickHouse server: a role that may only
 * SELECT from Tandem's analytics database, and a user holding it with
 * `readonly = 1`. Applied by `tandem migrate` in server mode (chDB has no access
 * management). Re-running is safe and rotates the password.
 *
 * ClickHouse cannot bind parameters in access-control DDL, so nothing here comes
 * from free text: the database and user names must match a strict identifier
 * pattern, and the password enters only as its SHA-256 hex digest.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsDatabase } from './analytics.database';

export const ANALYST_ROLE = 'tandem_analyst';

export interface AnalystAccess {
  readonly user: string;
  readonly password: string;
}

export class InvalidAnalystAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAnalystAccessError';
  }
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

export function analystAccessStatements(database: string, access: AnalystAccess): string[] {
  const db = analyticsDatabase({ database });
  if (!identifier.test(access.user)) {
    throw new InvalidAnalystAccessError(
      'analyst user must be a lower-case identifier (letters, digits, _)',
    );
  }
  if (access.password.length < 12) {
    throw new InvalidAnalystAccessError('analyst password must have at least 12 characters');
  }
  const hash = createHash('sha256').update(access.password, 'utf8').digest('hex');
  const user = `\`${access.user}\``;
  return [
    `CREATE ROLE IF NOT EXISTS ${ANALYST_ROLE}`,
    `GRANT SELECT ON \`${db}\`.* TO ${ANALYST_ROLE}`,
    `CREATE USER IF NOT EXISTS ${user} IDENTIFIED WITH sha256_hash BY '${hash}'`,
    `ALTER USER ${user} IDENTIFIED WITH sha256_hash BY '${hash}' SETTINGS readonly = 1`,
    `GRANT ${ANALYST_ROLE} TO ${user}`,
    `ALTER USER ${user} DEFAULT ROLE ${ANALYST_ROLE}`,
  ];
}

export async function ensureAnalystAccess(
  client: ClickHouseClient,
  database: string,
  access: AnalystAccess,
): Promise<void> {
  for (const query of analystAccessStatements(database, access)) {
    await client.command({ query });
  }
}
