/**
 * The write path under odd but well-formed use, through the real API (PGlite, chDB, the
 * embedded projector): null in every optional field of every documented body, merge chains and
 * merges that must be refused, retries with and without an Idempotency-Key around them, and
 * requests that race each other. Every answer is checked against what the store then holds,
 * and at the end every view equals a clean rebuild.
 *
 * The null check is generic: it walks the request bodies of the served OpenAPI document, so a
 * route or field added later is covered without being listed here.
 */
import { randomUUID } from 'node:crypto';
import { leadStreamId } from '@tandem/domain';
import type { RecordedEvent } from '@tandem/event-store';
import request, { type Response } from 'supertest';
import { asRole } from './support/auth-headers';
import { funnelApiPerFile, waitForProjection } from './support/funnel-api.fixture';
import { readViews, viewDifferences } from './support/view-fingerprint';

jest.setTimeout(300_000);

// Views read the state, not background snapshots (as crossing-merges.int.spec.ts does): this spec
// is about what the store holds, and reading them is the slowest part of it.
const suite = funnelApiPerFile('nulls-merges-retries', { viewSnapshotMinLeads: 1_000_000 });

const ops = asRole('ops', 'write-path-prober@test.tandem');
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(suite.http)
    .post(path)
    .set({ ...ops, ...headers })
    .send(body as object)
    .then((response: Response) => response);

const events = (leadId: string): Promise<RecordedEvent[]> =>
  suite.api.store.readStream(leadStreamId(leadId));
const types = async (leadId: string) => (await events(leadId)).map((event) => event.type);

const captureBody = (n: number) => ({
  contact: { name: `Prober ${n}`, email: `prober${n}@example.com` },
  company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
  source: { channel: 'paid_search', campaign: 'q1-search' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
});
let captured = 0;
async function lead(): Promise<string> {
  const created = await post('/leads', captureBody(captured++));
  expect(created.status).toBe(201);
  return (created.body as { leadId: string }).leadId;
}
const touch = (touchpointId: string, channel = 'web') => ({
  touchpointId,
  kind: 'webinar',
  channel,
});
const merge = (leadId: string, intoLeadId: string) =>
  post(`/leads/${leadId}/merge`, { intoLeadId });
const problemCode = (response: Response) => (response.body as { code?: string }).code;

// ---------------------------------------------------------------------------------------------
// null in every optional field

interface JsonSchema {
  readonly type?: string | string[];
  readonly properties?: Record<string, JsonSchema>;
  readonly required?: string[];
  readonly items?: JsonSchema;
  readonly anyOf?: JsonSchema[];
}

/** The schema without its `| null` alternative, if it has one. */
const notNull = (schema: JsonSchema): JsonSchema => {
  const others = (schema.anyOf ?? []).filter((option) => option.type !== 'null');
  return schema.anyOf !== undefined && others.length === 1 ? others[0]! : schema;
};
const takesNull = (schema: JsonSchema): boolean =>
  schema.type === 'null' ||
  (Array.isArray(schema.type) && schema.type.includes('null')) ||
  (schema.anyOf ?? []).some(takesNull);

/** Every optional field of a body, as its path (array entries as index 0). */
function optionalPaths(schema: JsonSchema, at: (string | number)[] = []): (string | number)[][] {
  const shape = notNull(schema);
  if (shape.items !== undefined) return optionalPaths(shape.items, [...at, 0]);
  return Object.entries(shape.properties ?? {}).flatMap(([key, field]) => [
    ...(shape.required?.includes(key) === true ? [] : [[...at, key]]),
    ...optionalPaths(field, [...at, key]),
  ]);
}

/** The nodes down to `path`, with `leaf` at its end (or nothing there when undefined). */
function skeleton(path: (string | number)[], leaf: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return leaf;
  const inner = rest.length === 0 ? leaf : skeleton(rest, leaf);
  if (typeof head === 'number') return inner === undefined ? [] : [inner];
  return inner === undefined ? {} : { [head]: inner };
}

const schemaAt = (schema: JsonSchema, path: (string | number)[]): JsonSchema =>
  path.reduce<JsonSchema>((node, step) => {
    const shape = notNull(node);
    return typeof step === 'number' ? shape.items! : shape.properties![step]!;
  }, schema);

describe('null in an optional field', () => {
  it('means what leaving the field out means, in every documented body, as the document says', async () => {
    const served = await request(suite.http).get('/docs-json').set(ops).expect(200);
    const paths = (
      served.body as {
        paths: Record<
          string,
          { post?: { requestBody?: { content: Record<string, { schema: JsonSchema }> } } }
        >;
      }
    ).paths;
    // A lead and a visitor no one captured: a body that validates ends at a 404 or a new
    // visitor's first touch, never a write that changes what the next request sees.
    const missingLead = randomUUID();
    const disagreements: string[] = [];
    let checked = 0;
    for (const [route, methods] of Object.entries(paths)) {
      const schema = methods.post?.requestBody?.content['application/json']?.schema;
      if (schema === undefined) continue;
      const url = route
        .replace('{leadId}', missingLead)
        .replace('{visitorId}', `nulls-visitor-${randomUUID()}`);
      expect(url).not.toContain('{');
      for (const path of optionalPaths(schema)) {
        const field = `POST ${route} ${path.join('.')}`;
        if (!takesNull(schemaAt(schema, path)))
          disagreements.push(`${field}: documented without null`);
        const absent = await post(url, skeleton(path, undefined) ?? {});
        const nulled = await post(url, skeleton(path, null));
        const answer = (response: Response) => ({
          status: response.status,
          code: problemCode(response),
          errors: (response.body as { errors?: unknown }).errors,
        });
        if (JSON.stringify(answer(nulled)) !== JSON.stringify(answer(absent))) {
          disagreements.push(
            `${field}: null ${JSON.stringify(answer(nulled))}, absent ${JSON.stringify(answer(absent))}`,
          );
        }
        checked += 1;
      }
    }
    expect(disagreements).toEqual([]);
    // Every lead command, the capture's nested objects, targets, visitors, keys, definitions.
    expect(checked).toBeGreaterThan(60);
  });

  it('records the same facts for a command whose optional fields are null as for one without them', async () => {
    const nulls = {
      ...captureBody(captured++),
      leadId: null,
      accountId: null,
      contact: { name: 'Null Prober', email: 'null@example.com', phone: null },
      company: { name: 'Acme', industry: null, size: null, country: null },
      source: { channel: 'web', campaign: null, medium: null, content: null },
      visitorIds: null,
      occurredAt: null,
      expectedRevision: null,
    };
    const absent = {
      ...captureBody(captured++),
      contact: { name: 'Null Prober', email: 'null@example.com' },
      company: { name: 'Acme' },
      source: { channel: 'web' },
    };
    const leads: string[] = [];
    for (const body of [nulls, absent]) {
      const created = await post('/leads', body);
      expect(created.status).toBe(201);
      const leadId = (created.body as { leadId: string }).leadId;
      leads.push(leadId);
      const touched = await post(`/leads/${leadId}/touchpoints`, {
        kind: 'webinar',
        channel: 'web',
        ...(body === nulls ? { touchpointId: null, campaign: null, expectedRevision: null } : {}),
      });
      expect(touched.status).toBe(200);
    }
    // Personal fields are sealed in the store under each lead's key: compare them opened.
    const timeline = async (leadId: string) => {
      const answer = await request(suite.http).get(`/leads/${leadId}/timeline`).set(ops);
      const recorded = (
        answer.body as { events: { type: string; data: Record<string, unknown> }[] }
      ).events;
      return recorded.map(({ type, data: { touchpointId: _minted, ...rest } }) => ({ type, rest }));
    };
    expect(await timeline(leads[0]!)).toEqual(await timeline(leads[1]!));
    // Left out, not stored as null: the event decodes as any capture does.
    const [stored] = await events(leads[0]!);
    expect(Object.keys(stored!.data.source as object)).toEqual(['channel']);
    expect(Object.keys(stored!.data.company as object)).toEqual(['name']);
  });
});

// ---------------------------------------------------------------------------------------------
// merges

describe('merges', () => {
  it('carries a chain A→B→C: a touch of A retried to A, B or C is answered as a retry, once', async () => {
    const [a, b, c] = [await lead(), await lead(), await lead()];
    const [tA, tB] = [`tp-a-${a}`, `tp-b-${b}`];
    expect((await post(`/leads/${a}/touchpoints`, touch(tA))).status).toBe(200);
    expect((await post(`/leads/${b}/touchpoints`, touch(tB))).status).toBe(200);
    expect((await merge(a, b)).status).toBe(200);
    expect((await merge(b, c)).status).toBe(200);
    // C's record of the merge carries B's touch and A's, which B held.
    const record = (await events(c)).find((event) => event.type === 'DuplicateMergedIn')!;
    const held = (record.data.touchpoints as { touchpointId: string }[]).map((t) => t.touchpointId);
    expect(held.sort()).toEqual([tA, tB].sort());

    for (const target of [a, b, c, c.toUpperCase()]) {
      const retry = await post(`/leads/${target}/touchpoints`, touch(tA));
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ events: [] });
      // Another fact under a held id is a conflict, wherever it is sent.
      const other = await post(`/leads/${target}/touchpoints`, touch(tA, 'email'));
      expect([other.status, problemCode(other)]).toEqual([409, 'touchpoint_conflict']);
    }
    // A holds only its own touches: B's is a new touch there, refused on a merged lead.
    const onA = await post(`/leads/${a}/touchpoints`, touch(tB));
    expect([onA.status, problemCode(onA)]).toEqual([422, 'lifecycle_violation']);
    expect(onA.body).toMatchObject({ mergedInto: b });
    expect(await types(a)).toEqual(['LeadCaptured', 'TouchpointRecorded', 'LeadMerged']);
    expect(await types(b)).toEqual([
      'LeadCaptured',
      'TouchpointRecorded',
      'DuplicateMergedIn',
      'LeadMerged',
    ]);
    expect(await types(c)).toEqual(['LeadCaptured', 'DuplicateMergedIn']);
  });

  it('refuses a merge into itself, into a merged or erased lead, and of a merged or erased one', async () => {
    const [a, b, c, d, e] = [await lead(), await lead(), await lead(), await lead(), await lead()];
    for (const into of [a, a.toUpperCase(), ` ${a} `]) {
      const self = await merge(a, into);
      expect([self.status, problemCode(self)]).toEqual([422, 'rule_violation']);
    }
    expect((await merge(a, b)).status).toBe(200);
    const intoMerged = await merge(c, a);
    expect([intoMerged.status, problemCode(intoMerged)]).toEqual([422, 'rule_violation']);
    const again = await merge(a, c);
    expect([again.status, problemCode(again)]).toEqual([422, 'lifecycle_violation']);
    const back = await merge(b, a);
    expect([back.status, problemCode(back)]).toEqual([422, 'rule_violation']);
    expect((await post(`/leads/${d}/erase`, { reason: 'gdpr request' })).status).toBe(200);
    const intoErased = await merge(e, d);
    expect([intoErased.status, problemCode(intoErased)]).toEqual([422, 'rule_violation']);
    const ofErased = await merge(d, e);
    expect([ofErased.status, problemCode(ofErased)]).toEqual([422, 'lifecycle_violation']);
    const intoMissing = await merge(e, randomUUID());
    expect([intoMissing.status, problemCode(intoMissing)]).toEqual([404, 'lead_not_found']);
    for (const untouched of [c, e]) expect(await types(untouched)).toEqual(['LeadCaptured']);
    expect(await types(d)).toEqual(['LeadCaptured', 'LeadErased']);
  });

  it('erasing the survivor erases the lead merged into it; every retry then is refused', async () => {
    const [a, b] = [await lead(), await lead()];
    const tA = `tp-erased-survivor-${a}`;
    expect((await post(`/leads/${a}/touchpoints`, touch(tA))).status).toBe(200);
    expect((await merge(a, b)).status).toBe(200);
    const erased = await post(`/leads/${b}/erase`, { reason: 'gdpr request' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ alsoErased: [a] });
    for (const target of [a, b]) {
      const retry = await post(`/leads/${target}/touchpoints`, touch(tA));
      expect([retry.status, problemCode(retry)]).toEqual([422, 'lifecycle_violation']);
      // Erasing either again appends nothing.
      const again = await post(`/leads/${target}/erase`, { reason: 'gdpr request' });
      expect([again.status, again.body]).toMatchObject([200, { events: [] }]);
    }
    expect(await types(a)).toEqual([
      'LeadCaptured',
      'TouchpointRecorded',
      'LeadMerged',
      'LeadErased',
    ]);
    expect(await types(b)).toEqual(['LeadCaptured', 'DuplicateMergedIn', 'LeadErased']);
  });

  it('lands exactly one of two merges crossing on one API, the other a 422', async () => {
    for (let round = 0; round < 8; round++) {
      const [a, b] = [await lead(), await lead()];
      const outcomes = await Promise.all([merge(a, b), merge(b, a)]);
      expect(outcomes.map((response) => response.status).sort()).toEqual([200, 422]);
      const links = [
        ...(await events(a)).filter((event) => event.type === 'LeadMerged'),
        ...(await events(b)).filter((event) => event.type === 'LeadMerged'),
      ];
      expect(links).toHaveLength(1);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Idempotency-Key

describe('Idempotency-Key', () => {
  it('replays a retry, refuses the key with another body, and keeps racing retries to one event', async () => {
    const leadId = await lead();
    const key = randomUUID();
    const keyed = (path: string, body: object) => post(path, body, { 'idempotency-key': key });
    const body = { kind: 'webinar', channel: 'web' };
    const first = await keyed(`/leads/${leadId}/touchpoints`, body);
    expect(first.status).toBe(200);
    const replayed = await keyed(`/leads/${leadId.toUpperCase()}/touchpoints`, body);
    expect([replayed.status, replayed.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(replayed.text).toBe(first.text);
    const reused = await keyed(`/leads/${leadId}/touchpoints`, { ...body, channel: 'email' });
    expect([reused.status, problemCode(reused)]).toEqual([422, 'idempotency_key_reused']);
    // A key is per route and lead: elsewhere it is another request.
    const profile = await keyed(`/leads/${leadId}/profile`, { role: 'cmo' });
    expect(profile.status).toBe(200);
    expect(await types(leadId)).toEqual(['LeadCaptured', 'TouchpointRecorded', 'LeadProfiled']);

    // Six copies of one request at once: one runs, the rest replay it or are told it runs.
    const raced = await lead();
    const raceKey = randomUUID();
    const copies = await Promise.all(
      Array.from({ length: 6 }, () =>
        post(`/leads/${raced}/touchpoints`, body, { 'idempotency-key': raceKey }),
      ),
    );
    for (const copy of copies) {
      expect([200, 409]).toContain(copy.status);
      if (copy.status === 409) expect(problemCode(copy)).toBe('idempotency_key_in_flight');
    }
    expect(
      copies.filter(
        (copy) => copy.headers['idempotent-replayed'] === undefined && copy.status === 200,
      ),
    ).toHaveLength(1);
    expect(await types(raced)).toEqual(['LeadCaptured', 'TouchpointRecorded']);
  });

  it('replays a keyed merge after the chain moved on, appending nothing', async () => {
    const [a, b, c] = [await lead(), await lead(), await lead()];
    const key = randomUUID();
    const first = await post(`/leads/${a}/merge`, { intoLeadId: b }, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect((await merge(b, c)).status).toBe(200);
    const retry = await post(`/leads/${a}/merge`, { intoLeadId: b }, { 'idempotency-key': key });
    expect([retry.status, retry.text]).toEqual([200, first.text]);
    expect(await types(a)).toEqual(['LeadCaptured', 'LeadMerged']);
    expect(await types(b)).toEqual(['LeadCaptured', 'DuplicateMergedIn', 'LeadMerged']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the views', () => {
  it('equal a clean rebuild after all of the above', async () => {
    await suite.api.app.listen(0, '127.0.0.1');
    const url = (await suite.api.app.getUrl()).replace('[::1]', '127.0.0.1');
    await waitForProjection(suite.http);
    const live = await readViews(url);
    await request(suite.http).post('/ops/rebuild').set(ops).expect(202);
    await waitForProjection(suite.http);
    expect(viewDifferences(live, await readViews(url))).toEqual([]);
    const reconciliation = await request(suite.http)
      .get('/analytics/reconciliation')
      .set(ops)
      .expect(200);
    expect((reconciliation.body as { ok: boolean }).ok).toBe(true);
  });
});
