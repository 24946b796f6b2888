/**
 * Which lead-event fields are personal data, declared once next to the event types.
 *
 * Personal = what identifies the contact or what a person typed and could hold anything:
 * the contact's name, e-mail and phone, the company name (a sole trader's company names a
 * person), touchpoint content, acceptance/rejection/loss notes and the recycle reason.
 * These are sealed per lead in the event store (libs/event-store personal-data) and on
 * Kafka, and erasing a lead shreds its key. Everything the rules score on or the views group
 * by stays plain on purpose — industry, size, country, role, product interest, timeframe,
 * source, owners, reason codes — so no view can depend on a personal field and erasure
 * moves no aggregate. LeadCaptured's visitorIds stay plain too: random pseudonymous ids (like
 * lead ids) that stitch anonymous touches before capture to the lead, which must survive an
 * erasure for attribution to stay as it was (ADR 0012). LeadErased's own reason is an ops reference (a ticket number), not a
 * place for personal data; it stays plain so the record of the erasure stays readable.
 *
 * Pure: the types, the list and a walker; no cipher, no I/O.
 */
import type { LeadEventType } from './lead.events';

/** A personal value as the store holds it once sealed: ciphertext, never the plain text. */
export interface SealedValue {
  readonly $pii: string;
}

/** A personal text field: plain in a command and in memory, sealed in the store. */
export type Personal = string | SealedValue;

/** What every reader shows in place of a personal value whose lead was erased. */
export const ERASED_VALUE = '[erased]';

export function isSealedValue(value: unknown): value is SealedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { $pii?: unknown }).$pii === 'string'
  );
}

/**
 * Whether a personal value was given (non-blank). A sealed value always was: blank text is
 * never sealed (it carries nothing), so presence — all the MQL rules read — survives sealing
 * and erasure alike.
 */
export function isPersonalGiven(value: Personal | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  return isSealedValue(value) || value.trim() !== '';
}

/** A path below an event's `data`, e.g. `['contact', 'email']`. */
export type PersonalFieldPath = readonly [string, ...string[]];

/** The personal fields of each lead event type. A new personal field is added here, once. */
export const personalFields: { readonly [T in LeadEventType]: readonly PersonalFieldPath[] } = {
  LeadCaptured: [
    ['contact', 'name'],
    ['contact', 'email'],
    ['contact', 'phone'],
    ['company', 'name'],
  ],
  TouchpointRecorded: [['content']],
  LeadProfiled: [],
  LeadQualifiedAsMql: [],
  LeadHandedToSales: [],
  LeadAcceptedBySales: [['note']],
  LeadRejectedBySales: [['note']],
  LeadQualifiedAsSql: [],
  OpportunityOpened: [],
  OpportunityStageChanged: [],
  DealWon: [],
  DealLost: [['note']],
  LeadRecycled: [['reason']],
  LeadMerged: [],
  // Touch ids and whether content was given: never the content itself.
  DuplicateMergedIn: [],
  LeadErased: [],
};

export const personalFieldName = (path: PersonalFieldPath): string => path.join('.');

/**
 * A copy of `data` with `replace` applied to every value present at a personal field of
 * `type` (null and absent values are left alone). Unknown types have no personal fields.
 */
export function mapPersonalFields(
  type: string,
  data: Readonly<Record<string, unknown>>,
  replace: (value: unknown, field: string) => unknown,
): Record<string, unknown> {
  const paths: readonly PersonalFieldPath[] =
    (personalFields as Record<string, readonly PersonalFieldPath[] | undefined>)[type] ?? [];
  let result: Record<string, unknown> = { ...data };
  for (const path of paths) result = replaceAt(result, path, 0, replace, personalFieldName(path));
  return result;
}

function replaceAt(
  node: Record<string, unknown>,
  path: PersonalFieldPath,
  depth: number,
  replace: (value: unknown, field: string) => unknown,
  field: string,
): Record<string, unknown> {
  const key = path[depth] as string;
  if (!(key in node)) return node;
  const value = node[key];
  if (depth === path.length - 1) {
    return value === null || value === undefined ? node : { ...node, [key]: replace(value, field) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return node;
  return {
    ...node,
    [key]: replaceAt(value as Record<string, unknown>, path, depth + 1, replace, field),
  };
}
