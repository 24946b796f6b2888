import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeEnvelopeJson, encodeForStore } from './envelope.codec';
import { knownEventTypes, schemaVersionsOf } from './event-schemas';
import { INDEX_FILE, renderSchemaFiles } from './generate-schemas.main';
import { eventJsonSchemas, type JsonSchema } from './json-schemas';
import { toEnvelopeJson } from './kafka-message.codec';

const SCHEMA_DIR = path.join(__dirname, '..', 'schemas');
const REGENERATE = 'run `npm run contracts:schemas` and commit libs/contracts/schemas';

/**
 * The subset of JSON Schema the generated files use (type, const, enum, anyOf,
 * properties/required, items, string and number bounds, patterns): enough to prove a
 * consumer in another language would accept and reject what the decoder does.
 */
function violations(schema: JsonSchema, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  const types = schema.type === undefined ? [] : [schema.type as string | string[]].flat();
  const typeOk = (type: string) =>
    type === 'null'
      ? value === null
      : type === 'integer'
        ? Number.isInteger(value)
        : type === 'array'
          ? Array.isArray(value)
          : type === 'object'
            ? typeof value === 'object' && value !== null && !Array.isArray(value)
            : typeof value === type;
  if (types.length > 0 && !types.some(typeOk)) return [`${at}: expected ${types.join(' | ')}`];
  if ('const' in schema && value !== schema.const) out.push(`${at}: expected the constant`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push(`${at}: not in enum`);
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as JsonSchema[];
    if (!branches.some((branch) => violations(branch, value, at).length === 0)) {
      out.push(`${at}: matches no anyOf branch`);
    }
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) {
      out.push(`${at}: too short`);
    }
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
      out.push(`${at}: does not match its pattern`);
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${at}: too small`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
      out.push(`${at}: too small`);
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in record)) out.push(`${at}.${key}: required`);
    }
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, sub] of Object.entries(properties)) {
      if (key in record) out.push(...violations(sub, record[key], `${at}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      out.push(...violations(schema.items as JsonSchema, item, `${at}[${i}]`)),
    );
  }
  return out;
}

/** An envelope as JSON, with the parts the cases below break. */
type Wire = Record<string, unknown> & {
  data: Record<string, unknown>;
  actor: Record<string, unknown>;
};

function handedToSales(): Wire {
  const stored = encodeForStore(
    {
      type: 'LeadHandedToSales',
      data: { owner: 'lena', team: 'emea', slaDueAt: '2026-03-02T09:00:00.000Z', rulesVersion: 1 },
    },
    {
      eventId: 'evt-1',
      leadId: 'lead-1',
      accountId: null,
      occurredAt: '2026-03-01T09:00:00.000Z',
      correlationId: 'corr-1',
      causationId: null,
      actor: { kind: 'service', id: 'router', role: 'system' },
    },
  );
  return toEnvelopeJson({
    ...stored,
    streamId: 'lead-lead-1',
    streamRevision: 4n,
    globalPosition: 1234n,
    recordedAt: new Date('2026-03-01T09:00:00.010Z'),
  }) as Wire;
}

const schemaOf = (type: string): JsonSchema => {
  const found = eventJsonSchemas().find((entry) => entry.type === type);
  if (!found) throw new Error(`no schema for ${type}`);
  return found.schema;
};

describe('committed JSON Schemas (libs/contracts/schemas)', () => {
  it('equal freshly generated output, byte for byte', async () => {
    const fresh = await renderSchemaFiles();
    for (const [file, content] of fresh) {
      let committed: string;
      try {
        committed = readFileSync(path.join(SCHEMA_DIR, file), 'utf8');
      } catch {
        throw new Error(`${file} is missing: ${REGENERATE}`);
      }
      if (committed !== content) throw new Error(`${file} is stale: ${REGENERATE}`);
    }
  });

  it('hold nothing but the index and schemas of known types (older versions stay)', async () => {
    const fresh = await renderSchemaFiles();
    const unexpected = readdirSync(SCHEMA_DIR).filter((file) => {
      if (file === INDEX_FILE || fresh.has(file)) return false;
      const match = /^(\w+)\.v(\d+)\.schema\.json$/.exec(file);
      return !match || !(knownEventTypes as string[]).includes(match[1] ?? '');
    });
    expect(unexpected).toEqual([]);
  });

  it('are deterministic: one schema per event type and version, same output on every call', () => {
    const first = eventJsonSchemas();
    expect(first.map((entry) => `${entry.type}.v${entry.schemaVersion}`)).toEqual(
      [...knownEventTypes]
        .sort()
        .flatMap((type) => schemaVersionsOf(type).map((version) => `${type}.v${version}`)),
    );
    // The first v2: LeadCaptured's older version is still generated, beside the current one.
    expect(first.filter((entry) => entry.type === 'LeadCaptured').map((e) => e.file)).toEqual([
      'LeadCaptured.v1.schema.json',
      'LeadCaptured.v2.schema.json',
    ]);
    expect(JSON.stringify(eventJsonSchemas())).toBe(JSON.stringify(first));
    for (const { schema } of first) {
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    }
  });
});

describe('a schema and the TypeScript decoder agree', () => {
  const schema = schemaOf('LeadHandedToSales');

  it('given a valid envelope, both accept it', () => {
    const envelope = handedToSales();
    expect(violations(schema, envelope)).toEqual([]);
    expect(decodeEnvelopeJson(envelope).ok).toBe(true);
  });

  it.each([
    ['a missing owner', (e: Wire) => delete e.data.owner, '$.data.owner: required'],
    ['a numeric slaDueAt', (e: Wire) => (e.data.slaDueAt = 1), '$.data.slaDueAt: expected string'],
    ['a malformed slaDueAt', (e: Wire) => (e.data.slaDueAt = 'soon'), 'does not match'],
    [
      'another type',
      (e: Wire) => (e.type = 'LeadAcceptedBySales'),
      '$.type: expected the constant',
    ],
    ['a missing eventId', (e: Wire) => delete e.eventId, '$.eventId: required'],
    ['an unknown role', (e: Wire) => (e.actor.role = 'ceo'), '$.actor.role: not in enum'],
    ['a negative revision', (e: Wire) => (e.streamRevision = -1), '$.streamRevision: too small'],
  ])('given %s, both reject it', (_what, breakIt, expected) => {
    const envelope = handedToSales();
    breakIt(envelope);
    expect(violations(schema, envelope).join('\n')).toContain(expected);
    expect(decodeEnvelopeJson(envelope).ok).toBe(false);
  });

  it('given an unknown extra field, both accept it (adding a field is not breaking)', () => {
    const envelope = { ...handedToSales(), addedLater: true };
    expect(violations(schema, envelope)).toEqual([]);
    expect(decodeEnvelopeJson(envelope).ok).toBe(true);
  });
});
