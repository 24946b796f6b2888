/**
 * Builds the SQL that turns recorded events, staged as the store holds them (JSON text), into
 * lead_events rows inside ClickHouse: the set-based twin of decodeStoredEvent + toLeadEventRow,
 * for catching up on a large history at the engines' speed (ADR 0006).
 *
 * Two parts per event type, both derived from one field list that mirrors the contract's zod
 * schema (libs/contracts event-schemas.ts; a unit spec checks the field names agree):
 *   - `fast`: true only when the event is certainly what the TypeScript path would accept, and
 *     its row is certainly what that path would write. It is conservative on purpose: anything
 *     it cannot vouch for (another schema version, a timestamp not in toISOString form, a string
 *     needing an escape JSON.stringify and ClickHouse write differently, an untrimmed text...)
 *     is false, and the event goes through the TypeScript path instead. Never the other way.
 *   - `data`: the allow-listed payload as JSON text, byte for byte what
 *     JSON.stringify(analyticsData(...)) writes for such an event.
 * The SQL is generated from constants only (never from event content or caller input) and is
 * committed as sql/projection/lead-events-from-staging.sql, so a change is a reviewable diff.
 */
import {
  type leadEventTypes,
  MAX_VISITOR_IDS,
  roles,
  salesEntryPaths,
  touchpointKinds,
  VISITOR_ID_PATTERN,
} from '@tandem/domain';

/** How the contract constrains one field, as far as the fast path needs to know. */
type FieldKind =
  | { readonly kind: 'text' } // z.string().trim().min(1).max(500)
  | { readonly kind: 'string'; readonly max?: number } // z.string() (.max(n))
  | { readonly kind: 'number' } // z.number()
  | { readonly kind: 'amount' } // amountSchema: 0..1e12, at most four decimals
  | { readonly kind: 'positiveInt' } // z.number().int().positive()
  | { readonly kind: 'count'; readonly max: number } // z.number().int().nonnegative().max(n)
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'pattern'; readonly re2: string } // z.string().regex(...)
  | { readonly kind: 'email' }
  | { readonly kind: 'isoTime' } // z.iso.datetime({ offset: true })
  | { readonly kind: 'textArray' }
  | { readonly kind: 'stringArray' }
  // 1..max distinct strings matching re2 (visitorIdsSchema); the pattern needs no JSON escapes
  | { readonly kind: 'idArray'; readonly re2: string; readonly max: number }
  | { readonly kind: 'object'; readonly fields: Fields }
  // personal(...): the plain kind, or a sealed value `{"$pii":"v1:<base64>"}` (sealedValueSchema)
  | { readonly kind: 'personal'; readonly plain: FieldKind }
  // A field the fast path does not vouch for: every event of its type takes the TypeScript path
  // (DuplicateMergedIn's list of touch objects; merges are rare).
  | { readonly kind: 'unvouched' };

type Presence = 'required' | 'optional' | 'nullable';
interface Field {
  readonly type: FieldKind;
  readonly presence: Presence;
}
type Fields = Readonly<Record<string, Field>>;

const req = (type: FieldKind): Field => ({ type, presence: 'required' });
const opt = (type: FieldKind): Field => ({ type, presence: 'optional' });
const nul = (type: FieldKind): Field => ({ type, presence: 'nullable' });
const text: FieldKind = { kind: 'text' };
const amount: FieldKind = { kind: 'amount' };
const positiveInt: FieldKind = { kind: 'positiveInt' };
const currency: FieldKind = { kind: 'pattern', re2: '^[A-Z]{3}$' };
const country: FieldKind = { kind: 'pattern', re2: '^[A-Z]{2}$' };
const note: FieldKind = { kind: 'string', max: 4000 };
const personal = (plain: FieldKind): FieldKind => ({ kind: 'personal', plain });

/** The contract of every lead event's payload (event-schemas.ts), field by field. */
export const leadEventFields = {
  LeadCaptured: {
    contact: req({
      kind: 'object',
      fields: {
        name: req(personal(text)),
        email: req(personal({ kind: 'email' })),
        phone: opt(personal({ kind: 'string', max: 40 })),
      },
    }),
    company: req({
      kind: 'object',
      fields: {
        name: req(personal(text)),
        industry: opt(text),
        size: opt({ kind: 'count', max: 10_000_000 }),
        country: opt(country),
      },
    }),
    source: req({
      kind: 'object',
      fields: {
        channel: req(text),
        campaign: opt(text),
        medium: opt(text),
        // personal from v2 on; v1's plain text is what personal(text) accepts unsealed
        content: opt(personal(text)),
      },
    }),
    productInterest: nul(text),
    timeframe: nul(text),
    consent: req({ kind: 'object', fields: { marketing: req({ kind: 'bool' }) } }),
    visitorIds: opt({ kind: 'idArray', re2: VISITOR_ID_PATTERN.source, max: MAX_VISITOR_IDS }),
  },
  TouchpointRecorded: {
    touchpointId: req(text),
    kind: req({ kind: 'enum', values: touchpointKinds }),
    channel: req(text),
    campaign: nul(text),
    content: nul(personal(text)),
  },
  LeadProfiled: {
    industry: nul(text),
    companySize: nul({ kind: 'count', max: 10_000_000 }),
    country: nul(country),
    role: nul(text),
    budget: nul({ kind: 'object', fields: { amount: req(amount), currency: req(currency) } }),
    timeline: nul(text),
  },
  LeadQualifiedAsMql: {
    rulesVersion: req(positiveInt),
    fitScore: req({ kind: 'number' }),
    intentScore: req({ kind: 'number' }),
    score: req({ kind: 'number' }),
    threshold: req({ kind: 'number' }),
    reasons: req({ kind: 'stringArray' }),
  },
  LeadHandedToSales: {
    owner: req(text),
    team: nul(text),
    slaDueAt: req({ kind: 'isoTime' }),
    rulesVersion: req(positiveInt),
    path: opt({ kind: 'enum', values: salesEntryPaths }),
    salesSource: opt(text),
  },
  LeadAcceptedBySales: { owner: req({ kind: 'string' }), note: nul(personal(note)) },
  LeadRejectedBySales: {
    owner: req({ kind: 'string' }),
    reason: req(text),
    note: nul(personal(note)),
  },
  LeadQualifiedAsSql: { criteriaMet: req({ kind: 'textArray' }), rulesVersion: req(positiveInt) },
  OpportunityOpened: {
    opportunityId: req(text),
    stage: req(text),
    amount: req(amount),
    currency: req(currency),
  },
  OpportunityStageChanged: {
    opportunityId: req(text),
    from: req(text),
    to: req(text),
    amount: req(amount),
  },
  DealWon: { opportunityId: req(text), amount: req(amount), currency: req(currency) },
  DealLost: { opportunityId: req(text), reason: req(text), note: nul(personal(note)) },
  LeadRecycled: { from: req(text), reason: req(personal(text)) },
  LeadMerged: { intoLeadId: req(text) },
  DuplicateMergedIn: { mergedLeadId: req(text), touchpoints: req({ kind: 'unvouched' }) },
  LeadErased: { reason: req(text) },
} as const satisfies Record<(typeof leadEventTypes)[number], Fields>;

type LeadType = keyof typeof leadEventFields;

// ---------------------------------------------------------------------------------------------
// SQL pieces. Each document is parsed once per row: the inner query of stagedRows() turns
// `data`, `metadata` and every nested object the contract has into Map(key -> raw JSON value)
// (JSONExtractKeysAndValuesRaw); checks and values then read the maps, and only a string
// value is parsed again (a tiny JSON document of its own). `path` is a list of keys below the
// column; keys are constants here.

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** The alias of the map holding the object at `path` of `column`. */
const mapAlias = (column: string, path: readonly string[]): string =>
  [column === 'data' ? 'd_' : 'm_', ...path].join('_');
const parentMap = (column: string, path: readonly string[]) => mapAlias(column, path.slice(0, -1));
const last = (path: readonly string[]) => quote(path[path.length - 1] ?? '');
/** The raw JSON text of the value at `path` ('' when the key is absent). */
const raw = (column: string, path: readonly string[]) =>
  `${parentMap(column, path)}[${last(path)}]`;
const jsonHas = (column: string, path: readonly string[]) =>
  `mapContains(${parentMap(column, path)}, ${last(path)})`;
type JsonType = 'String' | 'Object' | 'Array' | 'Bool' | 'Null' | 'Missing' | 'Int64' | 'Double';
/**
 * Whether the value at `path` is of one of `types` (JSONType's names, 'Missing' for an absent
 * key), read off the raw text: a string starts with `"`, an object with `{`, an array with `[`;
 * `true`/`false`, `null` and '' (absent) are themselves; an integer matches `^-?[0-9]+$`, and
 * anything else is a Double. Each name is one test of its own rather than a comparison with a
 * multiIf over all of them: the tests are disjoint, so it is the same predicate, and ClickHouse
 * evaluates a plain comparison far more cheaply than a lazily evaluated multiIf per field.
 */
function jsonTypeIs(column: string, path: readonly string[], ...types: JsonType[]): string {
  const r = raw(column, path);
  const test: Record<Exclude<JsonType, 'Double'>, string> = {
    String: `startsWith(${r}, '"')`,
    Object: `startsWith(${r}, '{')`,
    Array: `startsWith(${r}, '[')`,
    Bool: `${r} IN ('true', 'false')`,
    Null: `${r} = 'null'`,
    Missing: `${r} = ''`,
    Int64: `match(${r}, '^-?[0-9]+$')`,
  };
  if (types.includes('Double')) {
    // Double is what none of the others is: Int64 or Double together is "none but the integer".
    const others = (Object.keys(test) as (keyof typeof test)[]).filter(
      (type) => type !== 'Int64' && !types.includes(type),
    );
    const excluded = others.map((type) => test[type]).join(' OR ');
    return types.includes('Int64') ? `NOT (${excluded})` : `NOT (${excluded} OR ${test.Int64})`;
  }
  const tests = types.map((type) => test[type as keyof typeof test]);
  return tests.length === 1 ? (tests[0] ?? 'false') : `(${tests.join(' OR ')})`;
}
const jsonString = (column: string, path: readonly string[]) =>
  `JSONExtractString(${raw(column, path)})`;

/** Every object path the contract nests, per column: each gets its own map. */
function objectPaths(fields: Fields, path: readonly string[] = []): string[][] {
  return Object.entries(fields).flatMap(([name, field]) =>
    field.type.kind === 'object'
      ? [[...path, name], ...objectPaths(field.type.fields, [...path, name])]
      : [],
  );
}

// JavaScript's String#trim removes these; RE2 character class of the same set.
const JS_WHITESPACE =
  '[\\\\t\\\\n\\\\x{0B}\\\\f\\\\r \\\\x{A0}\\\\x{1680}\\\\x{2000}-\\\\x{200A}\\\\x{2028}\\\\x{2029}\\\\x{202F}\\\\x{205F}\\\\x{3000}\\\\x{FEFF}]';

/** A string value the contract's `text` accepts and does not change: trimmed, 1–500 long. */
function textCheck(value: string): string {
  // Bytes bound UTF-16 length from above, so `length(...) <= 500` is never looser than .max(500).
  return `(length(${value}) BETWEEN 1 AND 500 AND NOT match(${value}, '^${JS_WHITESPACE}|${JS_WHITESPACE}$'))`;
}

// A subset of zod's e-mail pattern: dot-separated local atoms, dotted domain labels, a TLD.
const EMAIL_RE2 =
  '^[A-Za-z0-9_+-]+(\\\\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9][A-Za-z0-9-]*\\\\.)+[A-Za-z]{2,}$';
const SEALED_RE2 = '^\\\\{\\\\s*"\\\\$pii"\\\\s*:\\\\s*"v1:[A-Za-z0-9+/]+={0,2}"\\\\s*\\\\}$';
const ISO_UTC_RE2 = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{3}Z$';

/** A timestamp in toISOString form naming a real instant (the calendar checked by round trip). */
function isoCheck(value: string): string {
  return (
    `(match(${value}, '${ISO_UTC_RE2}') AND ` +
    `toString(parseDateTime64BestEffortOrNull(${value}, 3, 'UTC')) = concat(substring(${value}, 1, 10), ' ', substring(${value}, 12, 12)))`
  );
}

function valueCheck(type: FieldKind, column: string, path: readonly string[]): string {
  const is = (...types: JsonType[]) => jsonTypeIs(column, path, ...types);
  const s = jsonString(column, path);
  switch (type.kind) {
    case 'text':
      return `(${is('String')} AND ${textCheck(s)})`;
    case 'string':
      return type.max === undefined
        ? is('String')
        : `(${is('String')} AND length(${s}) <= ${type.max})`;
    case 'number':
      // The payload copies the number as ClickHouse's JSON parser re-writes it, which is what
      // JSON.stringify writes (shortest round trip: 1e-7, 0.30000000000000004) except from
      // 1e21 up, where JavaScript writes 1e+21 and ClickHouse 1e21: those go the TypeScript way.
      return `(${is('Int64', 'Double')} AND abs(toFloat64OrNull(${raw(column, path)})) < 1e21)`;
    case 'amount':
      // Plain digits with at most four decimals (amountSchema); an exponent form is not vouched
      // for and goes the TypeScript way.
      return `(${is('Int64', 'Double')} AND match(${raw(column, path)}, '^[0-9]{1,13}(\\\\.[0-9]{1,4})?$') AND toFloat64OrNull(${raw(column, path)}) BETWEEN 0 AND 1e12)`;
    case 'positiveInt':
      // zod's .int() means a safe integer.
      return `(${is('Int64')} AND toInt64OrNull(${raw(column, path)}) BETWEEN 1 AND 9007199254740991)`;
    case 'count':
      return `(${is('Int64')} AND toInt64OrNull(${raw(column, path)}) BETWEEN 0 AND ${type.max})`;
    case 'bool':
      return is('Bool');
    case 'enum':
      return `(${is('String')} AND ${s} IN (${type.values.map(quote).join(', ')}))`;
    case 'pattern':
      return `(${is('String')} AND match(${s}, '${type.re2}'))`;
    case 'email':
      return `(${is('String')} AND length(${s}) <= 320 AND match(${s}, '${EMAIL_RE2}'))`;
    case 'isoTime':
      return `(${is('String')} AND ${isoCheck(s)})`;
    case 'textArray':
    case 'stringArray': {
      const items = `JSONExtractArrayRaw(${raw(column, path)})`;
      const element =
        type.kind === 'textArray'
          ? `startsWith(x, '"') AND ${textCheck('JSONExtractString(x)')}`
          : `startsWith(x, '"')`;
      return `(${is('Array')} AND arrayAll(x -> ${element}, ${items}))`;
    }
    case 'idArray': {
      const items = `JSONExtractArrayRaw(${raw(column, path)})`;
      return `(${is('Array')} AND length(${items}) BETWEEN 1 AND ${type.max} AND length(arrayDistinct(${items})) = length(${items}) AND arrayAll(x -> startsWith(x, '"') AND match(JSONExtractString(x), '${type.re2}'), ${items}))`;
    }
    case 'object':
      return `(${is('Object')} AND ${fieldsCheck(type.fields, column, path)})`;
    case 'unvouched':
      return 'false';
    case 'personal':
      // Sealed: exactly one key, `$pii`, holding `v1:` and base64 (whitespace as jsonb::text
      // or JSON.stringify writes it). The value itself is never copied, only checked.
      return `(${valueCheck(type.plain, column, path)} OR (${is('Object')} AND match(${raw(column, path)}, '${SEALED_RE2}')))`;
  }
}

function fieldCheck(field: Field, column: string, path: readonly string[]): string {
  const has = jsonHas(column, path);
  const check = valueCheck(field.type, column, path);
  switch (field.presence) {
    case 'required':
      return check;
    case 'optional':
      return `(NOT ${has} OR ${check})`;
    case 'nullable':
      return `(${has} AND (${jsonTypeIs(column, path, 'Null')} OR ${check}))`;
  }
}

function fieldsCheck(fields: Fields, column: string, path: readonly string[]): string {
  return Object.entries(fields)
    .map(([name, field]) => fieldCheck(field, column, [...path, name]))
    .join(' AND ');
}

// ---------------------------------------------------------------------------------------------
// The analytics payload (analyticsData in lead-event.row.ts) as JSON text.

type Out = (column: string) => string;
const str: (path: readonly string[]) => Out = (path) => (c) =>
  `toJSONString(${jsonString(c, path)})`;
const num: (path: readonly string[]) => Out = (path) => (c) => raw(c, path);
const orNull =
  (path: readonly string[], value: Out): Out =>
  (c) =>
    `if(NOT ${jsonHas(c, path)} OR ${jsonTypeIs(c, path, 'Null')}, 'null', ${value(c)})`;
const bool: (path: readonly string[]) => Out = (path) => (c) =>
  `if(${raw(c, path)} = 'true', 'true', 'false')`;
const lit =
  (json: string): Out =>
  () =>
    quote(json);
const stringArray: (path: readonly string[]) => Out = (path) => (c) =>
  `concat('[', arrayStringConcat(arrayMap(x -> toJSONString(x), JSONExtract(${raw(c, path)}, 'Array(String)')), ','), ']')`;
/** An entry of object(): key and value, and for an optional key the test of its presence. */
type Entry = readonly [string, Out] | readonly [string, Out, Out];
const object =
  (entries: readonly Entry[]): Out =>
  (c) => {
    if (entries.length === 0) return quote('{}');
    const parts = entries.flatMap(([key, value, present], i) => {
      const prefix = quote(`${i === 0 ? '{' : ','}${JSON.stringify(key)}:`);
      return present === undefined
        ? [prefix, value(c)]
        : [`if(${present(c)}, concat(${prefix}, ${value(c)}), '')`];
    });
    return `concat(${[...parts, quote('}')].join(', ')})`;
  };
const s = (...path: string[]) => str(path);
/**
 * A key written only when the event has it (`...(x === undefined ? {} : { x })` in
 * analyticsData), as the object's last entry: object() writes the comma and key inside the
 * condition, so an absent key leaves the JSON exactly as before the field existed.
 */
const optionalLast = (key: string, value: Out): Entry => [key, value, (c) => jsonHas(c, [key])];
const sn = (...path: string[]) => orNull(path, str(path));
const n = (...path: string[]) => num(path);
const nn = (...path: string[]) => orNull(path, num(path));
/** A string that an absent (or null) field reads as `fallback`, as `?? fallback` does. */
const sd =
  (fallback: string, ...path: string[]): Out =>
  (c) =>
    `if(NOT ${jsonHas(c, path)} OR ${jsonTypeIs(c, path, 'Null')}, ${quote(JSON.stringify(fallback))}, ${str(path)(c)})`;

/** Per lead event type, analyticsData's object, key order and all. */
const analyticsJson: Record<LeadType, Out> = {
  LeadCaptured: object([
    // Valid contacts always have a name and an e-mail (text and email are non-empty).
    ['contactGiven', lit('{"name":true,"email":true}')],
    [
      'company',
      object([
        ['industry', sn('company', 'industry')],
        ['size', nn('company', 'size')],
        ['country', sn('company', 'country')],
      ]),
    ],
    [
      'source',
      object([
        ['channel', s('source', 'channel')],
        ['campaign', sn('source', 'campaign')],
        ['medium', sn('source', 'medium')],
      ]),
    ],
    ['productInterest', sn('productInterest')],
    ['timeframe', sn('timeframe')],
    ['consent', object([['marketing', bool(['consent', 'marketing'])]])],
    optionalLast('visitorIds', stringArray(['visitorIds'])),
  ]),
  TouchpointRecorded: object([
    ['touchpointId', s('touchpointId')],
    ['kind', s('kind')],
    ['channel', s('channel')],
    ['campaign', sn('campaign')],
  ]),
  LeadProfiled: object([
    ['industry', sn('industry')],
    ['companySize', nn('companySize')],
    ['country', sn('country')],
    ['role', sn('role')],
    [
      'budget',
      orNull(
        ['budget'],
        object([
          ['amount', n('budget', 'amount')],
          ['currency', s('budget', 'currency')],
        ]),
      ),
    ],
    ['timeline', sn('timeline')],
  ]),
  LeadQualifiedAsMql: object([
    ['rulesVersion', n('rulesVersion')],
    ['fitScore', n('fitScore')],
    ['intentScore', n('intentScore')],
    ['score', n('score')],
    ['threshold', n('threshold')],
    ['reasons', stringArray(['reasons'])],
  ]),
  LeadHandedToSales: object([
    ['owner', s('owner')],
    ['team', sn('team')],
    ['slaDueAt', s('slaDueAt')],
    ['rulesVersion', n('rulesVersion')],
    ['path', sd('marketing', 'path')],
    ['salesSource', sn('salesSource')],
  ]),
  LeadAcceptedBySales: object([['owner', s('owner')]]),
  LeadRejectedBySales: object([
    ['owner', s('owner')],
    ['reason', s('reason')],
  ]),
  LeadQualifiedAsSql: object([
    ['criteriaMet', stringArray(['criteriaMet'])],
    ['rulesVersion', n('rulesVersion')],
  ]),
  OpportunityOpened: object([
    ['opportunityId', s('opportunityId')],
    ['stage', s('stage')],
    ['amount', n('amount')],
    ['currency', s('currency')],
  ]),
  OpportunityStageChanged: object([
    ['opportunityId', s('opportunityId')],
    ['from', s('from')],
    ['to', s('to')],
    ['amount', n('amount')],
  ]),
  DealWon: object([
    ['opportunityId', s('opportunityId')],
    ['amount', n('amount')],
    ['currency', s('currency')],
  ]),
  DealLost: object([
    ['opportunityId', s('opportunityId')],
    ['reason', s('reason')],
  ]),
  LeadRecycled: object([['from', s('from')]]),
  LeadMerged: object([['intoLeadId', s('intoLeadId')]]),
  // Never reached (its check is false: the TypeScript path writes it); analyticsData's shape.
  DuplicateMergedIn: object([
    ['mergedLeadId', s('mergedLeadId')],
    ['touchpoints', (c) => `toString(length(JSONExtractArrayRaw(${raw(c, ['touchpoints'])})))`],
  ]),
  LeadErased: object([]),
};

const metadataFields: Fields = {
  leadId: req({ kind: 'string' }),
  accountId: nul({ kind: 'string' }),
  occurredAt: req({ kind: 'isoTime' }),
  correlationId: req({ kind: 'string' }),
  causationId: nul({ kind: 'string' }),
  actor: req({
    kind: 'object',
    fields: {
      kind: req({ kind: 'enum', values: ['user', 'system', 'service'] }),
      id: req({ kind: 'string' }),
      role: req({ kind: 'enum', values: roles }),
    },
  }),
};

const types = Object.keys(leadEventFields) as LeadType[];

/**
 * The current schema version of each lead event type above 1 (the contract's
 * currentSchemaVersions; a unit spec checks they agree). The field list above is the current
 * version's, and each older version's payload must be one it accepts unchanged (its upcaster
 * the identity: LeadCaptured v1's plain `source.content` is an unsealed personal value);
 * a version whose upcaster changes the payload must be left to the TypeScript path instead.
 */
export const leadEventSchemaVersions: Readonly<Partial<Record<LeadType, number>>> = {
  LeadCaptured: 2,
};

/** The current schema version of the row's event type, as SQL. */
function currentVersionSql(): string {
  const above1 = types.filter((type) => (leadEventSchemaVersions[type] ?? 1) > 1);
  return `multiIf(${above1
    .map((type) => `event_type = ${quote(type)}, ${leadEventSchemaVersions[type]}`)
    .join(', ')}, 1)`;
}

/** The SELECT-list of maps: one per document and per nested object of any lead event type. */
function objectMaps(): string {
  const dataPaths = new Map<string, string[]>();
  for (const type of types) {
    for (const path of objectPaths(leadEventFields[type])) dataPaths.set(path.join('.'), path);
  }
  const map = (column: string, path: readonly string[]) => {
    const source = path.length === 0 ? column : raw(column, path);
    return `CAST(JSONExtractKeysAndValuesRaw(${source}), 'Map(String, String)') AS ${mapAlias(column, path)}`;
  };
  return [
    map('data', []),
    ...[...dataPaths.values()].map((path) => map('data', path)),
    map('metadata', []),
    ...objectPaths(metadataFields).map((path) => map('metadata', path)),
  ].join(',\n        ');
}

/** True for an event the fast path vouches for (see the module header). */
function fastPathSql(): string {
  const occurred = jsonString('metadata', ['occurredAt']);
  const dataCheck = `multiIf(${types
    .map((type) => `event_type = ${quote(type)}, ${fieldsCheck(leadEventFields[type], 'data', [])}`)
    .join(',\n            ')},\n            false)`;
  // ifNull: a check that meets a value it cannot read is NULL, and NULL must mean "not
  // vouched for" (TypeScript path), never "in neither path".
  return `ifNull((
        event_type IN (${types.map(quote).join(', ')})
        AND schema_version BETWEEN 1 AND ${currentVersionSql()}
        AND stream_revision < 9007199254740992
        AND ${fieldsCheck(metadataFields, 'metadata', [])}
        AND ${jsonString('metadata', ['leadId'])} != ''
        AND ${jsonString('metadata', ['correlationId'])} != ''
        AND ${jsonString('metadata', ['actor', 'id'])} != ''
        AND toYear(parseDateTime64BestEffortOrNull(${occurred}, 3, 'UTC')) BETWEEN 1900 AND 2299
        -- escapes that JSON.stringify and ClickHouse write differently: \\b, \\f, \\uXXXX, U+2028/9
        AND NOT match(data, '\\\\\\\\[bfu]|\\\\x{2028}|\\\\x{2029}')
        AND ${dataCheck}
    ), false)`;
}

const HEADER = `-- GENERATED by libs/analytics/src/projection/bulk/log-row.sql-builder.ts (npm run sql:generate):
-- do not edit by hand; a unit spec fails when this file and the builder disagree.`;

/**
 * sql/projection/lead-events-from-staging.sql: staged events the fast path vouches for ->
 * lead_events rows. Parameters: db Identifier, staging Identifier (event_log_staging or
 * event_log_staging_b), from UInt64, to UInt64 (positions, inclusive).
 */
export function leadEventsFromStagingSql(): string {
  const dataJson = `multiIf(${types
    .map((type) => `event_type = ${quote(type)}, ${analyticsJson[type]('data')}`)
    .join(',\n            ')},\n            '')`;
  return `${HEADER}
-- Recorded events staged from the store (event_log_staging or event_log_staging_b) -> lead_events
-- rows, for the events the fast path vouches for; the projector sends the others through
-- TypeScript (stage-fallback.sql, run after this over the same range).
-- Parameters: db Identifier, staging Identifier, from UInt64, to UInt64 (inclusive). The catch-up
-- runs it as a literal statement, its values inlined by bulk-statement.ts (chDB runs bound
-- statements one at a time per process, and this one overlaps the next slice's staging).
-- Columns go by position; no alias is named like a staging column, or the WHERE below would
-- read the alias (ClickHouse lets WHERE see SELECT aliases).
-- optimize_on_insert = 0: the engines' merge of each new part with itself (ReplacingMergeTree
-- for lead_events, AggregatingMergeTree for the views on it) finds nothing to merge here (a
-- slice holds each event once, and each view's block is grouped by its key already) and cost
-- ~0.9 of ~4.1 CPU-s per 250k events; parts still merge in the background, and every reader
-- reads FINAL or aggregates, so the rows read are the same.
-- parallel_view_processing = 1: the three materialized views on lead_events (lead_state's two,
-- lead_event_summary's) fold the inserted block side by side instead of one after another;
-- without it the whole INSERT ran on one core (each view is fed the same block, and its fold
-- is the same function of it either way).
INSERT INTO {db:Identifier}.lead_events
SELECT
    event_id,
    event_type AS type,
    -- the version decodeStoredEvent lifts the event to, which the TypeScript path writes
    toUInt16(${currentVersionSql()}) AS row_schema_version,
    ${jsonString('metadata', ['leadId'])} AS lead_id,
    if(${jsonTypeIs('metadata', ['accountId'], 'String')}, ${jsonString('metadata', ['accountId'])}, NULL) AS account_id,
    stream_id,
    stream_revision,
    global_position,
    parseDateTime64BestEffort(${jsonString('metadata', ['occurredAt'])}, 3, 'UTC') AS occurred_at,
    toDateTime64(recorded_at, 3, 'UTC') AS row_recorded_at,
    ${jsonString('metadata', ['correlationId'])} AS correlation_id,
    if(${jsonTypeIs('metadata', ['causationId'], 'String')}, ${jsonString('metadata', ['causationId'])}, NULL) AS causation_id,
    ${jsonString('metadata', ['actor', 'kind'])} AS actor_kind,
    ${jsonString('metadata', ['actor', 'id'])} AS actor_id,
    ${jsonString('metadata', ['actor', 'role'])} AS actor_role,
    ${dataJson} AS row_data
FROM
(
    -- Each document parsed once: a map of raw values per object (see jsonType and raw).
    SELECT
        *,
        ${objectMaps()}
    FROM {db:Identifier}.{staging:Identifier}
    WHERE global_position BETWEEN {from:UInt64} AND {to:UInt64}
)
WHERE ${fastPathSql()}
SETTINGS output_format_json_escape_forward_slashes = 0, optimize_on_insert = 0, parallel_view_processing = 1
`;
}

/** The generated files, by path under libs/analytics/sql. */
export const generatedSqlFiles = {
  'projection/lead-events-from-staging.sql': leadEventsFromStagingSql,
} as const;
