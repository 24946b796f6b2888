import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compareSchemas, type JsonSchema, type SchemaBreak } from './schema-compat';

const CONTRACTS = path.join(__dirname, '..');
const PUBLISHED = path.join(CONTRACTS, 'published');
const CURRENT = path.join(CONTRACTS, 'schemas');

/** The snapshot of the last published version: the highest `published/<x.y.z>` directory. */
function lastPublished(): string {
  const versions = readdirSync(PUBLISHED).filter((name) => /^\d+\.\d+\.\d+$/.test(name));
  const key = (version: string) => version.split('.').map(Number);
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  const last = versions.at(-1);
  if (!last) throw new Error(`no published/<version> snapshot under ${PUBLISHED}`);
  return last;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;

/**
 * Breaks the team has reviewed and accepted for the topic (announced to consumers), as
 * `<file> <path> <rule>`. Empty: prefer a new schema version over an entry here.
 */
const acceptedBreaks: readonly string[] = [];

describe(`compatibility with the last published contract (libs/contracts/published)`, () => {
  const version = lastPublished();
  const files = readdirSync(path.join(PUBLISHED, version)).filter((f) =>
    f.endsWith('.schema.json'),
  );

  it('has a snapshot to compare with', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: still there, and no change breaks a consumer of it', (file) => {
    const previous = readJson(path.join(PUBLISHED, version, file));
    let current: JsonSchema;
    try {
      current = readJson(path.join(CURRENT, file));
    } catch {
      throw new Error(`${file} was published in ${version} and is gone: the topic still has them`);
    }
    const breaks = compareSchemas(previous, current)
      .map((b) => `${file} ${b.path} ${b.rule}: ${b.detail}`)
      .filter((line) => !acceptedBreaks.some((accepted) => line.startsWith(`${accepted}:`)));
    expect(breaks).toEqual([]);
  });
});

const rules = (breaks: SchemaBreak[]) => breaks.map((b) => `${b.path} ${b.rule}`);

describe('compareSchemas: what breaks a consumer', () => {
  const contact: JsonSchema = {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 500 },
      email: { type: 'string', format: 'email' },
      phone: { type: 'string' },
      channel: { type: 'string', enum: ['ad', 'email'] },
      size: { type: 'integer' },
    },
    required: ['name', 'email', 'channel'],
  };
  const edit = (
    change: (schema: JsonSchema & { properties: Record<string, JsonSchema> }) => void,
  ) => {
    const copy = structuredClone(contact) as JsonSchema & {
      properties: Record<string, JsonSchema>;
    };
    change(copy);
    return copy;
  };

  it('given the same schema, finds nothing', () => {
    expect(compareSchemas(contact, structuredClone(contact))).toEqual([]);
  });

  it.each<[string, (s: JsonSchema & { properties: Record<string, JsonSchema> }) => void, string]>([
    ['a removed field', (s) => delete s.properties.phone, '/phone field removed'],
    [
      'a renamed field',
      (s) => {
        s.properties.fullName = s.properties.name!;
        delete s.properties.name;
        s.required = ['fullName', 'email', 'channel'];
      },
      '/name field removed',
    ],
    [
      'a new required field',
      (s) => (s.required = [...(s.required as string[]), 'phone']),
      '/phone new required field',
    ],
    [
      'a required field made optional',
      (s) => (s.required = ['name', 'channel']),
      '/email field no longer required',
    ],
    [
      'a narrowed type',
      (s) => (s.properties.size = { type: 'integer', enum: [1] }),
      '/size constraint tightened',
    ],
    ['number → integer', (s) => (s.properties.phone = { type: 'integer' }), '/phone type narrowed'],
    [
      'a field made nullable',
      (s) => (s.properties.phone = { type: ['string', 'null'] }),
      '/phone type widened',
    ],
    ['integer → number', (s) => (s.properties.size = { type: 'number' }), '/size type widened'],
    [
      'an enum value removed',
      (s) => (s.properties.channel!.enum = ['ad']),
      '/channel enum value removed',
    ],
    [
      'a shorter maxLength',
      (s) => (s.properties.name!.maxLength = 100),
      '/name constraint tightened',
    ],
    ['a new pattern', (s) => (s.properties.phone!.pattern = '^\\+'), '/phone constraint tightened'],
    [
      'unknown fields refused',
      (s) => (s.additionalProperties = false),
      '/ unknown fields now refused',
    ],
    [
      'a value sealed in place (string → string or object)',
      (s) =>
        (s.properties.email = { anyOf: [{ type: 'string', format: 'email' }, { type: 'object' }] }),
      '/email type widened',
    ],
    [
      'a keyword the checker cannot judge',
      (s) => (s.properties.name!.contentEncoding = 'base64'),
      '/name unjudged keyword changed',
    ],
  ])('given %s, reports it', (_what, change, expected) => {
    expect(rules(compareSchemas(contact, edit(change)))).toContain(expected);
  });

  it.each<[string, (s: JsonSchema & { properties: Record<string, JsonSchema> }) => void]>([
    ['a new optional field', (s) => (s.properties.title = { type: 'string' })],
    ['a new enum value', (s) => (s.properties.channel!.enum = ['ad', 'email', 'webinar'])],
    ['a longer maxLength', (s) => (s.properties.name!.maxLength = 1000)],
    ['a dropped format', (s) => delete s.properties.email!.format],
    [
      'new annotations',
      (s) => Object.assign(s, { $id: 'urn:x', title: 'Contact', description: 'who' }),
    ],
  ])('given %s, finds nothing (consumers are tolerant readers)', (_what, change) => {
    expect(compareSchemas(contact, edit(change))).toEqual([]);
  });

  it('LeadCaptured v2 is a new version because v1 could not take it: sealing content widens it', () => {
    const previous = readJson(path.join(PUBLISHED, lastPublished(), 'LeadCaptured.v1.schema.json'));
    const v2 = readJson(path.join(CURRENT, 'LeadCaptured.v2.schema.json'));
    const breaks = rules(compareSchemas(previous, v2));
    expect(breaks).toContain('/data/source/content type widened');
    // what else differs is the version itself, not the payload
    expect(breaks.filter((b) => !b.startsWith('/data/'))).toEqual(['/schemaVersion const changed']);
  });

  it('given a real published schema with its owner dropped, reports it', () => {
    const file = 'LeadHandedToSales.v1.schema.json';
    const previous = readJson(path.join(PUBLISHED, lastPublished(), file));
    const current = structuredClone(previous) as { properties: { data: JsonSchema } };
    const data = current.properties.data as {
      properties: Record<string, unknown>;
      required: string[];
    };
    delete data.properties.owner;
    data.required = data.required.filter((name) => name !== 'owner');
    expect(rules(compareSchemas(previous, current as JsonSchema))).toEqual([
      '/data/owner field removed',
    ]);
  });
});
