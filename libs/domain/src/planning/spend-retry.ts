/**
 * A campaign spend sent with the client's own `spendId` is held once (ADR 0007, addendum "A
 * spend without a key"): its event id derives from the spend id, so the store refuses a second
 * one, and this rule decides what the refused request was, from the spend the store holds
 * under that id — the same facts: a retry, answered as done; other facts (or none found where
 * this spend would be: another campaign's stream holds it): another spend under a taken id.
 * Pure; it never reads the store itself, and never compares the business time (`occurredAt`),
 * as a touch's retry is not compared on it either.
 */
import { SpendConflictError } from '../errors';
import type { CampaignSpendRecorded } from './planning.events';

type SpendFacts = CampaignSpendRecorded['data'];

const COMPARED = ['campaign', 'channel', 'amount', 'currency', 'spentOn'] as const;

/**
 * `held` when `recorded` (the spend stored under the id, in the stream this request's campaign
 * writes to; undefined if that stream holds none) has the requested facts; throws
 * SpendConflictError naming the recorded event otherwise.
 */
export function decideSpendRetry(
  spendId: string,
  eventId: string,
  requested: SpendFacts,
  recorded: SpendFacts | undefined,
): 'held' {
  if (recorded === undefined) {
    throw new SpendConflictError(spendId, eventId, `another campaign than ${requested.campaign}`);
  }
  const differences = COMPARED.filter((field) => recorded[field] !== requested[field]);
  if (differences.length === 0) return 'held';
  throw new SpendConflictError(spendId, eventId, `another ${differences.join(', ')}`);
}
