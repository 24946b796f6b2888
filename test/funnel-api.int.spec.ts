/**
 * The funnel API end to end on real engines (PGlite + chDB): HTTP command →
 * event store → embedded projector → ClickHouse lenses. Checks the HTTP
 * contract (400/401/403/404/409/422) and that a refused command writes nothing.
 */
import { CommandBus } from '@nestjs/cqrs';
import request from 'supertest';
import { defaultFunnelDefinition, leadStreamId, type Role } from '@tandem/domain';
import { ActivateFunnelDefinition } from '../apps/funnel-api/src/definitions/activate-funnel-definition.handler';
import { eventually } from './support/eventually';
import { funnelApiPerFile } from './support/funnel-api.fixture';
import { postAs, qualifyAsMql, winDeal } from './support/lead-commands';
import { asRole } from './support/auth-headers';

jest.setTimeout(120_000);

const suite = funnelApiPerFile('api');

const as = (role: Role) => asRole(role, `${role}-tester`);
const captureBody = (overrides: Record<string, unknown> = {}) => ({
  contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
  company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
  source: { channel: 'trade_fair', campaign: 'smau-milano' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
  ...overrides,
});

async function capture(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await request(suite.http)
    .post('/leads')
    .set(as('marketing'))
    .send(captureBody(overrides))
    .expect(201);
  return (response.body as { leadId: string }).leadId;
}

const post = postAs(() => suite.http);

/** Captures a lead and takes it to MQL (demo request + ICP role lift it over the threshold). */
async function mqlLead(): Promise<string> {
  const leadId = await capture();
  await qualifyAsMql(post, leadId);
  return leadId;
}

/** No HTTP route yet: activation goes through the CommandBus, as the route will. */
const activate = (version: number) =>
  suite.api.app.get(CommandBus).execute(
    new ActivateFunnelDefinition(version, {
      actor: { kind: 'user', id: 'ops-tester', role: 'ops' },
      correlationId: `activate-${version}`,
      causationId: null,
    }),
  );

const revisionOf = async (leadId: string) =>
  (await suite.api.store.readStream(leadStreamId(leadId))).length;

describe('validation: a malformed command is a 400 naming the field, and writes nothing', () => {
  it('rejects a capture with a bad email and a negative company size', async () => {
    const head = await suite.api.store.headPosition();
    const response = await post('/leads', 'marketing', {
      ...captureBody(),
      contact: { name: 'X', email: 'not-an-email' },
      company: { name: 'Acme', size: -3 },
    }).expect(400);
    const fields = (response.body as { errors: { field: string }[] }).errors.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['contact.email', 'company.size']));
    expect(await suite.api.store.headPosition()).toBe(head);
  });

  it('rejects a command on an existing lead with a missing field, stream unchanged', async () => {
    const leadId = await capture();
    const before = await revisionOf(leadId);
    const response = await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      channel: 'web',
    }).expect(400);
    expect((response.body as { detail: string }).detail).toContain('kind');
    expect(await revisionOf(leadId)).toBe(before);
  });

  it('refuses a field the command does not have, at any depth, naming its path', async () => {
    const leadId = await capture();
    const head = await suite.api.store.headPosition();
    const response = await post('/leads', 'marketing', {
      ...captureBody(),
      source: { channel: 'web', campain: 'spring' },
      bogus: true,
    }).expect(400);
    expect(response.body).toMatchObject({ code: 'invalid_request' });
    expect((response.body as { errors: unknown[] }).errors).toEqual(
      expect.arrayContaining([
        { in: 'body', field: 'source.campain', message: 'not a field of this request' },
        { in: 'body', field: 'bogus', message: 'not a field of this request' },
      ]),
    );
    const profile = await post(`/leads/${leadId}/profile`, 'marketing', { bogus: true }).expect(
      400,
    );
    expect((profile.body as { errors: unknown[] }).errors).toContainEqual({
      in: 'body',
      field: 'bogus',
      message: 'not a field of this request',
    });
    const target = { team: 'marketing', metric: 'mqls', period: '2025-11', value: 40 };
    const planning = await post('/targets', 'marketing', { ...target, segment: 'x' }).expect(400);
    expect((planning.body as { errors: { field: string }[] }).errors).toEqual([
      { in: 'body', field: 'segment', message: 'not a field of this request' },
    ]);
    expect(await suite.api.store.headPosition()).toBe(head);
  });

  it('refuses a profile naming no field, rather than appending one that carries nothing', async () => {
    const leadId = await capture();
    const before = await revisionOf(leadId);
    for (const body of [{}, { role: null, industry: null }]) {
      const response = await post(`/leads/${leadId}/profile`, 'marketing', body).expect(400);
      expect((response.body as { detail: string }).detail).toContain('names no field to profile');
    }
    expect(await revisionOf(leadId)).toBe(before);
  });

  it('rejects a lead id that is not a UUID', async () => {
    await post('/leads/not-a-uuid/accept', 'sales').expect(400);
  });
});

describe('the HTTP contract of the domain', () => {
  it('401 without a role, 403 when the role may not issue the command', async () => {
    await request(suite.http).post('/leads').send(captureBody()).expect(401);
    const leadId = await mqlLead();
    await post(`/leads/${leadId}/handoff`, 'marketing', { owner: 'marco' }).expect(200);
    const before = await revisionOf(leadId);
    await post(`/leads/${leadId}/accept`, 'marketing').expect(403);
    expect(await revisionOf(leadId)).toBe(before);
  });

  it('404 for an unknown lead', async () => {
    const response = await post(
      '/leads/0190d0b0-0000-7000-8000-0000000000ff/touchpoints',
      'marketing',
      {
        kind: 'page_view',
        channel: 'web',
      },
    ).expect(404);
    expect((response.body as { code: string }).code).toBe('lead_not_found');
  });

  it('409 for a stale expected revision, and nothing is appended', async () => {
    const leadId = await capture();
    await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      kind: 'page_view',
      channel: 'web',
    }).expect(200);
    const response = await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      kind: 'page_view',
      channel: 'web',
      expectedRevision: 0,
    }).expect(409);
    expect((response.body as { detail: string }).detail).toContain('expected revision 0');
    expect(await revisionOf(leadId)).toBe(2);
    await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      kind: 'page_view',
      channel: 'web',
      expectedRevision: 1,
    }).expect(200);
  });

  it('a touchpoint retried without an Idempotency-Key is recorded once; other facts under its id are a 409', async () => {
    const leadId = await capture();
    const touch = { touchpointId: 'tp-retry-1', kind: 'webinar', channel: 'web', content: 'Q&A' };
    const first = await post(`/leads/${leadId}/touchpoints`, 'marketing', touch).expect(200);
    expect(first.body).toMatchObject({ revision: 1, events: [{ type: 'TouchpointRecorded' }] });
    // The client timed out and sends the same POST again: the same success, nothing appended.
    const retry = await post(`/leads/${leadId}/touchpoints`, 'marketing', touch).expect(200);
    expect(retry.body).toEqual({ leadId, revision: 1, events: [] });
    expect(await revisionOf(leadId)).toBe(2);
    const clash = await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      ...touch,
      kind: 'demo_request',
    }).expect(409);
    expect(clash.body).toMatchObject({ code: 'touchpoint_conflict', touchpointId: 'tp-retry-1' });
    expect((clash.body as { detail: string }).detail).toContain(
      'touchpoint tp-retry-1 was already recorded on this lead with kind webinar',
    );
    expect(await revisionOf(leadId)).toBe(2);
  });

  it('text is recorded in NFC and ids as sent: a decomposed Café is the composed one, a retry still one touch', async () => {
    const decomposed = 'Cafe\u0301';
    const composed = 'Caf\u00e9';
    const leadId = await capture({
      company: { name: `${decomposed} Ltd`, industry: decomposed, size: 250, country: 'IT' },
      source: { channel: decomposed, campaign: decomposed },
    });
    const touch = { touchpointId: `tp-${decomposed}`, kind: 'webinar', channel: decomposed };
    await post(`/leads/${leadId}/touchpoints`, 'marketing', touch).expect(200);
    const retry = await post(`/leads/${leadId}/touchpoints`, 'marketing', touch).expect(200);
    expect(retry.body).toEqual({ leadId, revision: 1, events: [] });
    // An id is compared as sent: the composed spelling names another touch.
    await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      ...touch,
      touchpointId: `tp-${composed}`,
    }).expect(200);
    const timeline = await request(suite.http)
      .get(`/leads/${leadId}/timeline`)
      .set(as('ops'))
      .expect(200);
    const data = (timeline.body as { events: { data: Record<string, unknown> }[] }).events.map(
      (event) => event.data,
    );
    expect(data).toEqual([
      expect.objectContaining({
        company: expect.objectContaining({
          name: `${composed} Ltd`,
          industry: composed,
        }) as unknown,
        source: expect.objectContaining({ channel: composed, campaign: composed }) as unknown,
      }),
      expect.objectContaining({ touchpointId: `tp-${decomposed}`, channel: composed }),
      expect.objectContaining({ touchpointId: `tp-${composed}`, channel: composed }),
    ]);
  });

  it('targets and campaign spend honour expectedRevision on their stream: stale is a 409', async () => {
    const target = { team: 'marketing', metric: 'mqls', period: '2025-10', value: 40 };
    const first = await post('/targets', 'marketing', { ...target, expectedRevision: -1 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ revision: 0 });
    const head = await suite.api.store.headPosition();
    const stale = await post('/targets', 'marketing', {
      ...target,
      value: 50,
      expectedRevision: -1,
    }).expect(409);
    expect((stale.body as { code: string }).code).toBe('conflict');
    await post('/targets', 'marketing', { ...target, expectedRevision: 7 }).expect(409);
    expect(await suite.api.store.headPosition()).toBe(head);
    await post('/targets', 'marketing', { ...target, value: 50, expectedRevision: 0 }).expect(201);

    const spend = {
      campaign: 'h7-revision-spend',
      channel: 'paid_search',
      amount: 1200,
      currency: 'EUR',
      spentOn: '2025-10-01',
    };
    const spent = await post('/campaign-spend', 'marketing', spend).expect(201);
    expect(spent.body).toMatchObject({ revision: 0 });
    await post('/campaign-spend', 'marketing', { ...spend, expectedRevision: -1 }).expect(409);
    await post('/campaign-spend', 'marketing', { ...spend, expectedRevision: 0 }).expect(201);
  });

  it('spend on any campaign a capture may name (500 characters, a tab) is recorded on one stream per name', async () => {
    for (const campaign of ['h4-'.padEnd(500, 'x'), 'h4\tspring launch']) {
      const spend = {
        campaign,
        channel: 'web',
        amount: 10,
        currency: 'EUR',
        spentOn: '2025-10-01',
      };
      const first = await post('/campaign-spend', 'marketing', spend).expect(201);
      expect(first.body).toMatchObject({ revision: 0 });
      await post('/campaign-spend', 'marketing', { ...spend, expectedRevision: -1 }).expect(409);
      const second = await post('/campaign-spend', 'marketing', { ...spend, expectedRevision: 0 });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ revision: 1 });
    }
  });

  it('a touchpoint retried on a lead merged away since is the success it was: never a second touch on the survivor', async () => {
    const [duplicate, survivor] = [await capture(), await capture()];
    const touch = { touchpointId: 'tp-merged-1', kind: 'webinar', channel: 'web' };
    const first = await post(`/leads/${duplicate}/touchpoints`, 'marketing', touch)
      .set('Idempotency-Key', 'tp-merged-1-first')
      .expect(200);
    await post(`/leads/${duplicate}/merge`, 'ops', { intoLeadId: survivor }).expect(200);
    // Refused as "merged", the retry would be re-sent to the survivor and counted there again.
    const retry = await post(`/leads/${duplicate}/touchpoints`, 'marketing', touch).expect(200);
    expect(retry.body).toEqual({ leadId: duplicate, revision: 2, events: [] });
    // Under its Idempotency-Key the retry is the first answer replayed, as before the merge.
    const replay = await post(`/leads/${duplicate}/touchpoints`, 'marketing', touch)
      .set('Idempotency-Key', 'tp-merged-1-first')
      .expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    const clash = await post(`/leads/${duplicate}/touchpoints`, 'marketing', {
      ...touch,
      channel: 'email',
    }).expect(409);
    expect(clash.body).toMatchObject({ code: 'touchpoint_conflict', touchpointId: 'tp-merged-1' });
    const fresh = await post(`/leads/${duplicate}/touchpoints`, 'marketing', {
      ...touch,
      touchpointId: 'tp-merged-2',
    }).expect(422);
    // The survivor is named, in the words and as a field, for the client to follow.
    expect(fresh.body).toMatchObject({
      code: 'lifecycle_violation',
      mergedInto: survivor,
      detail: expect.stringContaining(`merged into lead ${survivor}; act on that one`),
    });
    expect(await revisionOf(duplicate)).toBe(3);
    // The survivor holds the merge's record (DuplicateMergedIn, ADR 0016), and no touch.
    expect(await revisionOf(survivor)).toBe(2);
  });

  it('a touchpoint sent to the survivor after the merge is the retry it is: counted once, on the duplicate', async () => {
    const [duplicate, survivor] = [await capture(), await capture()];
    const touch = { touchpointId: 'tp-survivor-1', kind: 'demo_request', channel: 'web' };
    await post(`/leads/${duplicate}/touchpoints`, 'marketing', touch).expect(200);
    const merged = await post(`/leads/${duplicate}/merge`, 'ops', { intoLeadId: survivor }).expect(
      200,
    );
    // The merge answers with the duplicate's own event; the survivor's record came with it.
    expect(merged.body).toMatchObject({ leadId: duplicate, events: [{ type: 'LeadMerged' }] });
    const survivorEvents = await suite.api.store.readStream(leadStreamId(survivor));
    expect(survivorEvents.map((event) => event.type)).toEqual([
      'LeadCaptured',
      'DuplicateMergedIn',
    ]);
    expect(survivorEvents[1]?.data).toEqual({
      mergedLeadId: duplicate,
      touchpoints: [
        {
          touchpointId: 'tp-survivor-1',
          kind: 'demo_request',
          channel: 'web',
          campaign: null,
          contentGiven: false,
        },
      ],
    });
    // The client learned of the merge and sends the touch to the survivor: nothing recorded.
    const retry = await post(`/leads/${survivor}/touchpoints`, 'marketing', touch).expect(200);
    expect(retry.body).toEqual({ leadId: survivor, revision: 1, events: [] });
    const clash = await post(`/leads/${survivor}/touchpoints`, 'marketing', {
      ...touch,
      kind: 'webinar',
    }).expect(409);
    expect(clash.body).toMatchObject({
      code: 'touchpoint_conflict',
      touchpointId: 'tp-survivor-1',
    });
    // A new touch on the survivor is its own.
    await post(`/leads/${survivor}/touchpoints`, 'marketing', {
      ...touch,
      touchpointId: 'tp-survivor-2',
    }).expect(200);
    const events = await suite.api.store.readStream(leadStreamId(survivor));
    expect(events.map((event) => event.type)).toEqual([
      'LeadCaptured',
      'DuplicateMergedIn',
      'TouchpointRecorded',
    ]);
  });

  it('422 for lifecycle violations, with the domain message, and nothing is appended', async () => {
    const leadId = await mqlLead();
    const before = await revisionOf(leadId);
    const sql = await post(`/leads/${leadId}/sql`, 'sales', {
      criteriaMet: ['budget', 'need', 'timeline'],
    }).expect(422);
    expect((sql.body as { detail: string }).detail).toMatch(
      /QualifyLeadAsSql is not allowed while the lead is mql/,
    );
    const won = await post(`/leads/${leadId}/won`, 'sales').expect(422);
    expect((won.body as { code: string }).code).toBe('lifecycle_violation');
    expect(await revisionOf(leadId)).toBe(before);
  });

  it('422 with the reasons when the rules do not qualify a lead as MQL', async () => {
    const leadId = await capture({
      company: { name: 'Tiny', industry: 'retail', size: 3, country: 'BR' },
    });
    const response = await post(`/leads/${leadId}/mql`, 'marketing').expect(422);
    expect((response.body as { reasons: string[] }).reasons[0]).toMatch(/below threshold 55/);
  });

  it('generates a correlation id when absent and records it with the actor', async () => {
    const leadId = await capture();
    const [event] = await suite.api.store.readStream(leadStreamId(leadId));
    expect(event?.metadata).toMatchObject({
      actor: { kind: 'user', id: 'marketing-tester', role: 'marketing' },
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const traced = await request(suite.http)
      .post('/leads')
      .set({ ...as('marketing'), 'x-correlation-id': 'import-batch-7' })
      .send(captureBody())
      .expect(201);
    expect(traced.headers['x-correlation-id']).toBe('import-batch-7');
  });
});

describe('who the events say acted', () => {
  it('records the verified actor and role, whatever identity headers the client adds', async () => {
    const response = await request(suite.http)
      .post('/leads')
      .set(asRole('marketing', 'ann@example.com'))
      .set({ 'x-tandem-role': 'ops', 'x-tandem-actor': 'ceo@victim.example' })
      .send(captureBody())
      .expect(201);
    const leadId = (response.body as { leadId: string }).leadId;
    const [captured] = await suite.api.store.readStream(leadStreamId(leadId));
    expect(captured?.metadata.actor).toEqual({
      kind: 'user',
      id: 'ann@example.com',
      role: 'marketing',
    });
  });

  it('the identity headers alone are nobody: 401 with a Bearer challenge', async () => {
    const response = await request(suite.http)
      .post('/leads')
      .set({ 'x-tandem-role': 'ops', 'x-tandem-actor': 'ceo@victim.example' })
      .send(captureBody())
      .expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tandem"');
  });
});

describe('a lead from capture to a won deal, seen by both lenses', () => {
  it('projects into ClickHouse, the lenses agree, and the timeline shows every event', async () => {
    const leadId = await mqlLead();
    await winDeal(post, leadId, { owner: 'marco.rossi', team: 'emea' });

    const head = await suite.api.store.headPosition();
    await eventually(async () => {
      const health = await request(suite.http).get('/health').set(asRole('ops')).expect(200);
      const projector = (health.body as { projector: { position: string | null } }).projector;
      return projector.position !== null && BigInt(projector.position) >= (head ?? 0n)
        ? true
        : undefined;
    }, 'projection catches up');

    const marketing = await request(suite.http)
      .get('/analytics/marketing')
      .set(asRole('ops'))
      .expect(200);
    const fair = (
      marketing.body as {
        channel: string;
        campaign: string;
        won: number;
        wonRevenue: Record<string, string>;
      }[]
    ).find((row) => row.channel === 'trade_fair' && row.campaign === 'smau-milano');
    expect(fair?.won).toBe(1);
    expect(Number(fair?.wonRevenue.EUR)).toBe(28000);

    const sales = await request(suite.http).get('/analytics/sales').set(asRole('ops')).expect(200);
    const marco = (sales.body as { owner: string; won: number }[]).find(
      (row) => row.owner === 'marco.rossi',
    );
    expect(marco?.won).toBe(1);

    const reconciliation = await request(suite.http)
      .get('/analytics/reconciliation')
      .set(asRole('ops'))
      .expect(200);
    expect((reconciliation.body as { ok: boolean }).ok).toBe(true);

    const timeline = await request(suite.http)
      .get(`/leads/${leadId}/timeline`)
      .set(asRole('ops'))
      .expect(200);
    expect((timeline.body as { events: { type: string }[] }).events.map((e) => e.type)).toEqual([
      'LeadCaptured',
      'TouchpointRecorded',
      'LeadProfiled',
      'LeadQualifiedAsMql',
      'LeadHandedToSales',
      'LeadAcceptedBySales',
      'LeadQualifiedAsSql',
      'OpportunityOpened',
      'DealWon',
    ]);
  });

  it('erasure redacts the contact in the timeline and blocks further commands', async () => {
    const leadId = await capture();
    await post(`/leads/${leadId}/erase`, 'marketing', { reason: 'gdpr request' }).expect(403);
    await post(`/leads/${leadId}/erase`, 'ops', { reason: 'gdpr request' }).expect(200);
    const timeline = await request(suite.http)
      .get(`/leads/${leadId}/timeline`)
      .set(asRole('ops'))
      .expect(200);
    const body = timeline.body as {
      status: string;
      events: { data: { contact?: { email: string } } }[];
    };
    expect(body.status).toBe('erased');
    expect(body.events[0]?.data.contact?.email).toBe('[erased]');
    await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      kind: 'page_view',
      channel: 'web',
    }).expect(422);
  });
});

describe('the shared dictionary', () => {
  it('starts with the shipped definition as version 1', async () => {
    const response = await request(suite.http).get('/definitions').set(asRole('ops')).expect(200);
    expect(response.body).toMatchObject({ active: 1, versions: [{ version: 1 }] });
  });

  it('refuses an invalid draft naming each field, and a skipped version number', async () => {
    const invalid = await post('/definitions', 'ops', {
      ...defaultFunnelDefinition,
      version: 2,
      mql: { ...defaultFunnelDefinition.mql, threshold: 140 },
      icp: { ...defaultFunnelDefinition.icp, countries: ['Italy'] },
    }).expect(400);
    const fields = (invalid.body as { errors: { field: string }[] }).errors.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['mql.threshold', 'icp.countries.0']));
    await post('/definitions', 'ops', { ...defaultFunnelDefinition, version: 5 }).expect(422);
    await post('/definitions', 'marketing', { ...defaultFunnelDefinition, version: 2 }).expect(403);
  });

  it('an activated stricter version decides new MQLs and is recorded in the event', async () => {
    const strict = {
      ...defaultFunnelDefinition,
      version: 2,
      mql: { ...defaultFunnelDefinition.mql, threshold: 90 },
    };
    await post('/definitions', 'ops', strict).expect(201);
    await activate(2);
    const leadId = await capture();
    await post(`/leads/${leadId}/touchpoints`, 'marketing', {
      kind: 'demo_request',
      channel: 'web',
    }).expect(200);
    await post(`/leads/${leadId}/profile`, 'marketing', { role: 'cmo' }).expect(200);
    const refused = await post(`/leads/${leadId}/mql`, 'marketing').expect(422);
    expect((refused.body as { detail: string }).detail).toContain('rules version 2');
    const lenient = { ...strict, version: 3, mql: { ...strict.mql, threshold: 50 } };
    await post('/definitions', 'ops', lenient).expect(201);
    await activate(3);
    await post(`/leads/${leadId}/mql`, 'marketing').expect(200);
    const events = await suite.api.store.readStream(leadStreamId(leadId));
    expect(events.at(-1)?.data).toMatchObject({ rulesVersion: 3, threshold: 50 });
  });
});

it('serves OpenAPI at /docs and health at /health', async () => {
  await request(suite.http).get('/docs').set(asRole('ops')).expect(200);
  const spec = await request(suite.http).get('/docs-json').set(asRole('ops')).expect(200);
  expect(Object.keys((spec.body as { paths: object }).paths)).toEqual(
    expect.arrayContaining(['/leads', '/leads/{leadId}/handoff', '/definitions', '/health']),
  );
});
