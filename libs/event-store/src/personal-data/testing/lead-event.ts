/**
 * Spec helper for the personal-data specs: one event of a lead's stream, with a fresh id and
 * the lead named in its metadata (what the sealing decorator reads to find the lead's key).
 */
import { randomUUID } from 'node:crypto';
import type { EventToAppend } from '../../event-store.port';

export const leadEvent = (
  leadId: string,
  type: string,
  data: Record<string, unknown>,
  schemaVersion = 1,
): EventToAppend => ({
  eventId: randomUUID(),
  type,
  schemaVersion,
  data,
  metadata: { leadId },
});
