/**
 * Which lead-event fields are personal data, declared once next to the event types.
 *
 * Personal = what identifies the contact or what a person typed and could hold anything:
 * the contact's name, e-mail and phone, the company name (a sole trader's company names a
 * person), the capture's UTM content (mail tools put the recipient's address there: a link
 * `?utm_content=erin@…`; from LeadCaptured v2 on), touchpoint content,
 * acceptance/rejection/loss notes and the recycle reason.
 * These are sealed per lead in the event store (libs/event-store personal-data) and on
 * Kafka, and erasing a lead shreds its key. Everything the rules score on or the views group
 * by stays plain on purpose — industry, size, country, role, product interest, timeframe,
 * the source's channel, campaign and medium, owners, reason codes — so no view can depend on a personal field and erasure
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

/**
 * What a reader shows in place of a personal value of a lead that is not erased but whose key
 * does not open here: its row damaged, or wrapped under a master key this process does not
 * hold (docs/personal-data.md). Not erased: restoring the key row makes it readable again.
 */
export const WITHHELD_VALUE = '[withheld]';

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
    ['source', 'content'],
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
 * Personal fields that a later schema version of their type declared, with that version. In
 * events of an older version the field is plain by contract (LeadCaptured v1's
 * `source.content` is a plain string in the published schema), so an event appended at that
 * version is not sealed there: sealing would break the version's schema for its consumers.
 * Decoded events are lifted to the current version, where every field above is personal.
 */
export const personalSinceVersion: {
  readonly [T in LeadEventType]?: Readonly<Record<string, number>>;
} = { LeadCaptured: { 'source.content': 2 } };

/** Whether `field` of `type` is personal at `schemaVersion` (the current version if absent). */
function personalAt(type: string, field: string, schemaVersion: number | undefined): boolean {
  if (schemaVersion === undefined) return true;
  const since = (personalSinceVersion as Record<string, Record<string, number> | undefined>)[type];
  return schemaVersion >= (since?.[field] ?? 1);
}

/**
 * A copy of `data` with `replace` applied to every value present at a personal field of
 * `type` (null and absent values are left alone). Unknown types have no personal fields.
 * `schemaVersion`: the version `data` is recorded at, for a stored event not yet upcast
 * (sealing, opening); without it, `data` is taken at the current version.
 */
export function mapPersonalFields(
  type: string,
  data: Readonly<Record<string, unknown>>,
  replace: (value: unknown, field: string) => unknown,
  schemaVersion?: number,
): Record<string, unknown> {
  const paths: readonly PersonalFieldPath[] =
    (personalFields as Record<string, readonly PersonalFieldPath[] | undefined>)[type] ?? [];
  let result: Record<string, unknown> = { ...data };
  for (const path of paths) {
    const field = personalFieldName(path);
    if (personalAt(type, field, schemaVersion)) result = replaceAt(result, path, 0, replace, field);
  }
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
