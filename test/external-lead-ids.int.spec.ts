/**
 * Lead ids through the real API (PGlite + chDB, embedded projector): a source system's id
 * identifies a lead as well as a UUID does, every spelling of one id reaches the same stream
 * and the same lead_events rows, a malformed id is a 400 naming `leadId`, and a merge into a
 * lead that was never captured is a 404 that writes nothing.
 */
import { leadStreamId, type Role, salesforceSuffix } from '@tandem/domain';
import request from 'supertest';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';

jest.setTimeout(120_000);

/**
 * The test identity's headers. asRole is becoming synchronous (issue 12's bearer tokens);
 * Promise.resolve takes either form, so this file does not depend on which one is in.
 */
const identity = (role: Role): Promise<Record<string, string>> => Promise.resolve(asRole(role));

const suite = funnelApiPerFile('external-ids');

const captureBody = (leadId: string) => ({
  leadId,
  contact: { name: 'Ada Example', email: 'ada@example.com' },
  company: { name: 'Example Ltd' },
  source: { channel: 'crm_import' },
  consent: { marketing: false },
});

/** POSTs as `role` and checks the status; the response for further checks. */
const post = async (path: string, body: object, status: number, role: Role = 'marketing') =>
  request(suite.http)
    .post(path)
    .set(await identity(role))
    .send(body)
    .expect(status);

const touch = (leadId: string, status: number) =>
  post(`/leads/${leadId}/touchpoints`, { kind: 'page_view', channel: 'web' }, status);

const streamLength = async (leadId: string) =>
  (await suite.api.store.readStream(leadStreamId(leadId))).length;

/** lead_events rows per lead id, as the embedded projector wrote them. */
async function projectedLeadIds(): Promise<Map<string, number>> {
  const { client, database } = suite.api.app.get<AnalyticsHandle>(ANALYTICS);
  const result = await client.query({
    query:
      'SELECT lead_id, count() AS events FROM {db:Identifier}.lead_events FINAL GROUP BY lead_id',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ lead_id: string; events: string }>();
  return new Map(rows.map((row) => [row.lead_id, Number(row.events)]));
}

describe('external lead ids', () => {
  it('captures a HubSpot lead and reaches it under every spelling of its id', async () => {
    const created = await post('/leads', captureBody('HubSpot:0001234'), 201);
    expect((created.body as { leadId: string }).leadId).toBe('hubspot:1234');
    expect(created.headers.location).toBe('/leads/hubspot:1234/timeline');
    await touch('hubspot:1234', 200);
    await touch('HUBSPOT:1234', 200);
    await touch('hubspot:01234', 200);
    expect(await streamLength('hubspot:1234')).toBe(4);
    // A second capture under another spelling is the same lead: refused (409
    // lead_already_captured), not a second lead.
    await post('/leads', captureBody('hubspot:1234'), 409);
    const timeline = await request(suite.http)
      .get('/leads/HubSpot:1234/timeline')
      .set(await identity('marketing'))
      .expect(200);
    expect((timeline.body as { leadId: string }).leadId).toBe('hubspot:1234');
  });

  it('makes the 15- and 18-character Salesforce ids of one record, in any case, one lead', async () => {
    const id15 = '00Q5e00000AbCdE';
    const id18 = `${id15}${salesforceSuffix(id15)}`;
    const created = await post('/leads', captureBody(`salesforce:${id15}`), 201);
    expect((created.body as { leadId: string }).leadId).toBe(`salesforce:${id18}`);
    await touch(`Salesforce:${id18.toLowerCase()}`, 200);
    await touch(`SALESFORCE:${id18.toUpperCase()}`, 200);
    expect(await streamLength(`salesforce:${id18}`)).toBe(3);
    // Same fifteen characters in another case: another Salesforce record, so no such lead.
    await touch(`salesforce:${id15.toLowerCase()}`, 404);
  });

  it('lower-cases a UUID, so an upper-case spelling does not capture a second lead', async () => {
    const lower = '0190d0b0-1111-7000-8000-00000000abcd';
    await post('/leads', captureBody(lower.toUpperCase()), 201);
    await touch(lower, 200);
    expect(await streamLength(lower)).toBe(2);
  });

  it('refuses a malformed id with a 400 naming leadId, in the path and in the body', async () => {
    const inPath = await touch('hubspot:12ab', 400);
    expect(inPath.body).toMatchObject({
      status: 400,
      errors: [
        {
          in: 'path',
          field: 'leadId',
          message: expect.stringMatching(/hubspot id that is not a number/) as unknown,
        },
      ],
    });
    await touch('not-a-lead-id', 400);
    const inBody = await post('/leads', captureBody('salesforce:tooShort'), 400);
    expect((inBody.body as { errors: { field: string }[] }).errors.map((i) => i.field)).toEqual([
      'leadId',
    ]);
  });

  it.each([
    ['hubspot:0', /hubspot id outside 1\.\./],
    ['salesforce:000000000000000AAA', /key prefix 000/],
    ['zoho:000', /zoho id of zeros only/],
    ['dynamics:00000000-0000-0000-0000-000000000000', /dynamics id of zeros only/],
    ['00000000-0000-0000-0000-000000000000', /nil or max UUID/],
  ])(
    'refuses %s, an id that names no record, with a 400 naming leadId and no lead',
    async (leadId, problem) => {
      const refused = await post('/leads', captureBody(leadId), 400);
      expect(refused.body).toMatchObject({
        code: 'invalid_request',
        errors: [
          { in: 'body', field: 'leadId', message: expect.stringMatching(problem) as unknown },
        ],
      });
      const inPath = await touch(leadId, 400);
      expect(inPath.body).toMatchObject({ errors: [{ in: 'path', field: 'leadId' }] });
      expect(await streamLength(leadId)).toBe(0);
    },
  );

  it('merges into an existing lead by any spelling, and a merge into a missing lead is a 404', async () => {
    await post('/leads', captureBody('hubspot:5001'), 201);
    await post('/leads', captureBody('hubspot:5002'), 201);
    const before = await streamLength('hubspot:5001');
    const missing = await post(
      '/leads/hubspot:5001/merge',
      { intoLeadId: 'hubspot:5999' },
      404,
      'ops',
    );
    expect(missing.body).toMatchObject({ code: 'lead_not_found' });
    expect(await streamLength('hubspot:5001')).toBe(before);
    const merged = await post(
      '/leads/hubspot:5001/merge',
      { intoLeadId: 'HubSpot:05002' },
      200,
      'ops',
    );
    expect((merged.body as { events: { type: string }[] }).events.map((e) => e.type)).toEqual([
      'LeadMerged',
    ]);
    const timeline = await request(suite.http)
      .get('/leads/hubspot:5001/timeline')
      .set(await identity('marketing'))
      .expect(200);
    const events = (timeline.body as { events: { type: string; data: { intoLeadId?: string } }[] })
      .events;
    expect(events.at(-1)?.data.intoLeadId).toBe('hubspot:5002');
  });

  it('projects the new ids unchanged into lead_events, one lead per id', async () => {
    await waitForProjection(suite.http);
    const projected = await projectedLeadIds();
    const id18 = `00Q5e00000AbCdE${salesforceSuffix('00Q5e00000AbCdE')}`;
    expect(projected.get('hubspot:1234')).toBe(4);
    expect(projected.get(`salesforce:${id18}`)).toBe(3);
    expect(projected.get('0190d0b0-1111-7000-8000-00000000abcd')).toBe(2);
    // No spelling other than the canonical one ever reached the store or the views.
    for (const leadId of projected.keys()) {
      expect(leadId).toMatch(
        /^(hubspot:[1-9]\d*|salesforce:[A-Za-z0-9]{15}[A-Z0-5]{3}|[0-9a-f-]{36})$/,
      );
    }
  });
});
