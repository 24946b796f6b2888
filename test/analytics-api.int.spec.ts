/**
 * The /analytics query API end to end on real engines (PGlite + chDB): leads driven over HTTP,
 * the embedded projector caught up, then the views read back as JSON and CSV, with filters,
 * pagination, the backward-compatible bare arrays, and 400s that name the parameter.
 */
import request from 'supertest';
import { eventually } from './support/eventually';
import { funnelApiPerFile } from './support/funnel-api.fixture';
import { postAs, qualifyAsMql } from './support/lead-commands';
import { asRole } from './support/auth-headers';

jest.setTimeout(120_000);

const suite = funnelApiPerFile('analytics-api');

const post = postAs(() => suite.http);
const get = (path: string) => request(suite.http).get(path).set(asRole('ops'));

/** A campaign name CSV must quote: a comma and double quotes. */
const awkwardCampaign = 'spring, "promo"';

async function mqlLead(source: { channel: string; campaign: string }, accountId?: string) {
  const captured = await post('/leads', 'marketing', {
    contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
    company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
    source,
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
    ...(accountId ? { accountId } : {}),
  }).expect(201);
  const leadId = (captured.body as { leadId: string }).leadId;
  await qualifyAsMql(post, leadId);
  return leadId;
}

interface Page<Row> {
  items: Row[];
  total: number;
  limit: number;
  offset: number;
}

/** Parses RFC 4180 as written by the API (CRLF records, quoted fields). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  expect(field).toBe(''); // every record ends in CRLF
  return records;
}

beforeAll(async () => {
  const { api } = suite;

  // Won: trade fair, account acme, owner marco.rossi (emea).
  const won = await mqlLead({ channel: 'trade_fair', campaign: 'smau-milano' }, 'acme');
  await post(`/leads/${won}/handoff`, 'marketing', { owner: 'marco.rossi', team: 'emea' }).expect(
    200,
  );
  await post(`/leads/${won}/accept`, 'sales').expect(200);
  await post(`/leads/${won}/sql`, 'sales', { criteriaMet: ['budget', 'need', 'timeline'] }).expect(
    200,
  );
  await post(`/leads/${won}/opportunity`, 'sales', {
    stage: 'discovery',
    amount: 30000,
    currency: 'EUR',
  }).expect(200);
  await post(`/leads/${won}/won`, 'sales', { amount: 28000 }).expect(200);

  // Rejected: web, awkward campaign, owner anna.weber (dach).
  const rejected = await mqlLead({ channel: 'web', campaign: awkwardCampaign });
  await post(`/leads/${rejected}/handoff`, 'marketing', {
    owner: 'anna.weber',
    team: 'dach',
  }).expect(200);
  await post(`/leads/${rejected}/reject`, 'sales', { reason: 'no_budget' }).expect(200);

  // MQL only: web, awkward campaign.
  await mqlLead({ channel: 'web', campaign: awkwardCampaign });

  const head = await api.store.headPosition();
  await eventually(async () => {
    const health = await get('/health').expect(200);
    const projector = (health.body as { projector: { caughtUp?: boolean; position: string } })
      .projector;
    return projector.caughtUp === true && BigInt(projector.position) >= (head ?? 0n)
      ? true
      : undefined;
  }, 'projection catches up');
});

describe('the four original endpoints stay backward compatible', () => {
  it('return bare arrays (and the reconciliation object) without limit/offset', async () => {
    const funnel = await get('/analytics/funnel').expect(200);
    const stages = funnel.body as { stage: string; leads: number }[];
    expect(Array.isArray(stages)).toBe(true);
    expect(stages[0]).toMatchObject({ stage: 'captured', leads: 3 });

    const marketing = (await get('/analytics/marketing').expect(200)).body as unknown[];
    expect(marketing).toHaveLength(2);
    const sales = (await get('/analytics/sales').expect(200)).body as { owner: string }[];
    expect(sales.map((row) => row.owner).sort()).toEqual(['anna.weber', 'marco.rossi']);
    const reconciliation = await get('/analytics/reconciliation').expect(200);
    expect(reconciliation.body).toMatchObject({ ok: true, checks: expect.any(Array) });
  });

  it('page when asked: { items, total, limit, offset }', async () => {
    const all = (await get('/analytics/funnel').expect(200)).body as unknown[];
    const page = (await get('/analytics/funnel?limit=2&offset=1').expect(200)).body as Page<{
      stage: string;
    }>;
    expect(page).toEqual({ items: all.slice(1, 3), total: all.length, limit: 2, offset: 1 });
  });

  it('filter the marketing lens by channel, exactly', async () => {
    const web = (await get('/analytics/marketing?channel=web').expect(200)).body as {
      channel: string;
      campaign: string;
      leads: number;
      mqls: number;
    }[];
    expect(web).toEqual([
      expect.objectContaining({ channel: 'web', campaign: awkwardCampaign, leads: 2, mqls: 2 }),
    ]);
    const none = (await get('/analytics/marketing?channel=WEB').expect(200)).body as unknown[];
    expect(none).toEqual([]);
  });
});

describe('the new views, paginated JSON', () => {
  it('attribution under a model, filtered by channel (first touch: the capture)', async () => {
    const page = (
      await get('/analytics/marketing/attribution?model=first_touch&channel=trade_fair').expect(200)
    ).body as Page<{ channel: string; campaign: string; wonRevenue: Record<string, string> }>;
    expect(page.total).toBe(1);
    expect(page).toMatchObject({ limit: 100, offset: 0 });
    expect(page.items[0]?.campaign).toBe('smau-milano');
    expect(Number(page.items[0]?.wonRevenue.EUR)).toBe(28000);
  });

  it('sales performance filtered by team, accounts by account, alignment as of a time', async () => {
    const emea = (await get('/analytics/sales/performance?team=emea').expect(200)).body as Page<{
      owner: string;
      won: number;
    }>;
    expect(emea.items).toEqual([expect.objectContaining({ owner: 'marco.rossi', won: 1 })]);

    const acme = (await get('/analytics/accounts?account=acme').expect(200)).body as Page<{
      account: string;
      won: number;
    }>;
    expect(acme).toMatchObject({ total: 1, items: [{ account: 'acme', won: 1 }] });

    const asOf = new Date(Date.now() + 3_600_000).toISOString();
    const alignment = (
      await get(`/analytics/alignment?asOf=${encodeURIComponent(asOf)}&channel=web`).expect(200)
    ).body as Page<{ handedToSales: number; rejectionReasons: Record<string, number> }>;
    expect(alignment.items).toEqual([
      expect.objectContaining({ handedToSales: 1, rejectionReasons: { no_budget: 1 } }),
    ]);
  });

  it('cohorts, time in stage and targets, with offset past the end', async () => {
    const cohorts = (await get('/analytics/funnel/cohorts?grain=month').expect(200)).body as Page<{
      captured: number;
    }>;
    expect(cohorts.items.reduce((sum, row) => sum + row.captured, 0)).toBe(3);
    const stages = (await get('/analytics/funnel/time-in-stage').expect(200)).body as Page<unknown>;
    expect(stages.total).toBeGreaterThan(0);
    const beyond = (await get('/analytics/funnel/time-in-stage?offset=1000').expect(200))
      .body as Page<unknown>;
    expect(beyond).toEqual({ items: [], total: stages.total, limit: 100, offset: 1000 });
    const targets = (await get('/analytics/targets').expect(200)).body as Page<unknown>;
    expect(targets).toMatchObject({ items: [], total: 0 });
  });
});

describe('CSV', () => {
  it('marketing lens via ?format=csv: RFC 4180, money flattened per currency', async () => {
    const response = await get('/analytics/marketing?format=csv').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['x-total-count']).toBe('2');
    const text = response.text;
    expect(text).toContain(`web,"spring, ""promo""",2,2`);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([
      'channel',
      'campaign',
      'leads',
      'mqls',
      'handedToSales',
      'salesSourced',
      'accepted',
      'rejected',
      'sqls',
      'opportunities',
      'won',
      'lost',
      'wonRevenue.EUR', // no open pipeline in any row: no pipeline column
      'mqlRate',
      'sqlRate',
    ]);
    const json = (await get('/analytics/marketing').expect(200)).body as {
      channel: string;
      campaign: string;
      wonRevenue: Record<string, string>;
    }[];
    expect(rows.map((row) => [row[0], row[1], row[12]])).toEqual(
      json.map((row) => [row.channel, row.campaign, row.wonRevenue.EUR ?? '']),
    );
  });

  it('chosen by Accept: text/csv, paged, header on every page', async () => {
    const response = await get('/analytics/funnel?limit=2&offset=2')
      .set('Accept', 'text/csv')
      .expect(200);
    const [header, ...rows] = parseCsv(response.text);
    expect(header).toEqual(['path', 'position', 'stage', 'leads', 'previousStage', 'conversion']);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.slice(0, 2)).toEqual(['marketing', '3']);
    expect(response.headers['x-total-count']).toBe(
      String(((await get('/analytics/funnel').expect(200)).body as unknown[]).length),
    );
  });

  it('sales performance flattens loss reasons; reconciliation lists its checks', async () => {
    const performance = await get('/analytics/sales/performance?format=csv&owner=anna.weber');
    const [header, row] = parseCsv(performance.text);
    expect(header?.slice(0, 3)).toEqual(['team', 'owner', 'handedToSales']);
    expect(row?.slice(0, 6)).toEqual(['dach', 'anna.weber', '1', '0', '0', '1']);

    const reconciliation = await get('/analytics/reconciliation?format=csv').expect(200);
    const [checksHeader, ...checks] = parseCsv(reconciliation.text);
    expect(checksHeader).toEqual(['metric', 'marketing', 'sales', 'events', 'ok']);
    expect(checks.every((check) => check[4] === 'true')).toBe(true);
  });
});

describe('a bad query is a 400 naming the parameter', () => {
  const issuesOf = (body: unknown) =>
    (body as { errors: { in: string; field: string }[] }).errors.map(
      (issue) => `${issue.in}:${issue.field}`,
    );

  it.each([
    ['/analytics/marketing/attribution?model=bogus', 'model'],
    ['/analytics/marketing/attribution', 'model'],
    ['/analytics/funnel/cohorts?grain=day', 'grain'],
    ['/analytics/funnel?limit=5000', 'limit'],
    ['/analytics/accounts?limit=0', 'limit'],
    ['/analytics/accounts?offset=-1', 'offset'],
    ['/analytics/marketing?capturedFrom=2024-01-01T00:00:00', 'capturedFrom'],
    [
      '/analytics/sales?capturedFrom=2024-02-01T00:00:00Z&capturedTo=2024-01-01T00:00:00Z',
      'capturedTo',
    ],
    ['/analytics/alignment?asOf=yesterday', 'asOf'],
    // Days the month lacks and hour 24: Date.parse would roll them over to another day.
    ['/analytics/marketing?capturedFrom=2025-02-30T00:00:00Z', 'capturedFrom'],
    ['/analytics/funnel?capturedTo=2025-04-31T10:00Z', 'capturedTo'],
    ['/analytics/alignment?asOf=2025-01-06T24:00:00%2B01:00', 'asOf'],
    ['/analytics/marketing?chanel=web', 'chanel'],
    ['/analytics/funnel?channel=web', 'channel'],
    ['/analytics/targets?capturedFrom=2024-01-01T00:00:00Z', 'capturedFrom'],
    ['/analytics/sales?owner=', 'owner'],
    ['/analytics/marketing?format=xml', 'format'],
    ['/analytics/marketing?channel=web&channel=events', 'channel'],
  ])('%s → 400 naming %s', async (path, parameter) => {
    const response = await get(path).expect(400);
    expect(issuesOf(response.body)).toContain(`query:${parameter}`);
    expect((response.body as { detail: string }).detail).toContain(parameter);
  });

  it('a window bound in the captured cohort filters the funnel', async () => {
    const future = (
      await get('/analytics/funnel?capturedFrom=2200-01-01T00:00:00%2B02:00').expect(200)
    ).body as { leads: number }[];
    expect(future.every((row) => row.leads === 0)).toBe(true);
  });
});

it('documents every view in OpenAPI, with CSV as a response type', async () => {
  const spec = (await get('/docs-json').expect(200)).body as {
    paths: Record<string, { get?: { produces?: string[]; parameters?: { name: string }[] } }>;
  };
  for (const path of [
    '/analytics/funnel',
    '/analytics/funnel/time-in-stage',
    '/analytics/funnel/cohorts',
    '/analytics/marketing',
    '/analytics/marketing/attribution',
    '/analytics/sales',
    '/analytics/sales/performance',
    '/analytics/alignment',
    '/analytics/accounts',
    '/analytics/targets',
    '/analytics/reconciliation',
  ]) {
    expect(spec.paths[path]?.get).toBeDefined();
  }
  const attribution = spec.paths['/analytics/marketing/attribution']?.get;
  expect(attribution?.parameters?.map((p) => p.name)).toEqual(
    expect.arrayContaining(['model', 'capturedFrom', 'limit', 'offset', 'format', 'channel']),
  );
});
