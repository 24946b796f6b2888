/**
 * Validation parity: for every bounded value of every event shape, the API's request decoding
 * and the projector's decoding (decodeStoredEvent, then the lead_events or planning row) agree
 * at the bound. A value the API accepts and the projector refuses is an event stored but never
 * projected (reconciliation fails for good); one the projector accepts and the API refuses
 * means the API is stricter than the data allows, which is only right for the business rules
 * named below (a command cannot be in the future; an opportunity or a deal is worth more
 * than 0), never for what ClickHouse can hold.
 */
import { toLeadEventRow, toPlanningFactRow } from '@tandem/analytics';
import { decodeStoredEvent, type KnownEventType } from '@tandem/contracts';
import { captureLeadRequest, leadRequests } from './leads/lead-command.requests';
import { spendRequest, targetRequest } from './planning/planning.requests';

// The planning controller's request schemas: the payload's schema plus the command options,
// its text and currency held to a new fact's rules.
const planningRequests = { TargetSet: targetRequest, CampaignSpendRecorded: spendRequest };

const OCCURRED_AT = '2026-03-01T09:00:00.000Z';

/** Whether the projector projects an event stored with this payload and business time. */
function projected(type: KnownEventType, data: unknown, occurredAt = OCCURRED_AT): boolean {
  const decoded = decodeStoredEvent({
    eventId: '0190d0b0-0000-7000-8000-000000000001',
    type,
    schemaVersion: 1,
    streamId: 'lead-hubspot:1',
    streamRevision: 0n,
    globalPosition: 1n,
    recordedAt: new Date(OCCURRED_AT),
    data,
    metadata: {
      leadId: 'hubspot:1',
      accountId: null,
      occurredAt,
      correlationId: 'parity',
      causationId: null,
      actor: { kind: 'user', id: 'parity@test', role: 'ops' },
    },
  });
  if (!decoded.ok) return false;
  const envelope = decoded.envelope;
  if (toLeadEventRow(envelope).kind === 'row') return true;
  const planning = toPlanningFactRow(envelope).kind;
  return planning === 'campaign_spend' || planning === 'target';
}

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, body: unknown) =>
  schema.safeParse(body).success;

/** A value at, just inside or just past a bound, for one field of one shape. */
interface Case {
  readonly value: unknown;
  /** Why the API may refuse what the projector could hold (a business rule), if it may. */
  readonly apiStricter?: string;
}
const cases = (...values: unknown[]): Case[] => values.map((value) => ({ value }));

const amounts = cases(
  0.0001,
  0.00001,
  1.5,
  1.2345,
  1.23456,
  123456789.1234,
  1e12,
  1e12 + 1,
  1e-7,
  -1,
  Number.MAX_VALUE,
);
const positiveOnly: Case = {
  value: 0,
  apiStricter: 'an opportunity or a deal is worth more than 0',
};
/**
 * Text made only of characters that show nothing (libs/domain hasVisibleCharacter): refused
 * for a new fact, still projected when an event recorded before the rule holds it.
 */
const invisibleTexts: Case[] = [
  '\u200B',
  '\u200C\u200D',
  '\u2060',
  '\uFEFF\u200B',
  '\u00AD',
  '\u0301',
  ' \u0301\u0302 ',
  '\u3164',
  '\u2800',
  '\uE000',
].map((value) => ({ value, apiStricter: 'a name of a new fact must show something' }));
/**
 * Text that shows but hides a character or reorders what it shows (libs/domain
 * hiddenCharacterOf, ADR 0010's addendum): refused for a new fact, still projected when an
 * event recorded before the rule holds it.
 */
const hiddenCharacterTexts: Case[] = [
  'a\u200Bb',
  'w\u200Deb',
  'spring \u202Egnirps',
  'a\u2066b',
  '\uFEFFweb',
].map((value) => ({ value, apiStricter: 'a label of a new fact hides no character' }));
const texts = [
  ...cases(
    'web',
    ' padded ',
    '',
    '   ',
    'x'.repeat(500),
    'x'.repeat(501),
    'nul\u0000here',
    'lone \uD800 surrogate',
    'emoji \uD83D\uDE00',
    'Cafe\u0301',
    '\u{1F600}',
    'می\u200Cخواهم',
  ),
  ...invisibleTexts,
  ...hiddenCharacterTexts,
];
/**
 * ISO 4217 codes that name no money (libs/domain NON_MONEY_CURRENCY_CODES): refused for a new
 * amount, still projected when an event recorded before the rule holds one.
 */
const currencies: Case[] = [
  ...cases('EUR', 'XAF', 'XCD', 'eur', 'EURO', 'E1R', ''),
  ...['XXX', 'XTS', 'XAU', 'XAG', 'XPD', 'XPT', 'XDR', 'XSU', 'XUA', 'XBA', 'XBD'].map((value) => ({
    value,
    apiStricter: 'a code that names no money prices no deal',
  })),
];

/**
 * Per field: the request body with the value (what the API decodes), and the event payload
 * with it (what the projector decodes). Both start from a valid body and payload.
 */
interface Field {
  readonly name: string;
  readonly request: { safeParse(value: unknown): { success: boolean } };
  readonly body: (value: unknown) => unknown;
  readonly type: KnownEventType;
  readonly data: (value: unknown) => unknown;
  readonly cases: readonly Case[];
}

const opportunity = { opportunityId: 'opp-1', stage: 'discovery', amount: 1000, currency: 'EUR' };
const profiled = {
  industry: null,
  companySize: null,
  country: null,
  role: null,
  budget: null,
  timeline: null,
};
const captured = {
  contact: { name: 'Ada', email: 'ada@example.com' },
  company: { name: 'Acme' },
  source: { channel: 'web' },
  productInterest: null,
  timeframe: null,
  consent: { marketing: true },
};
/**
 * Codes a new command may not name (libs/domain COUNTRY_CODES): they name no country, so a
 * new fact is refused; an event already stored with one still projects (history stays).
 */
const unassignedCountries: Case[] = ['ZZ', 'EU', 'UK', 'AA', 'XA'].map((value) => ({
  value,
  apiStricter: 'an unassigned code names no country',
}));
const spend = {
  campaign: 'q1',
  channel: 'paid_search',
  amount: 100,
  currency: 'EUR',
  spentOn: '2026-01-15',
};
const target = { team: 'sales', metric: 'won_deals', period: '2026-Q1', value: 10, owner: null };

/** The request of each shape whose body is the event's payload itself (plus options). */
const payloadRequests = {
  LeadCaptured: captureLeadRequest,
  CampaignSpendRecorded: planningRequests.CampaignSpendRecorded,
  TargetSet: planningRequests.TargetSet,
};

/** A field of a shape whose request body and event payload are one object. */
const sameShape = (
  name: string,
  type: keyof typeof payloadRequests,
  fieldCases: readonly Case[],
  put: (value: unknown) => unknown,
): Field => ({
  name,
  request: payloadRequests[type],
  body: put,
  type,
  data: put,
  cases: fieldCases,
});

const fields: Field[] = [
  {
    name: 'OpportunityOpened.currency',
    request: leadRequests.OpenOpportunity,
    body: (currency) => ({ stage: 'discovery', amount: 1000, currency }),
    type: 'OpportunityOpened',
    data: (currency) => ({ ...opportunity, currency }),
    cases: currencies,
  },
  {
    name: 'LeadProfiled.budget.currency',
    request: leadRequests.ProfileLead,
    body: (currency) => ({ budget: { amount: 10, currency } }),
    type: 'LeadProfiled',
    data: (currency) => ({ ...profiled, budget: { amount: 10, currency } }),
    cases: currencies,
  },
  sameShape('CampaignSpendRecorded.currency', 'CampaignSpendRecorded', currencies, (currency) => ({
    ...spend,
    currency,
  })),
  ...(
    [
      ['source', 'channel'],
      ['source', 'campaign'],
      ['source', 'medium'],
      ['source', 'content'],
      ['company', 'name'],
      ['company', 'industry'],
      ['contact', 'name'],
    ] as const
  ).map(([section, key]) =>
    sameShape(`LeadCaptured.${section}.${key}`, 'LeadCaptured', texts, (value) => ({
      ...captured,
      [section]: { ...captured[section], [key]: value },
    })),
  ),
  ...(['campaign', 'channel'] as const).map((key) =>
    sameShape(`CampaignSpendRecorded.${key}`, 'CampaignSpendRecorded', texts, (value) => ({
      ...spend,
      [key]: value,
    })),
  ),
  sameShape('TargetSet.owner', 'TargetSet', texts, (owner) => ({ ...target, owner })),
  {
    name: 'OpportunityOpened.stage',
    request: leadRequests.OpenOpportunity,
    body: (stage) => ({ stage, amount: 1000, currency: 'EUR' }),
    type: 'OpportunityOpened',
    data: (stage) => ({ ...opportunity, stage }),
    cases: texts,
  },
  {
    name: 'OpportunityOpened.amount',
    request: leadRequests.OpenOpportunity,
    body: (amount) => ({ stage: 'discovery', amount, currency: 'EUR' }),
    type: 'OpportunityOpened',
    data: (amount) => ({ ...opportunity, amount }),
    cases: [...amounts, positiveOnly],
  },
  {
    name: 'OpportunityStageChanged.amount',
    request: leadRequests.ChangeOpportunityStage,
    body: (amount) => ({ to: 'proposal', amount }),
    type: 'OpportunityStageChanged',
    data: (amount) => ({ opportunityId: 'opp-1', from: 'discovery', to: 'proposal', amount }),
    cases: [...amounts, positiveOnly],
  },
  {
    name: 'DealWon.amount',
    request: leadRequests.WinDeal,
    body: (amount) => ({ amount }),
    type: 'DealWon',
    data: (amount) => ({ opportunityId: 'opp-1', amount, currency: 'EUR' }),
    cases: [...amounts, positiveOnly],
  },
  {
    name: 'LeadProfiled.budget.amount',
    request: leadRequests.ProfileLead,
    body: (amount) => ({ budget: { amount, currency: 'EUR' } }),
    type: 'LeadProfiled',
    data: (amount) => ({ ...profiled, budget: { amount, currency: 'EUR' } }),
    cases: [...amounts, { value: 0 }],
  },
  {
    name: 'LeadProfiled.companySize',
    request: leadRequests.ProfileLead,
    body: (companySize) => ({ companySize }),
    type: 'LeadProfiled',
    data: (companySize) => ({ ...profiled, companySize }),
    cases: cases(0, 10_000_000, 10_000_001, -1, 2.5),
  },
  {
    name: 'LeadProfiled.country',
    request: leadRequests.ProfileLead,
    body: (country) => ({ country }),
    type: 'LeadProfiled',
    data: (country) => ({ ...profiled, country }),
    cases: [...cases('IT', 'XK', 'it', 'ITA', 'I', 1), ...unassignedCountries],
  },
  {
    name: 'LeadCaptured.company.country',
    request: captureLeadRequest,
    body: (country) => ({ ...captured, company: { ...captured.company, country } }),
    type: 'LeadCaptured',
    data: (country) => ({ ...captured, company: { ...captured.company, country } }),
    cases: [...cases('IT', 'XK', 'it', 'ITA'), ...unassignedCountries],
  },
  {
    name: 'TouchpointRecorded.channel',
    request: leadRequests.RecordTouchpoint,
    body: (channel) => ({ kind: 'page_view', channel }),
    type: 'TouchpointRecorded',
    data: (channel) => ({
      touchpointId: 'tp-1',
      kind: 'page_view',
      channel,
      campaign: null,
      content: null,
    }),
    cases: texts,
  },
  {
    name: 'LeadRejectedBySales.reason',
    request: leadRequests.RejectLead,
    body: (reason) => ({ reason }),
    type: 'LeadRejectedBySales',
    data: (reason) => ({ owner: 'marco', reason, note: null }),
    cases: texts,
  },
  {
    name: 'LeadHandedToSales.salesSource',
    request: leadRequests.HandLeadToSalesDirectly,
    body: (source) => ({ owner: 'marco', source }),
    type: 'LeadHandedToSales',
    data: (salesSource) => ({
      owner: 'marco',
      team: null,
      slaDueAt: '2026-03-02T09:00:00.000Z',
      rulesVersion: 1,
      path: 'sales_sourced',
      salesSource,
    }),
    cases: texts,
  },
  {
    name: 'CampaignSpendRecorded.amount',
    request: planningRequests.CampaignSpendRecorded,
    body: (amount) => ({ ...spend, amount }),
    type: 'CampaignSpendRecorded',
    data: (amount) => ({ ...spend, amount }),
    cases: [...amounts, { value: 0 }],
  },
  {
    name: 'CampaignSpendRecorded.spentOn',
    request: planningRequests.CampaignSpendRecorded,
    body: (spentOn) => ({ ...spend, spentOn }),
    type: 'CampaignSpendRecorded',
    data: (spentOn) => ({ ...spend, spentOn }),
    cases: cases('1900-01-01', '1899-12-31', '2299-12-31', '2300-01-01', '2024-02-30', '2024-2-3'),
  },
  {
    name: 'TargetSet.value',
    request: planningRequests.TargetSet,
    body: (value) => ({ ...target, value }),
    type: 'TargetSet',
    data: (value) => ({ ...target, value }),
    cases: [...amounts, { value: 0 }],
  },
  {
    name: 'TargetSet.period',
    request: planningRequests.TargetSet,
    body: (period) => ({ ...target, period }),
    type: 'TargetSet',
    data: (period) => ({ ...target, period }),
    cases: cases('1900-01', '1899-12', '1900-Q1', '2298-Q4', '2298-12', '2299-01', '2024-13'),
  },
];

describe('validation parity: the API decodes a bounded value as the projector does', () => {
  describe.each(fields)('$name', (field) => {
    it.each(field.cases.map((c) => [JSON.stringify(c.value), c] as const))('%s', (_, c) => {
      const api = accepts(field.request, field.body(c.value));
      const projector = projected(field.type, field.data(c.value));
      if (c.apiStricter !== undefined) {
        // Business rule, not representability: refused by the API, projectable if stored.
        expect({ api, projector }).toEqual({ api: false, projector: true });
      } else {
        expect({ api, projector }).toEqual({ api: projector, projector });
      }
    });
  });

  // occurredAt: the API stores `new Date(value).toISOString()`; an import may store it as given.
  const future = 'a command cannot have happened in the future';
  const times: Case[] = [
    ...cases(
      '1900-01-01T00:00:00.000Z',
      '1899-12-31T23:59:59.999Z',
      '1900-01-01T00:30:00+01:00',
      '1900-01-01T01:00:00+01:00',
      '1899-12-31T23:30:00-01:00',
      '2024-06-01T10:00:00+05:30',
      '2024-06-01T10:00:00.123456Z',
      '2024-02-30T10:00:00Z',
      '2024-06-01T10:00:00',
      '2024-06-01T10:00Z',
      '2024-06-01T10:00:00+0530',
      '2300-01-01T00:00:00.000Z',
      '0999-01-01T00:00:00Z',
    ),
    { value: '2299-12-31T23:59:59.999Z', apiStricter: future },
  ];
  const touchpoint = {
    touchpointId: 'tp-1',
    kind: 'page_view',
    channel: 'web',
    campaign: null,
    content: null,
  };

  it.each(times.map((c) => [c.value as string, c] as const))('occurredAt %s', (value, c) => {
    const api = accepts(leadRequests.RecordTouchpoint, {
      kind: 'page_view',
      channel: 'web',
      occurredAt: value,
    });
    const planningApi = accepts(planningRequests.TargetSet, { ...target, occurredAt: value });
    const asGiven = projected('TouchpointRecorded', touchpoint, value);
    expect(planningApi).toBe(api);
    if (c.apiStricter !== undefined) {
      expect({ api, asGiven }).toEqual({ api: false, asGiven: true });
      return;
    }
    expect({ api, asGiven }).toEqual({ api: asGiven, asGiven });
    if (api) {
      const stored = new Date(value).toISOString();
      expect(projected('TouchpointRecorded', touchpoint, stored)).toBe(true);
    }
  });
});
