/**
 * Replaying history under other rules, end to end on real engines (PGlite store, chDB):
 * a what-if checked number by number against counts made here straight from the raw events;
 * two replays of one set refused, one after the other or asked at the same moment; `apply` switching every view atomically while a client reads
 * in a loop, live decisions following; roll back; and views as of a business date.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultFunnelDefinition,
  evaluateMql,
  evolveLead,
  initialLeadState,
  leadStreamId,
  type FunnelDefinition,
} from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import { ApiClient } from '../apps/cli/src/api-client';
import { RuleReplays } from '../apps/funnel-api/src/rules/rule-replays.service';
import { applyRules } from '../apps/cli/src/rules/rules-apply.command';
import { whatIfRules } from '../apps/cli/src/rules/rules-what-if.command';
import { eventually } from './support/eventually';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import { recordingIo } from './support/rules-io';
import { type ScoredLead, scoredLeads } from './support/scored-leads';
import { asRole, testApiCredentials } from './support/auth-headers';

jest.setTimeout(300_000);

let dir: string;
let api: FunnelApiFixture;
let http: App;
let client: ApiClient;
const leads = scoredLeads(300);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-rules-replay-'));
  api = await startFunnelApi(join(dir, 'chdb'), { replayBatchLeads: 10 });
  await api.app.listen(0, '127.0.0.1');
  http = api.app.getHttpServer() as App;
  client = new ApiClient(await api.app.getUrl(), undefined, testApiCredentials);
  for (const lead of leads) {
    await api.store.append(leadStreamId(lead.leadId), lead.events, {
      expectedRevision: 'no_stream',
    });
  }
  await waitForProjection(http);
  // Version 1 was published before any lead existed: its rule set is complete as projected.
  await eventually(async () => {
    const { body } = await request(http).get('/ops/rules').set(asRole('ops')).expect(200);
    const sets = (body as { sets: { rulesVersion: number; status: string }[] }).sets;
    return sets.some((set) => set.rulesVersion === 1 && set.status === 'ready') ? true : undefined;
  }, 'version 1 ready');
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

// ---- the independent count: straight from the raw events, no ClickHouse ----

/** Would the lead qualify under `definition` after any of its events? */
function qualifies(definition: FunnelDefinition, lead: ScoredLead): boolean {
  let state = initialLeadState();
  for (const { event, occurredAt } of lead.story) {
    state = evolveLead(state, event, occurredAt);
    if (evaluateMql(definition, state.facts, occurredAt).qualifies) return true;
  }
  return false;
}

const reached = (lead: ScoredLead, type: string) => lead.story.some((e) => e.event.type === type);

function isMql(definition: FunnelDefinition, lead: ScoredLead, recordedCounts: boolean): boolean {
  const recorded = lead.story.some(
    (e) =>
      e.event.type === 'LeadQualifiedAsMql' && e.event.data.rulesVersion === definition.version,
  );
  return (recordedCounts && recorded) || qualifies(definition, lead);
}

const stricter: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL',
  mql: { ...defaultFunnelDefinition.mql, threshold: defaultFunnelDefinition.mql.threshold + 12 },
};

interface Report {
  stages: { stage: string; base: number; candidate: number }[];
  byChannel: {
    channel: string;
    campaign: string;
    base: Record<string, number>;
    candidate: Record<string, number>;
  }[];
  mqlToSql: { base: number | null; candidate: number | null };
  attribution: { base: { revenue: Record<string, string>; pipeline: Record<string, string> } };
  changedLeads: {
    count: number;
    becameMql: number;
    lostMql: number;
    sample: { leadId: string; base: boolean; candidate: boolean }[];
  };
}

describe('what-if', () => {
  it('reports every difference exactly as counted from the raw events', async () => {
    const file = join(dir, 'stricter.json');
    await writeFile(file, JSON.stringify(stricter));
    const io = recordingIo();
    expect(await whatIfRules(client, file, { json: true }, io)).toBe(0);
    const report = JSON.parse(io.out.join('\n')) as Report;

    const base = leads.map((lead) => isMql(defaultFunnelDefinition, lead, true));
    const candidate = leads.map((lead) => isMql(stricter, lead, false));
    const count = (flags: boolean[]) => flags.filter(Boolean).length;
    const facts = (type: string) => leads.filter((lead) => reached(lead, type)).length;

    // Counts per stage: MQL moves, the facts after it do not.
    const stage = (name: string) => report.stages.find((row) => row.stage === name)!;
    expect(stage('captured')).toEqual({ stage: 'captured', base: 300, candidate: 300 });
    expect(stage('mql')).toEqual({ stage: 'mql', base: count(base), candidate: count(candidate) });
    expect(count(candidate)).toBeLessThan(count(base)); // the stricter threshold bites
    for (const [name, type] of [
      ['handed_to_sales', 'LeadHandedToSales'],
      ['accepted', 'LeadAcceptedBySales'],
      ['rejected', 'LeadRejectedBySales'],
      ['sql', 'LeadQualifiedAsSql'],
      ['opportunity', 'OpportunityOpened'],
      ['won', 'DealWon'],
      ['lost', 'DealLost'],
    ] as const) {
      expect(stage(name)).toEqual({ stage: name, base: facts(type), candidate: facts(type) });
    }

    // Per channel and campaign.
    const pairs = [...new Set(leads.map((lead) => `${lead.channel}/${lead.campaign}`))].sort();
    expect(report.byChannel.map((row) => `${row.channel}/${row.campaign}`)).toEqual(pairs);
    for (const row of report.byChannel) {
      const members = leads
        .map((lead, i) => ({ lead, i }))
        .filter(({ lead }) => lead.channel === row.channel && lead.campaign === row.campaign);
      const side = (flags: boolean[]) => ({
        leads: members.length,
        mqls: members.filter(({ i }) => flags[i]).length,
        sqls: members.filter(({ lead }) => reached(lead, 'LeadQualifiedAsSql')).length,
        opportunities: members.filter(({ lead }) => reached(lead, 'OpportunityOpened')).length,
        won: members.filter(({ lead }) => reached(lead, 'DealWon')).length,
      });
      expect(row.base).toEqual(side(base));
      expect(row.candidate).toEqual(side(candidate));
    }

    // MQL -> SQL conversion: of each version's MQLs, those that became SQLs.
    const conversion = (flags: boolean[]) => {
      const mqls = leads.filter((_, i) => flags[i]);
      const sqls = mqls.filter((lead) => reached(lead, 'LeadQualifiedAsSql')).length;
      return Math.round((sqls / mqls.length) * 10_000) / 10_000;
    };
    expect(report.mqlToSql).toEqual({ base: conversion(base), candidate: conversion(candidate) });

    // Attributed revenue: every won amount is credited, whatever the model.
    const wonTotal = leads
      .flatMap((lead) => lead.story)
      .reduce((sum, e) => (e.event.type === 'DealWon' ? sum + e.event.data.amount : sum), 0);
    expect(Number(report.attribution.base.revenue.EUR)).toBe(wonTotal);

    // The leads whose classification changed: how many, which way, and the first ten by id.
    const changed = leads
      .map((lead, i) => ({ leadId: lead.leadId, base: base[i]!, candidate: candidate[i]! }))
      .filter((lead) => lead.base !== lead.candidate);
    expect(changed.length).toBeGreaterThan(0);
    expect(report.changedLeads.count).toBe(changed.length);
    expect(report.changedLeads.becameMql).toBe(changed.filter((lead) => lead.candidate).length);
    expect(report.changedLeads.lostMql).toBe(changed.filter((lead) => lead.base).length);
    expect(
      report.changedLeads.sample.map(({ leadId, base: b, candidate: c }) => ({
        leadId,
        base: b,
        candidate: c,
      })),
    ).toEqual(
      changed.sort((a, b) => (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0)).slice(0, 10),
    );

    // The draft was not published, and the active version did not change.
    const { body } = await request(http).get('/definitions').set(asRole('ops')).expect(200);
    expect((body as { active: number }).active).toBe(1);
  });

  it('refuses a second replay of the same rule set while the first runs', async () => {
    const draft = {
      ...stricter,
      version: 3,
      name: 'Even stricter',
      mql: { ...stricter.mql, threshold: 80 },
    };
    const first = await request(http)
      .post('/ops/rules/replays')
      .set(asRole('ops'))
      .send({ draft })
      .expect(202);
    const second = await request(http)
      .post('/ops/rules/replays')
      .set(asRole('ops'))
      .send({ draft })
      .expect(409);
    expect((second.body as { detail: string }).detail).toMatch(
      /a replay of rules version 3 \(sha [0-9a-f]{16}\) is already running/,
    );
    await request(http)
      .post('/ops/rules/replays')
      .set(asRole('marketing'))
      .send({ draft })
      .expect(403);
    const id = (first.body as { id: string }).id;
    await eventually(async () => {
      const { body } = await request(http)
        .get(`/ops/rules/replays/${id}`)
        .set(asRole('ops'))
        .expect(200);
      return (body as { status: string }).status === 'done' ? true : undefined;
    }, 'the first replay finishes');
  });

  it('refuses a second replay of one rule set asked for at the same moment', async () => {
    const draft: FunnelDefinition = {
      ...stricter,
      version: 3,
      name: 'Strictest',
      mql: { ...stricter.mql, threshold: 85 },
    };
    // Straight to the service, both calls in one tick: each start reads the set's state from
    // ClickHouse before it runs, and the second must not pass that check beside the first.
    const replays = api.app.get(RuleReplays);
    const outcomes = await Promise.allSettled([
      replays.start(draft, 'shadow'),
      replays.start(draft, 'shadow'),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(String((refused?.reason as Error | undefined)?.message)).toMatch(
      /a replay of rules version 3 \(sha [0-9a-f]{16}\) is already running/,
    );
    const started = outcomes.find((outcome) => outcome.status === 'fulfilled');
    const id = started?.status === 'fulfilled' ? started.value.id : '';
    expect((await replays.settled(id)).status).toBe('done');
  });
});

describe('apply', () => {
  it('switches every view at once while a client reads them, and rolls back', async () => {
    await request(http).post('/definitions').set(asRole('ops')).send(stricter).expect(201);
    // Published is not applied: views and decisions stay on version 1.
    const before = await request(http).get('/analytics/funnel').set(asRole('ops')).expect(200);
    expect(before.headers['x-tandem-rules-version']).toBe('1');
    const v1 = before.text;

    const seen: { version: string; body: string }[] = [];
    let applying = true;
    const reader = (async () => {
      while (applying) {
        const response = await request(http)
          .get('/analytics/funnel')
          .set(asRole('ops'))
          .expect(200);
        seen.push({
          version: String(response.headers['x-tandem-rules-version']),
          body: response.text,
        });
      }
    })();
    const io = recordingIo();
    const applied = await applyRules(client, 2, io);
    for (let i = 0; i < 5; i++) {
      const response = await request(http).get('/analytics/funnel').set(asRole('ops')).expect(200);
      seen.push({
        version: String(response.headers['x-tandem-rules-version']),
        body: response.text,
      });
    }
    applying = false;
    await reader;
    expect(applied).toBe(0);
    expect(io.out.join('\n')).toMatch(/rules version 2 is now active/);

    const v2 = (
      await request(http).get('/analytics/funnel?rulesVersion=2').set(asRole('ops')).expect(200)
    ).text;
    expect(v2).not.toEqual(v1);
    // Every answer is wholly version 1 or wholly version 2, and says which.
    for (const answer of seen) {
      expect(['1', '2']).toContain(answer.version);
      expect(answer.body).toBe(answer.version === '1' ? v1 : v2);
    }
    expect(seen.at(-1)!.version).toBe('2');
    const { body: definitions } = await request(http)
      .get('/definitions')
      .set(asRole('ops'))
      .expect(200);
    expect((definitions as { active: number }).active).toBe(2);

    // Old versions stay queryable, and rolling back is applying the previous version.
    expect(
      (await request(http).get('/analytics/funnel?rulesVersion=1').set(asRole('ops')).expect(200))
        .text,
    ).toBe(v1);
    expect(await applyRules(client, 1, recordingIo())).toBe(0);
    const back = await request(http).get('/analytics/funnel').set(asRole('ops')).expect(200);
    expect(back.headers['x-tandem-rules-version']).toBe('1');
    expect(back.text).toBe(v1);
  });

  it('refuses a version that is not published or not replayed', async () => {
    await request(http)
      .post('/ops/rules/activations')
      .set(asRole('ops'))
      .send({ version: 99 })
      .expect(404);
    await request(http).get('/analytics/funnel?rulesVersion=99').set(asRole('ops')).expect(404);
  });
});

describe('as of', () => {
  it('counts only the events that occurred up to the date, under any kept version', async () => {
    const times = leads.flatMap((lead) => lead.story.map((e) => Date.parse(e.occurredAt))).sort();
    const asOf = new Date(times[Math.floor(times.length / 2)]!).toISOString();
    const upTo = (lead: ScoredLead) => lead.story.filter((e) => e.occurredAt <= asOf);
    const reachedBy = (type: string) =>
      leads.filter((lead) => upTo(lead).some((e) => e.event.type === type)).length;

    for (const rulesVersion of [1, 2]) {
      const { body } = await request(http)
        .get(`/analytics/funnel?asOf=${asOf}&rulesVersion=${rulesVersion}`)
        .set(asRole('ops'))
        .expect(200);
      const rows = body as { stage: string; leads: number }[];
      const stage = (name: string) => rows.find((row) => row.stage === name)!.leads;
      expect(stage('captured')).toBe(reachedBy('LeadCaptured'));
      expect(stage('handed_to_sales')).toBe(reachedBy('LeadHandedToSales'));
      expect(stage('won')).toBe(reachedBy('DealWon'));
      const definition = rulesVersion === 1 ? defaultFunnelDefinition : stricter;
      const mqlsByThen = leads.filter((lead) => {
        const cut: ScoredLead = { ...lead, story: upTo(lead) };
        return cut.story.length > 0 && isMql(definition, cut, rulesVersion === 1);
      }).length;
      expect(stage('mql')).toBe(mqlsByThen);
      expect(stage('captured')).toBeLessThan(300);
    }
  });
});
