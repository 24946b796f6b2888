/**
 * API keys on PostgreSQL and PGlite: a table beside the events (same schema, same database),
 * created with the store's schema, so keys work embedded and outlive a restart. Times come
 * from the database clock, like the idempotency keys'.
 * It must never hold a secret (only the hash it is given), nor delete a row: a revoked key
 * stays as the record of who made it and who ended it.
 */
import { type Role, roles as knownRoles } from '@tandem/domain';
import {
  ApiKeyExistsError,
  ApiKeyNameTakenError,
  type ApiKeyCredential,
  type ApiKeyRecord,
  type ApiKeyStore,
  type NewApiKey,
} from '../api-keys/api-key-store.port';
import type { PostgresApiKeySql } from './postgres-event-store.sql';
import { textColumn } from './postgres-event-rows';
import type { SqlExecutor, SqlRow } from './sql-executor';

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly executor: SqlExecutor,
    private readonly sql: PostgresApiKeySql,
  ) {}

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const row = (
      await this.executor.query(this.sql.insert, [
        key.keyId,
        key.secretHash,
        key.name,
        [...key.roles],
        key.actorId,
        key.createdBy,
      ])
    )[0];
    if (row !== undefined) return toRecord(row);
    const refusal = (await this.executor.query(this.sql.refusal, [key.keyId, key.name]))[0];
    if (refusal?.id_taken === true) throw new ApiKeyExistsError(key.keyId);
    const holder = refusal?.name_holder;
    if (typeof holder === 'string') throw new ApiKeyNameTakenError(key.name, holder);
    // The holder was revoked between the insert and the look: the name is free again.
    return this.create(key);
  }

  async credential(keyId: string): Promise<ApiKeyCredential | null> {
    const row = (await this.executor.query(this.sql.select, [keyId]))[0];
    return row === undefined
      ? null
      : { ...toRecord(row), secretHash: textColumn(row, 'secret_hash') };
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.executor.query(this.sql.list)).map(toRecord);
  }

  async revoke(keyId: string, revokedBy: string): Promise<ApiKeyRecord | null> {
    const row = (await this.executor.query(this.sql.revoke, [keyId, revokedBy]))[0];
    return row === undefined ? null : toRecord(row);
  }

  async markUsed(keyId: string): Promise<void> {
    await this.executor.query(this.sql.markUsed, [keyId]);
  }
}

/** Explicit columns only, so the hash can never ride along into a listing. */
function toRecord(row: SqlRow): ApiKeyRecord {
  return {
    keyId: textColumn(row, 'key_id'),
    name: textColumn(row, 'name'),
    roles: roleColumn(row),
    actorId: textColumn(row, 'actor'),
    createdAt: dateColumn(row, 'created_at'),
    createdBy: textColumn(row, 'created_by'),
    revokedAt: nullableDateColumn(row, 'revoked_at'),
    revokedBy: row.revoked_by === null ? null : textColumn(row, 'revoked_by'),
    lastUsedAt: nullableDateColumn(row, 'last_used_at'),
  };
}

/** A role name this version no longer knows grants nothing (as with unknown JWT roles). */
function roleColumn(row: SqlRow): Role[] {
  const value = row.roles;
  if (!Array.isArray(value)) throw new Error('api_keys.roles: expected a text array');
  // In the order given at creation: the guard acts under the first one a route allows.
  return value.filter((role): role is Role => (knownRoles as readonly unknown[]).includes(role));
}

function dateColumn(row: SqlRow, column: string): Date {
  const value = row[column];
  if (value instanceof Date) return value;
  throw new Error(`column ${column}: expected a timestamp, got ${typeof value}`);
}

function nullableDateColumn(row: SqlRow, column: string): Date | null {
  return row[column] === null ? null : dateColumn(row, column);
}
