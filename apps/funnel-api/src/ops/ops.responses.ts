/**
 * What the /ops routes answer, as zod schemas: the OpenAPI document's 2xx schemas are generated
 * from them (ApiAnswer), and each handler's return type is its schema's, so the document
 * cannot drift from the answer. An API key's answer never holds its secret's hash; only the
 * create answer holds the key itself.
 */
import { roles } from '@tandem/domain';
import { z } from 'zod';

const when = z.string().describe('ISO-8601');
/** A key as every answer shows it: never its secret nor the secret's hash. */
export const apiKeySchema = z.strictObject({
  keyId: z.string().describe('16 hex digits; the id to revoke it by'),
  name: z.string(),
  roles: z.array(z.enum(roles)),
  actor: z.string().describe('The actor the events it writes record'),
  status: z.enum(['active', 'revoked']),
  createdAt: when,
  createdBy: z.string(),
  revokedAt: when.nullable(),
  revokedBy: z.string().nullable(),
  lastUsedAt: when.nullable().describe('The last request it authenticated, if any'),
});
export const createdKeySchema = apiKeySchema.extend({
  apiKey: z
    .string()
    .describe('The key (tdk_<id>_<secret>), in this answer only: send it as the bearer token'),
});
export const keyListSchema = z.strictObject({ keys: z.array(apiKeySchema) });

export const rebuildingSchema = z.strictObject({
  status: z.literal('rebuilding'),
  follow: z.literal('/health').describe('Where the progress shows: position against head'),
});
