/**
 * Lead ids and their one canonical spelling. A lead is identified by a UUID or by the id a
 * source system gave it (`hubspot:1234`, `salesforce:00Q5e00000AbCdEAAA`), and every spelling
 * of one id must become the same string before it names a stream (`lead-<id>`), a Kafka key or
 * a ClickHouse `lead_id`: otherwise an id in another letter case captures a second lead.
 *
 * The canonical form:
 *   - UUID: hyphenated, lower-case hex (`0190D0B0-…` → `0190d0b0-…`). Any version.
 *   - `<system>:<id>`: the system name lower-case, then the system's own id:
 *       - `hubspot`: a positive integer (record ids are int64), leading zeros removed; `0`
 *         names no record.
 *       - `salesforce`: the 18-character id. Salesforce ids are case-sensitive in their
 *         15-character form; the 18-character form adds three characters that encode the case
 *         of the fifteen, so it names the record in any letter case. A 15-character id gets its
 *         suffix computed; an 18-character one, in whatever case, has the case of its first
 *         fifteen characters restored from its suffix (upper-case suffix); if those fifteen hold both
 *         upper and lower case, their case is Salesforce's and the suffix must be its checksum,
 *         else the id is refused. The 15- and
 *         18-character forms of one record are thus one lead. The key prefix `000` (the
 *         empty key, `000000000000000AAA`) names no record.
 *       - any other system (`[a-z][a-z0-9-]*`, for imports mapped by hand): its id is kept as
 *         given, case included, since Tandem cannot know that system's rules, except an id
 *         of zeros only (`0`, a nil GUID), which no system gives a record.
 *   The nil and max UUIDs are refused too: placeholders, never a lead's id.
 * Surrounding whitespace is ignored, but not U+FEFF, which JavaScript's trim() takes for a
 * space: an id sent as `\uFEFFhubspot:1` differs from `hubspot:1` by an invisible character,
 * and is refused as a label holding one is (ADR 0010's addendum; a byte order mark opening a
 * whole file is stripped by the file's reader before). Anything else is refused with
 * InvalidLeadIdError naming the problem. Pure: no I/O, so the API, the import and tests all canonicalise alike.
 */
import { DomainError } from '../errors';
import { hiddenCharacterMessage } from '../text';

/** A lead id that cannot be canonicalised; `problem` says why, for a 400 naming the field. */
export class InvalidLeadIdError extends DomainError {
  readonly code = 'invalid_lead_id';
  constructor(
    readonly raw: string,
    readonly problem: string,
  ) {
    super(`lead id ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} ${problem}`);
  }
}

export type LeadIdOutcome =
  { readonly ok: true; readonly leadId: string } | { readonly ok: false; readonly problem: string };

/** Longest raw id considered: far above any real one, and under the store's stream-id limit. */
export const MAX_LEAD_ID_LENGTH = 200;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const systemPattern = /^[a-z][a-z0-9-]{0,31}$/;
// URL-path safe without escaping, so `/leads/<id>/…` is the id itself.
const foreignIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_INT64 = 2n ** 63n - 1n;
// RFC 9562's nil and max UUIDs: what a system writes where it has no id.
const placeholderUuidPattern = /^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;
// Zeros alone (`0`, `000`, `00000000-0000-…`): "no record" in every system's numbering.
const zeroIdPattern = /^0[0._-]*$/;
const SALESFORCE_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const salesforceIdPattern = /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/;

const refused = (problem: string): LeadIdOutcome => ({ ok: false, problem });

/** The canonical form of `raw`, or the problem with it; never throws. */
export function parseLeadId(raw: unknown): LeadIdOutcome {
  if (typeof raw !== 'string') return refused('must be a string');
  if (raw.includes('\uFEFF')) return refused(hiddenCharacterMessage('U+FEFF'));
  const id = raw.trim();
  if (id === '') return refused('must not be empty');
  if (id.length > MAX_LEAD_ID_LENGTH) {
    return refused(`must be at most ${MAX_LEAD_ID_LENGTH} characters`);
  }
  if (uuidPattern.test(id)) {
    return placeholderUuidPattern.test(id)
      ? refused('is the nil or max UUID, a placeholder that names no lead')
      : { ok: true, leadId: id.toLowerCase() };
  }
  const colon = id.indexOf(':');
  if (colon < 0) {
    return refused(
      'must be a UUID or <system>:<id> (e.g. hubspot:1234, salesforce:00Q5e00000AbCdE)',
    );
  }
  const system = id.slice(0, colon).toLowerCase();
  const foreign = id.slice(colon + 1);
  if (!systemPattern.test(system)) {
    return refused('has a system name that is not a letter followed by letters, digits or -');
  }
  const canonical = canonicalForeignId(system, foreign);
  return canonical.ok ? { ok: true, leadId: `${system}:${canonical.leadId}` } : canonical;
}

/** The canonical form of `raw`; throws InvalidLeadIdError naming the problem. */
export function canonicalLeadId(raw: string): string {
  const outcome = parseLeadId(raw);
  if (!outcome.ok) throw new InvalidLeadIdError(String(raw), outcome.problem);
  return outcome.leadId;
}

function canonicalForeignId(system: string, id: string): LeadIdOutcome {
  switch (system) {
    case 'hubspot':
      return hubspotId(id);
    case 'salesforce':
      return salesforceId(id);
    default:
      if (!foreignIdPattern.test(id)) {
        return refused(
          `has a ${system} id that is not 1–128 letters, digits, '.', '_' or '-' (starting with a letter or digit)`,
        );
      }
      return zeroIdPattern.test(id)
        ? refused(`has a ${system} id of zeros only, which names no record`)
        : { ok: true, leadId: id };
  }
}

function hubspotId(id: string): LeadIdOutcome {
  if (!/^\d{1,40}$/.test(id)) return refused('has a hubspot id that is not a number');
  const value = BigInt(id);
  if (value === 0n || value > MAX_INT64) {
    return refused('has a hubspot id outside 1..9223372036854775807');
  }
  return { ok: true, leadId: value.toString() };
}

/**
 * A Salesforce record id (any object: lead, opportunity, user) in its 18-character form, as
 * `salesforce:<id>` canonicalises it: the import joins its exports on these, and one record may
 * be written in either form in each of them.
 */
export function salesforceId(id: string): LeadIdOutcome {
  if (!salesforceIdPattern.test(id)) {
    return refused('has a salesforce id that is not 15 or 18 letters and digits');
  }
  // An id's first three characters name its object (00Q a lead, 003 a contact); 000 is
  // Salesforce's empty key (`000000000000000AAA`), which stands where no record is.
  if (id.startsWith('000')) {
    return refused("has a salesforce id with the key prefix 000, Salesforce's empty key");
  }
  if (id.length === 15) return { ok: true, leadId: id + salesforceSuffix(id) };
  // Both cases in the fifteen: their case is as Salesforce gave it, and the suffix must be its
  // checksum. In one case only, a tool may have changed it, and the suffix says what it was.
  const fifteen = id.slice(0, 15);
  if (
    /[a-z]/.test(fifteen) &&
    /[A-Z]/.test(fifteen) &&
    salesforceSuffix(fifteen) !== id.slice(15).toUpperCase()
  ) {
    return refused(
      `has an 18-character salesforce id whose last three characters do not match: ${fifteen} has the checksum ${salesforceSuffix(fifteen)}`,
    );
  }
  const restored = restoreSalesforceCase(id.slice(0, 15), id.slice(15).toUpperCase());
  if (restored === null) {
    return refused('has an 18-character salesforce id whose last three characters do not match');
  }
  return { ok: true, leadId: restored + salesforceSuffix(restored) };
}

/** Salesforce's checksum: per block of five characters, a bit per upper-case letter. */
export function salesforceSuffix(id15: string): string {
  let suffix = '';
  for (let block = 0; block < 3; block++) {
    let flags = 0;
    for (let bit = 0; bit < 5; bit++) {
      const char = id15.charAt(block * 5 + bit);
      if (char >= 'A' && char <= 'Z') flags |= 1 << bit;
    }
    suffix += SALESFORCE_SUFFIX_ALPHABET.charAt(flags);
  }
  return suffix;
}

/** The fifteen characters in the case the suffix encodes; null if the suffix cannot be theirs. */
function restoreSalesforceCase(id15: string, suffix: string): string | null {
  let restored = '';
  for (let block = 0; block < 3; block++) {
    const flags = SALESFORCE_SUFFIX_ALPHABET.indexOf(suffix.charAt(block));
    if (flags < 0) return null;
    for (let bit = 0; bit < 5; bit++) {
      const char = id15.charAt(block * 5 + bit);
      const upper = (flags & (1 << bit)) !== 0;
      const isLetter = /[A-Za-z]/.test(char);
      // A digit has no case: a suffix bit set on it was not computed from this id.
      if (!isLetter && upper) return null;
      restored += isLetter ? (upper ? char.toUpperCase() : char.toLowerCase()) : char;
    }
  }
  return restored;
}
