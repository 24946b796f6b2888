/**
 * The bounds every value of an event must keep, in one place, so that what the API (or the
 * import) accepts is exactly what the projector can project. Each bound is the range of the
 * ClickHouse column the value ends up in:
 *   - business time (`occurredAt`): ISO-8601 with a zone, from 1900-01-01T00:00:00Z to before
 *     2300-01-01T00:00:00Z, DateTime64(3)'s range (ClickHouse would clamp anything outside,
 *     so the projector refuses it). A command may in addition not be in the future (more than
 *     FUTURE_SKEW_MS ahead of the server's clock): a fact reported now has already happened.
 *   - business dates (`spentOn`, target periods): Date32's range, 1900-01-01..2299-12-31.
 *   - amounts and target values: Decimal(38, 4), so at most four decimals, non-negative, and at
 *     most 1e12 (far below Decimal(38, 4)'s limit; a larger amount is a typo, not a deal).
 *   - text: no U+0000 and no lone surrogate halves, which PostgreSQL's jsonb cannot store (the
 *     append would fail without naming the field). A name-like text of a new command must in
 *     addition show something (hasVisibleCharacter, libs/domain text.ts), and every text of a
 *     new command but an id is taken in Unicode NFC (`Café` typed composed or decomposed is
 *     one channel). A label, name, code or id of a new command holds no invisible or
 *     bidirectional control character (hiddenCharacterOf: U+200B, U+202E…; ZWJ and ZWNJ
 *     only where a script joins). A stored event is decoded without these rules and as it
 *     was recorded, so what was recorded before them still projects, unchanged.
 * The event payload schemas (event-schemas.ts), the metadata decoder (envelope.codec.ts) and
 * the API's request schemas are all built from these; never redefine a bound elsewhere.
 */
import {
  COUNTRY_CODE_MESSAGE,
  COUNTRY_CODES,
  CURRENCY_CODE_MESSAGE,
  CURRENCY_CODE_PATTERN,
  hasVisibleCharacter,
  hiddenCharacterMessage,
  hiddenCharacterOf,
  isMoneyCurrency,
  isStorableText,
  NON_MONEY_CURRENCY_MESSAGE,
  MAX_VISITOR_IDS,
  parseLeadId,
  STORABLE_TEXT_MESSAGE,
  VISIBLE_TEXT_MESSAGE,
  VISITOR_ID_PATTERN,
} from '@tandem/domain';
import { z } from 'zod';

/** First instant DateTime64(3) / Date32 can hold. */
export const EARLIEST_BUSINESS_TIME = '1900-01-01T00:00:00.000Z';
/** First instant past DateTime64(3)'s range (exclusive bound). */
export const BUSINESS_TIME_END = '2300-01-01T00:00:00.000Z';
/** How far ahead of the server's clock a command's occurredAt may be (clients' clocks drift). */
export const FUTURE_SKEW_MS = 5 * 60_000;
export const MAX_AMOUNT = 1e12;
export const AMOUNT_DECIMALS = 4;

const EARLIEST_MS = Date.parse(EARLIEST_BUSINESS_TIME);
const END_MS = Date.parse(BUSINESS_TIME_END);
const FIRST_YEAR = 1900;
const LAST_YEAR = 2299;

const storable = isStorableText;
const storableMessage = STORABLE_TEXT_MESSAGE;

/** Free text of at most `max` UTF-16 units, possibly empty, kept as given. */
export const boundedString = (max: number) =>
  z.string().max(max).refine(storable, { message: storableMessage });

/**
 * Text of a new command is taken in NFC, Unicode's composed form: canonically equivalent
 * spellings (`é` as U+00E9, or `e` and U+0301 as macOS file names and some keyboards send it)
 * are one value, so they group as one channel, campaign or industry and match a definition's
 * ICP values, which publishing takes in NFC too. Applied before trimming and the length
 * bounds, so the bounds hold for what is stored. Never to stored events (history is decoded
 * as recorded) nor to ids a client names (idTextSchema): an id is compared as sent, so a
 * retry is the same request whatever its spelling.
 */
const composed = () => z.string().normalize('NFC');

/**
 * Text as a stored event holds it: trimmed, then 1–`max` characters. For decoding only: events
 * recorded before the visible-character rule may hold a name of invisible characters, and must
 * still fold and project.
 */
export const storedTrimmedText = (max: number) =>
  z.string().trim().min(1).max(max).refine(storable, { message: storableMessage });

/**
 * Refuses a text holding an invisible or bidirectional control character (hiddenCharacterOf,
 * libs/domain text.ts; ADR 0010's addendum), naming its code point and never the text. Asked
 * of the text as sent, before trimming: JavaScript's trim() takes U+FEFF for white space and
 * drops it from either end, so `\uFEFFweb` was stored as `web`, accepted though it differs
 * from what was sent by an invisible character, as `w\uFEFFeb` is refused. A byte order mark
 * opening a whole file or body is the encoding's and is stripped before (the CSV reader, the
 * JSON Lines reader's trim of a line); one inside a string is the text's. Also the rule for
 * an API key's actor, which every event the key writes names.
 */
export function refuseHiddenCharacters(value: string, context: z.RefinementCtx): void {
  const codePoint = hiddenCharacterOf(value);
  if (codePoint !== null)
    context.addIssue({ code: 'custom', message: hiddenCharacterMessage(codePoint) });
}

/**
 * Text a new command must say something with: in NFC (composed), none of it invisible or a
 * bidi control as sent (refuseHiddenCharacters), trimmed, then 1–`max` characters, at least
 * one of which shows (a letter, digit, punctuation mark or symbol; hasVisibleCharacter).
 */
export const trimmedText = (max: number) =>
  composed()
    .superRefine(refuseHiddenCharacters)
    .trim()
    .min(1)
    .max(max)
    .refine(storable, { message: storableMessage })
    .refine(hasVisibleCharacter, { message: VISIBLE_TEXT_MESSAGE });

/** A label, name or code of a new command: NFC, trimmed, 1–500 characters, something visible. */
export const textSchema = trimmedText(500);

/**
 * An id a client names in a new command (a touchpoint's, an opportunity's, a spend's, an
 * account's): trimmed, 1–500 characters, something visible, no invisible or bidi control
 * character, and otherwise kept as sent, not normalized. The same request retried must name
 * the same touch or spend as before, also one first recorded before text was taken in NFC.
 * Refusing a character changes no comparison, so ids are held to the labels' rule: an id
 * `inv\u200B-1` beside `inv-1` is two deals an analyst cannot tell apart.
 */
export const idTextSchema = z
  .string()
  .superRefine(refuseHiddenCharacters)
  .trim()
  .min(1)
  .max(500)
  .refine(storable, { message: storableMessage })
  .refine(hasVisibleCharacter, { message: VISIBLE_TEXT_MESSAGE });

/** A label, name or code as a stored event holds it (storedTrimmedText). */
export const storedTextSchema = storedTrimmedText(500);

/** A currency as a stored event holds it: three upper-case letters, whatever they name. */
export const storedCurrencySchema = z.string().regex(CURRENCY_CODE_PATTERN, CURRENCY_CODE_MESSAGE);

/**
 * The currency of a new amount of money: ISO 4217 spelled, and money (isMoneyCurrency in
 * libs/domain: XXX, XTS, the metals and the units of account are refused).
 */
export const currencySchema = storedCurrencySchema.refine(isMoneyCurrency, {
  message: NON_MONEY_CURRENCY_MESSAGE,
});

/** A note typed by a person: up to 4,000 characters, in NFC as every text of a new command. */
export const noteSchema = composed().max(4000).refine(storable, { message: storableMessage });

/** ISO-8601 timestamp with a zone, inside ClickHouse DateTime64(3)'s range. */
export const businessTimeSchema = z.iso.datetime({ offset: true }).refine(
  (value) => {
    const time = Date.parse(value);
    return notATime(time) || (time >= EARLIEST_MS && time < END_MS);
  },
  { message: 'must be from 1900-01-01T00:00:00Z to before 2300-01-01T00:00:00Z' },
);

/** The business time of a new command: in range, and not in the future. */
export const commandTimeSchema = businessTimeSchema.refine(
  (value) => {
    const time = Date.parse(value);
    return notATime(time) || time <= Date.now() + FUTURE_SKEW_MS;
  },
  { message: 'must not be in the future' },
);

/**
 * A text the format check refused already (zod runs a schema's refinements after a failed
 * format too): the bounds say nothing of it, or a leap second `23:59:60` in 2016 would also be
 * told it is out of range and in the future.
 */
const notATime = (time: number): boolean => Number.isNaN(time);

/** `YYYY-MM-DD`, a real calendar date inside ClickHouse Date32's range. */
export const businessDateSchema = z.iso
  .date()
  .refine((value) => inYears(yearOf(value), FIRST_YEAR, LAST_YEAR), {
    message: 'must be a date from 1900-01-01 to 2299-12-31',
  });

/**
 * A target period, `YYYY-MM` or `YYYY-Qn`. Its exclusive end is stored as a Date32 too, so
 * the last period of 2299 (ending 2300-01-01) does not fit: years run 1900–2298.
 */
export const planningPeriodSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, 'must be YYYY-MM or YYYY-Qn')
  .refine((value) => inYears(yearOf(value), FIRST_YEAR, LAST_YEAR - 1), {
    message: 'must be a period of a year from 1900 to 2298',
  });

/** Money and target values: what Decimal(38, 4) holds exactly, 0..1e12. */
export const amountSchema = z
  .number()
  .nonnegative()
  .max(MAX_AMOUNT)
  .refine(hasAtMostFourDecimals, { message: `must have at most ${AMOUNT_DECIMALS} decimals` });

/** An amount that must be above zero (an opportunity or a deal is worth something). */
export const positiveAmountSchema = amountSchema.refine((value) => value > 0, {
  message: 'must be greater than 0',
});

/**
 * A country as a stored event may carry it: two upper-case letters, whatever they name.
 * Events recorded before the API knew which codes are assigned hold `ZZ` or `EU` too, and
 * must still decode; a new command takes countryCodeSchema instead.
 */
export const storedCountrySchema = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code');

/**
 * A country a new command names: one of the codes of libs/domain's COUNTRY_CODES (assigned
 * ISO 3166-1, and XK). An enum, so the OpenAPI document lists them.
 */
export const countryCodeSchema = z.enum(COUNTRY_CODES, { error: COUNTRY_CODE_MESSAGE });

/** Company head count, as a UInt32-sized integer. */
export const companySizeSchema = z.number().int().nonnegative().max(10_000_000);

/**
 * A lead id in any accepted spelling, parsed to its canonical form (libs/domain lead-id.ts).
 * Only for input: stored events keep the id they were recorded with.
 */
export const leadIdSchema = z.string().transform((raw, context) => {
  const outcome = parseLeadId(raw);
  if (outcome.ok) return outcome.leadId;
  context.addIssue({ code: 'custom', message: outcome.problem, input: raw });
  return z.NEVER;
});

/** The year a date or period begins with, or NaN when it does not begin with four digits. */
const yearOf = (value: string): number => (/^\d{4}/.test(value) ? Number(value.slice(0, 4)) : NaN);

/** True for a year inside the range, or for no year at all (the format check names that). */
function inYears(year: number, first: number, last: number): boolean {
  return Number.isNaN(year) || (year >= first && year <= last);
}

/**
 * True when the number, as JSON writes it (shortest round-trip text), has at most four
 * decimals. Exponent forms (1e-7) have more; 1e21 and up are above MAX_AMOUNT anyway.
 */
export function hasAtMostFourDecimals(value: number): boolean {
  return Number.isFinite(value) && /^-?\d+(\.\d{1,4})?$/.test(String(value));
}

/** A visitor id (anonymous touchpoints before capture): random, 8–64 URL-safe characters. */
export const visitorIdSchema = z
  .string()
  .regex(VISITOR_ID_PATTERN, 'must be 8–64 letters, digits, _ or -');

/** The visitors one capture stitches: 1–20 distinct ids. */
export const visitorIdsSchema = z
  .array(visitorIdSchema)
  .min(1)
  .max(MAX_VISITOR_IDS)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat an id' });
