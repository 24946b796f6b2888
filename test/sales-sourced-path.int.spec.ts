/**
 * The sales-sourced path end to end on real engines (PGlite + chDB, ADR 0008): a lead sales
 * found themselves is handed over without an MQL through the API, only by a role that may,
 * only from a listed source; the funnel read back over HTTP (JSON and CSV) shows it on its
 * own path, never as an MQL, and reconciliation still agrees.
 */
import type { Role } from '@tandem/domain';
import request from 'supertest';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { funnelApiPerFile } from './support/funnel-api.fixture';

jest.setTimeout(120_000);

const suite = funnelApiPerFile('sales-sourced');

const post = (path: string, role: Role, body: object = {}) =>
  request(suite.http)
    .post(path)
    .set(asRole(role, `${role}-tester`))
    .send(body);
const get = (path: string) => request(suite.http).get(path).set(asRole('ops'));

async function capture(channel: string): Promise<string> {
  const captured = await post('/leads', 'marketing', {
    contact: { name: 'Anna Weber', email: 'anna@example.com' },
    company: { name: 'Weber GmbH', industry: 'manufacturing', size: 400, country: 'DE' },
    source: { channel },
    consent: { marketing: false },
  }).expect(201);
  return (captured.body as { leadId: string }).leadId;
}

async function caughtUp(): Promise<void> {
  const head = await suite.api.store.headPosition();
  await eventually(async () => {
    const health = await get('/health').expect(200);
    const projector = (health.body as { projector: { caughtUp?: boolean; position: string } })
      .projector;
    return projector.caughtUp === true && BigInt(projector.position) >= (head ?? 0n)
      ? true
      : undefined;
  }, 'projection catches up');
}

let direct: string;

beforeAll(async () => {
  // Sales met Anna at a trade fair: straight to sales, accepted, no MQL ever.
  direct = await capture('trade_fair');
  await post(`/leads/${direct}/sales-sourced-handoff`, 'sales', {
    owner: 'marco.rossi',
    team: 'emea',
    source: 'event_contact',
  }).expect(200);
  await post(`/leads/${direct}/accept`, 'sales').expect(200);

  // A lead captured by marketing that never qualified.
  await capture('web');
  await caughtUp();
});

it('records the path and the source on the hand-off', async () => {
  const timeline = await request(suite.http)
    .get(`/leads/${direct}/timeline`)
    .set(asRole('ops'))
    .expect(200);
  const { events } = timeline.body as { events: { type: string; data: Record<string, unknown> }[] };
  expect(events.find((event) => event.type === 'LeadHandedToSales')?.data).toMatchObject({
    owner: 'marco.rossi',
    path: 'sales_sourced',
    salesSource: 'event_contact',
  });
  expect(events.some((event) => event.type === 'LeadQualifiedAsMql')).toBe(false);
});

it('refuses the path to marketing, an unlisted source, and a lead already in sales', async () => {
  const lead = await capture('web');
  const body = { owner: 'marco.rossi', source: 'event_contact' };
  await post(`/leads/${lead}/sales-sourced-handoff`, 'marketing', body).expect(403);
  const unlisted = await post(`/leads/${lead}/sales-sourced-handoff`, 'sales', {
    ...body,
    source: 'cold_call',
  }).expect(422);
  expect(JSON.stringify(unlisted.body)).toContain('cold_call is not in the shared list');
  // Domain refusals are 422s that say why.
  const again = await post(`/leads/${direct}/sales-sourced-handoff`, 'sales', body).expect(422);
  expect(JSON.stringify(again.body)).toContain('only a lead in nurturing can go to sales directly');
  // The marketing hand-off still needs an MQL.
  const skipped = await post(`/leads/${lead}/handoff`, 'marketing', { owner: 'marco.rossi' });
  expect(skipped.status).toBe(422);
  expect(JSON.stringify(skipped.body)).toContain('only an MQL');
});

it('shows the funnel by path: monotonic, the sales-sourced lead never an MQL', async () => {
  await caughtUp();
  const funnel = (await get('/analytics/funnel').expect(200)).body as {
    path: string;
    stage: string;
    leads: number;
  }[];
  const counts = (path: string) =>
    Object.fromEntries(funnel.filter((row) => row.path === path).map((r) => [r.stage, r.leads]));
  // Marketing: the two leads captured by marketing (one is created by the refusal test).
  expect(counts('marketing')).toMatchObject({ captured: 2, mql: 0, handed_to_sales: 0 });
  expect(counts('sales_sourced')).toEqual({
    captured: 1,
    handed_to_sales: 1,
    accepted: 1,
    rejected: 0,
    sql: 0,
    opportunity: 0,
    won: 0,
    lost: 0,
  });

  const csv = await get('/analytics/funnel?format=csv').expect(200);
  expect(csv.text.split('\r\n')[0]).toBe('path,position,stage,leads,previousStage,conversion');
  expect(csv.text).toContain('sales_sourced,3,handed_to_sales,1,captured,1');

  const reconciliation = await get('/analytics/reconciliation').expect(200);
  expect(reconciliation.body).toMatchObject({ ok: true });
});
