/**
 * Publishing records a version, activating puts it in force, on real engines
 * (PGlite + chDB). Activation has no HTTP route here: it is executed through the
 * CommandBus, the way the ops route calls it, and its error mapping is checked
 * with the edge's own `problemOf`. Also: the bootstrap of an empty stream and
 * of a legacy stream that has published versions but no activation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandBus } from '@nestjs/cqrs';
import { decodeStoredEvent, encodeForStore, type TandemEnvelope } from '@tandem/contracts';
import {
  DEFINITIONS_STREAM,
  DefinitionVersionNotFoundError,
  defaultFunnelDefinition,
  definitionHash,
  ForbiddenError,
  type FunnelDefinition,
  leadStreamId,
  type Role,
} from '@tandem/domain';
import { createPgliteEventStore, type EventStore } from '@tandem/event-store';
import request from 'supertest';
import type { App } from 'supertest/types';
import { v7 as uuidv7 } from 'uuid';
import {
  ActivateFunnelDefinition,
  type ActivationResult,
} from '../apps/funnel-api/src/definitions/activate-funnel-definition.handler';
import { ActiveDefinition } from '../apps/funnel-api/src/definitions/active-definition.service';
import {
  definitionListSchema,
  publicationResultSchema,
  publishedDefinitionSchema,
} from '../apps/funnel-api/src/definitions/definitions.responses';
import { problemOf } from '../apps/funnel-api/src/http/problem-details';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';
import { asRole } from './support/auth-headers';

jest.setTimeout(120_000);

let dir: string;
let api: FunnelApiFixture;
let http: App;

const as = (role: Role) => asRole(role, `${role}-tester`);

interface DocumentedAnswer {
  content: Record<string, { schema: { properties: Record<string, unknown> } }>;
}
const post = (path: string, role: Role, body: object = {}) =>
  request(http).post(path).set(as(role)).send(body);

const activate = (version: number, role: Role = 'ops'): Promise<ActivationResult> =>
  api.app.get(CommandBus).execute(
    new ActivateFunnelDefinition(version, {
      actor: { kind: 'user', id: `${role}-tester`, role },
      correlationId: uuidv7(),
      causationId: null,
    }),
  );

const definitionEvents = async (store: EventStore): Promise<TandemEnvelope[]> =>
  (await store.readStream(DEFINITIONS_STREAM)).map((record) => {
    const decoded = decodeStoredEvent(record);
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.envelope;
  });

/** Captures a lead scoring 76 under the default rules (fit 100, intent 40) and asks for MQL. */
async function qualifyNewLead() {
  const captured = await post('/leads', 'marketing', {
    contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
    company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
    source: { channel: 'web' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  }).expect(201);
  const { leadId } = captured.body as { leadId: string };
  await post(`/leads/${leadId}/touchpoints`, 'marketing', {
    kind: 'demo_request',
    channel: 'web',
  }).expect(200);
  await post(`/leads/${leadId}/profile`, 'marketing', { role: 'cmo' }).expect(200);
  return { leadId, response: await post(`/leads/${leadId}/mql`, 'marketing') };
}

const strict: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL',
  mql: { ...defaultFunnelDefinition.mql, threshold: 90 },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-definitions-int-'));
  api = await startFunnelApi(join(dir, 'chdb'));
  http = api.app.getHttpServer() as App;
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('publish, then activate', () => {
  it('given an empty stream, the first start publishes and activates the shipped default together', async () => {
    const events = await definitionEvents(api.store);
    expect(events.map((e) => [e.type, e.streamRevision, e.actor.id])).toEqual([
      ['FunnelDefinitionPublished', 0, 'tandem-bootstrap'],
      ['FunnelDefinitionActivated', 1, 'tandem-bootstrap'],
    ]);
    expect(events[1]?.data).toEqual({
      version: 1,
      definitionHash: definitionHash(defaultFunnelDefinition),
      previousVersion: null,
    });
    expect(events[0]?.correlationId).toBe(events[1]?.correlationId);
  });

  it('a published stricter version is not in force: a lead that qualifies under v1 still does', async () => {
    const published = await post('/definitions', 'ops', strict).expect(201);
    expect(published.body).toMatchObject({
      version: 2,
      definitionHash: definitionHash(strict),
      activeVersion: 1,
    });
    const listed = await request(http).get('/definitions').set(asRole('ops')).expect(200);
    expect(listed.body).toMatchObject({ active: 1, versions: [{ version: 1 }, { version: 2 }] });

    const { leadId, response } = await qualifyNewLead();
    expect(response.status).toBe(200);
    const events = await api.store.readStream(leadStreamId(leadId));
    expect(events.at(-1)?.data).toMatchObject({ rulesVersion: 1, threshold: 55 });
  });

  it('answers as its OpenAPI document says: each body parses with the schema its 2xx is generated from', async () => {
    const listed = await request(http).get('/definitions').set(as('analyst')).expect(200);
    expect(definitionListSchema.parse(listed.body).versions).toHaveLength(2);
    const one = await request(http).get('/definitions/2').set(as('analyst')).expect(200);
    expect(publishedDefinitionSchema.parse(one.body).definition).toEqual(strict);

    const { paths } = (await request(http).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, DocumentedAnswer> }>>;
    };
    const documented = (path: string, method: string, status: string) =>
      Object.keys(
        paths[path]![method]!.responses[status]!.content['application/json']!.schema.properties,
      );
    expect(documented('/definitions', 'get', '200')).toEqual([
      'active',
      'activationId',
      'versions',
    ]);
    expect(documented('/definitions/{version}', 'get', '200')).toEqual(
      Object.keys(publishedDefinitionSchema.shape),
    );
    expect(documented('/definitions', 'post', '201')).toEqual(
      Object.keys(publicationResultSchema.shape),
    );
  });

  it.each(['1.5', 'abc', '0', '01', '-1', '1e3', '1000000000'])(
    'refuses version %s as every bad parameter is: a 400 naming it',
    async (version) => {
      const refused = await request(http).get(`/definitions/${version}`).set(as('analyst'));
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        code: 'invalid_request',
        errors: [{ in: 'path', field: 'version' }],
      });
    },
  );

  it('refuses a draft with a field it does not know, naming it, and records nothing', async () => {
    const before = await api.store.readStream(DEFINITIONS_STREAM);
    const { mql, ...withoutMql } = strict;
    const typo = {
      ...withoutMql,
      version: 3,
      mqll: mql,
      sla: { ...strict.sla, acceptWithinHourz: 2 },
    };
    const published = await post('/definitions', 'ops', typo).expect(400);
    expect(published.body).toMatchObject({ code: 'invalid_definition' });
    expect((published.body as { errors: unknown[] }).errors).toEqual(
      expect.arrayContaining([
        { in: 'body', field: 'mqll', message: 'is not a field of the definition' },
        { in: 'body', field: 'sla.acceptWithinHourz', message: 'is not a field of the definition' },
      ]),
    );
    // A what-if of it is refused alike: it is a draft that could not be published.
    const whatIf = await post('/ops/rules/replays', 'ops', {
      draft: { ...strict, version: 3, mql: { ...mql, treshold: 99 } },
    }).expect(400);
    expect(whatIf.body).toMatchObject({
      code: 'invalid_definition',
      errors: [{ in: 'body', field: 'mql.treshold', message: 'is not a field of the definition' }],
    });
    expect(await api.store.readStream(DEFINITIONS_STREAM)).toHaveLength(before.length);

    const { paths } = (await request(http).get('/docs-json').expect(200)).body as {
      paths: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }>;
    };
    expect(paths['/definitions']?.post.requestBody.content['application/json']).toMatchObject({
      schema: { additionalProperties: false, properties: { mql: { additionalProperties: false } } },
    });
  });

  it('once v2 is activated, it decides: the same kind of lead is refused under version 2', async () => {
    const result = await activate(2);
    expect(result).toEqual({
      version: 2,
      definitionHash: definitionHash(strict),
      previousVersion: 1,
      eventId: expect.any(String),
      globalPosition: expect.stringMatching(/^\d+$/),
    });
    const recorded = (await api.store.readStream(DEFINITIONS_STREAM)).at(-1);
    expect(recorded?.type).toBe('FunnelDefinitionActivated');
    expect(recorded?.eventId).toBe(result.eventId);
    expect(recorded?.globalPosition.toString()).toBe(result.globalPosition);

    const listed = await request(http).get('/definitions').set(asRole('ops')).expect(200);
    expect(listed.body).toMatchObject({ active: 2 });
    expect(await api.app.get(ActiveDefinition).active()).toEqual({
      version: 2,
      definition: strict,
      definitionHash: definitionHash(strict),
    });

    const { response } = await qualifyNewLead();
    expect(response.status).toBe(422);
    expect((response.body as { detail: string }).detail).toContain('rules version 2');
  });

  it('activating the version in force again is a no-op that answers with its activation', async () => {
    const before = await api.store.readStream(DEFINITIONS_STREAM);
    const last = before.at(-1);
    expect(await activate(2)).toEqual({
      version: 2,
      definitionHash: definitionHash(strict),
      previousVersion: 1,
      eventId: last?.eventId,
      globalPosition: last?.globalPosition.toString(),
    });
    expect(await api.store.readStream(DEFINITIONS_STREAM)).toHaveLength(before.length);
  });

  it('rolling back is activating the previous version', async () => {
    expect(await activate(1)).toMatchObject({ version: 1, previousVersion: 2 });
    const { response } = await qualifyNewLead();
    expect(response.status).toBe(200);
  });

  it('refuses an unpublished version (404 at the edge) and a role other than ops (403), writing nothing', async () => {
    const before = await api.store.readStream(DEFINITIONS_STREAM);
    const notFound = await activate(9).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(DefinitionVersionNotFoundError);
    expect(problemOf(notFound)).toMatchObject({
      status: 404,
      code: 'definition_version_not_found',
    });
    await expect(activate(2, 'marketing')).rejects.toBeInstanceOf(ForbiddenError);
    expect(await api.store.readStream(DEFINITIONS_STREAM)).toHaveLength(before.length);
  });
});

describe('a legacy stream: published versions, no activation', () => {
  let store: EventStore;

  beforeAll(async () => {
    store = await createPgliteEventStore({ dataDir: join(dir, 'legacy-pglite'), schema: 'tandem' });
    const published = (definition: FunnelDefinition) =>
      encodeForStore(
        { type: 'FunnelDefinitionPublished', data: { version: definition.version, definition } },
        {
          eventId: uuidv7(),
          leadId: null,
          accountId: null,
          occurredAt: new Date().toISOString(),
          correlationId: uuidv7(),
          causationId: null,
          actor: { kind: 'user', id: 'ops-tester', role: 'ops' },
        },
      );
    await store.append(
      DEFINITIONS_STREAM,
      [published(defaultFunnelDefinition), published(strict)],
      {
        expectedRevision: 'no_stream',
      },
    );
  });

  afterAll(async () => {
    await store?.close();
  });

  it('keeps the latest published in force and makes that explicit once, even when two processes start together', async () => {
    const first = new ActiveDefinition(store);
    const second = new ActiveDefinition(store);
    await Promise.all([first.onModuleInit(), second.onModuleInit()]);

    const events = await definitionEvents(store);
    expect(events.map((e) => e.type)).toEqual([
      'FunnelDefinitionPublished',
      'FunnelDefinitionPublished',
      'FunnelDefinitionActivated',
    ]);
    expect(events[2]).toMatchObject({
      actor: { id: 'tandem-bootstrap' },
      data: { version: 2, definitionHash: definitionHash(strict), previousVersion: null },
    });
    for (const instance of [first, second]) {
      expect((await instance.active()).version).toBe(2);
      expect((await instance.current()).mql.threshold).toBe(90);
    }
  });
});

describe('a publish crossing another write to the dictionary', () => {
  const nextVersion = async (): Promise<number> => {
    const listed = await request(http).get('/definitions').set(asRole('ops')).expect(200);
    const { versions } = listed.body as { versions: { version: number }[] };
    return Math.max(...versions.map((entry) => entry.version)) + 1;
  };

  /** Runs `between` once, after the next publish has read the stream and before it appends. */
  const betweenReadAndAppend = (between: () => Promise<unknown>) => {
    const definitions = api.app.get(ActiveDefinition);
    const refresh = definitions.refresh.bind(definitions);
    jest.spyOn(definitions, 'refresh').mockImplementationOnce(async () => {
      const read = await refresh();
      await between();
      return read;
    });
  };

  afterEach(() => jest.restoreAllMocks());

  it('two publishes of one version at once: 201 and a 422 naming the next version, never a bare conflict', async () => {
    const version = await nextVersion();
    const theirs = { ...strict, version, name: 'Published first' };
    const ours = { ...strict, version, name: 'Published second' };
    betweenReadAndAppend(() => post('/definitions', 'ops', theirs).expect(201));
    const refused = await post('/definitions', 'ops', ours);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      detail: expect.stringContaining(`version must be ${version + 1}`) as unknown,
    });
    const published = (await definitionEvents(api.store)).filter(
      (event) => event.type === 'FunnelDefinitionPublished',
    );
    expect(published.at(-1)?.data).toMatchObject({
      version,
      definition: { name: 'Published first' },
    });
  });

  it('the same definition published twice at once: 201 and a 422 saying it is published', async () => {
    const version = await nextVersion();
    const draft = { ...strict, version, name: 'Sent twice' };
    betweenReadAndAppend(() => post('/definitions', 'ops', draft).expect(201));
    const again = await post('/definitions', 'ops', draft);
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({
      detail: expect.stringContaining('already published with this very definition') as unknown,
    });
  });

  it('a publish crossing an activation is recorded, not refused', async () => {
    const version = await nextVersion();
    const active = await request(http).get('/definitions').set(asRole('ops')).expect(200);
    const inForce = (active.body as { active: number }).active;
    betweenReadAndAppend(() => activate(inForce === 1 ? 2 : 1));
    const published = await post('/definitions', 'ops', { ...strict, version, name: 'Crossed' });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version });
  });
});
