/**
 * The Salesforce preset: Leads, LeadHistory, Opportunities and OpportunityHistory CSV
 * exports (API field names as headers) become canonical facts, one lead per Lead record
 * (`salesforce:<Id>`, canonicalised to the 18-character id). What each part means
 * (docs/import.md has the table):
 * - a Lead captures at `CreatedDate` (`LeadSource` mapped to Tandem's channels: `Partner
 *   Referral` → referral …); `Title` profiles it;
 * - its `Status` changes in LeadHistory say what happened, in their order:
 *   `Marketing Qualified` → MQL (decided by the active rules); `Sales Accepted` → hand-off
 *   and acceptance (the sales-sourced path when no MQL came first); `Sales Qualified` → SQL;
 *   `Unqualified` → hand-off and rejection with `Rejection_Reason__c` mapped to the
 *   dictionary's codes (after an acceptance: recycled to nurturing, with that reason);
 * - a converted lead's opportunity (`ConvertedOpportunityId`) opens at its `CreatedDate`,
 *   its OpportunityHistory stage changes follow, `Closed Won` / `Closed Lost` end it (a loss
 *   with `Loss_Reason__c` mapped). A reason the maps lack refuses the lead, row named.
 * Every id the files are joined on is read in its 18-character form, so a file in either form,
 * or several files mixing them, name one record alike; a bad id refuses its row.
 * Times without a zone are read as UTC. The preset never decides: the Lead decider does.
 */
import { createHash } from 'node:crypto';
import { type LeadCommandType, parseLeadId, salesforceId } from '@tandem/domain';
import { UsageError } from '../../usage-error';
import type { ImportSource, RowRef, SourceRow } from '../import-fact';
import { channelOf, salesSourceOf, lookup } from './crm-channels';
import {
  type CsvFile,
  country,
  decimal,
  hiddenCharacterCell,
  EMPTY_AMOUNT,
  presetColumns,
  readCsv,
  type Row,
  text,
  time,
  timeRefusal,
  unreadableCountry,
  unreadableNumber,
  unreadableYesNo,
  yesNo,
} from './csv-rows';

interface Located {
  readonly row: Row;
  readonly where: RowRef;
}

const industries: Record<string, string> = {
  technology: 'software',
  software: 'software',
  manufacturing: 'manufacturing',
  healthcare: 'healthcare',
  finance: 'financial_services',
  banking: 'financial_services',
};
const roles: Record<string, string> = {
  cmo: 'cmo',
  'chief marketing officer': 'cmo',
  'vp marketing': 'head_of_marketing',
  'head of marketing': 'head_of_marketing',
  'vp sales': 'head_of_sales',
  'head of sales': 'head_of_sales',
  cro: 'cro',
  ceo: 'ceo',
};
/**
 * `LeadSource` → channel (crm-channels.ts): Salesforce's standard picklist (Web, Phone Inquiry,
 * Partner Referral, Purchased List, Other) and the values orgs commonly add.
 */
const channels: Record<string, string> = {
  web: 'web',
  phone_inquiry: 'phone',
  partner_referral: 'referral',
  employee_referral: 'referral',
  external_referral: 'referral',
  customer_referral: 'referral',
  referral: 'referral',
  word_of_mouth: 'referral',
  purchased_list: 'purchased_list',
  other: 'other',
  trade_show: 'trade_fair',
  event: 'event',
  seminar_internal: 'event',
  seminar_partner: 'event',
  webinar: 'webinar',
  advertisement: 'advertising',
  email: 'email',
  google_adwords: 'paid_search',
  google_ads: 'paid_search',
};
const rejectionReasons: Record<string, string> = {
  'no budget': 'no_budget',
  'not icp': 'not_icp',
  'wrong industry': 'not_icp',
  'wrong contact': 'wrong_contact',
  unreachable: 'not_reachable',
  'too early': 'too_early',
  duplicate: 'duplicate',
};
const stages: Record<string, string> = {
  prospecting: 'discovery',
  qualification: 'discovery',
  'needs analysis': 'discovery',
  'value proposition': 'proposal',
  'proposal/price quote': 'proposal',
  'negotiation/review': 'negotiation',
};
const lossReasons: Record<string, string> = {
  price: 'price',
  competitor: 'competitor',
  'lost to competitor': 'competitor',
  'no decision': 'no_decision',
  timing: 'timing',
  'product fit': 'product_fit',
};
const SQL_CRITERIA = ['budget', 'authority', 'need'];

const kinds = {
  leads: (h: readonly string[]) => h.includes('LeadSource') && h.includes('Email'),
  leadHistory: (h: readonly string[]) => h.includes('LeadId') && h.includes('Field'),
  opportunities: (h: readonly string[]) => h.includes('StageName') && h.includes('CloseDate'),
  opportunityHistory: (h: readonly string[]) =>
    h.includes('OpportunityId') && h.includes('StageName'),
};

/** The columns read per export: the required ones the facts hang on, the optional ones. */
const columns: Record<keyof typeof kinds, { required: string[]; optional: string[] }> = {
  leads: {
    required: ['Id', 'CreatedDate', 'Email', 'LeadSource'],
    optional: [
      'FirstName',
      'LastName',
      'Company',
      'Industry',
      'NumberOfEmployees',
      'Country',
      'Title',
      'Product_Interest__c',
      'Timeframe__c',
      'HasOptedOutOfEmail',
      'OwnerId',
      'Rejection_Reason__c',
      'ConvertedOpportunityId',
    ],
  },
  leadHistory: { required: ['LeadId', 'Field', 'NewValue', 'CreatedDate'], optional: [] },
  opportunities: {
    required: ['Id', 'StageName', 'CreatedDate'],
    optional: ['Amount', 'CurrencyIsoCode', 'Loss_Reason__c'],
  },
  opportunityHistory: {
    required: ['OpportunityId', 'StageName', 'CreatedDate'],
    optional: ['Amount'],
  },
};

export async function readSalesforceExport(files: readonly string[]): Promise<ImportSource> {
  const csvs = await Promise.all(files.map(readCsv));
  const of = (kind: keyof typeof kinds) => csvs.filter((csv) => kinds[kind](csv.header));
  for (const csv of csvs) {
    if (!Object.values(kinds).some((is) => is(csv.header))) {
      throw new UsageError(
        `${csv.file}: not a Salesforce Leads, LeadHistory, Opportunities or OpportunityHistory export`,
      );
    }
  }
  const leads = of('leads');
  if (leads.length === 0) throw new UsageError('the salesforce preset needs a Leads export');
  const notes = (Object.keys(kinds) as (keyof typeof kinds)[]).flatMap((kind) =>
    of(kind).flatMap((csv) => presetColumns('salesforce', csv, columns[kind])),
  );
  const rows: SourceRow[] = [];
  // Joined on the 18-character form: an export may name one record by either form.
  const byKey = (kind: keyof typeof kinds, key: string) => {
    const grouped = new Map<string, Located[]>();
    for (const csv of of(kind)) {
      for (const { row, where } of csv.rows) {
        const id = recordId(row, key);
        if (!id.ok) {
          rows.push({ ok: false, where, leadId: null, reason: id.reason });
          continue;
        }
        grouped.set(id.id, [...(grouped.get(id.id) ?? []), { row, where }]);
      }
    }
    return grouped;
  };
  const leadHistory = byKey('leadHistory', 'LeadId');
  const opportunities = byKey('opportunities', 'Id');
  const opportunityHistory = byKey('opportunityHistory', 'OpportunityId');

  for (const csv of leads) {
    for (const { row, where } of csv.rows) {
      const id = parseLeadId(`salesforce:${row.Id ?? ''}`);
      if (!id.ok) {
        rows.push({ ok: false, where, leadId: null, reason: `Id: ${id.problem}` });
        continue;
      }
      const converted = convertedOpportunityId(row);
      if (!converted.ok) {
        rows.push({ ok: false, where, leadId: id.leadId, reason: converted.reason });
        continue;
      }
      const opportunityId = converted.id ?? '';
      rows.push(
        ...leadFacts(
          id.leadId,
          { row, where },
          leadHistory.get(id.leadId.slice('salesforce:'.length)) ?? [],
          opportunities.get(opportunityId)?.[0],
          opportunityHistory.get(opportunityId) ?? [],
        ),
      );
    }
  }
  // After the leads' own rows: the plan orders leads as the rows first name them.
  rows.push(...sharedOpportunities(leads, opportunities));
  const hash = createHash('sha256').update('salesforce\n');
  for (const kind of Object.keys(kinds) as (keyof typeof kinds)[]) {
    for (const csv of of(kind)) hash.update(`${(csv satisfies CsvFile).hash}\n`);
  }
  return { hash: hash.digest('hex'), name: files.join(' + '), rows, notes };
}

type RecordId = { ok: true; id: string } | { ok: false; reason: string };

/** The record id in `row[column]`, in its 18-character form; a bad one names its problem. */
function recordId(row: Row, column: string): RecordId {
  const raw = (row[column] ?? '').trim();
  const id = salesforceId(raw);
  return id.ok
    ? { ok: true, id: id.leadId }
    : { ok: false, reason: `${column} ${JSON.stringify(raw)} ${id.problem}` };
}

/** A lead's `ConvertedOpportunityId`: null when it was not converted (the cell empty). */
function convertedOpportunityId(
  row: Row,
): { ok: true; id: string | null } | { ok: false; reason: string } {
  return text(row.ConvertedOpportunityId) === null
    ? { ok: true, id: null }
    : recordId(row, 'ConvertedOpportunityId');
}

/**
 * An opportunity several leads were converted into (Salesforce's conversion may attach a lead
 * to an existing opportunity): each lead opened it, won or lost it, and its amount was counted
 * once per lead. A lead holds its own opportunity, and whose this one is cannot be told, so the
 * opportunity's row refuses every lead that names it, whole.
 */
function sharedOpportunities(
  leads: readonly CsvFile[],
  opportunities: ReadonlyMap<string, readonly Located[]>,
): SourceRow[] {
  const convertedInto = new Map<string, string[]>();
  for (const csv of leads) {
    for (const { row } of csv.rows) {
      const id = parseLeadId(`salesforce:${row.Id ?? ''}`);
      const converted = convertedOpportunityId(row);
      const opportunityId = converted.ok ? converted.id : null;
      if (!id.ok || opportunityId === null || !opportunities.has(opportunityId)) continue;
      const named = convertedInto.get(opportunityId) ?? [];
      if (!named.includes(id.leadId)) named.push(id.leadId);
      convertedInto.set(opportunityId, named);
    }
  }
  return [...convertedInto].flatMap(([opportunityId, [leadId, ...otherLeadIds]]) => {
    const opportunity = opportunities.get(opportunityId)?.[0];
    if (leadId === undefined || otherLeadIds.length === 0 || opportunity === undefined) return [];
    const reason =
      `opportunity ${JSON.stringify(text(opportunity.row.Id))} is the ConvertedOpportunityId of ` +
      `${otherLeadIds.length + 1} leads: a lead holds its own opportunity, and which lead's it ` +
      'is cannot be told';
    return [{ ok: false, where: opportunity.where, leadId, otherLeadIds, reason }];
  });
}

function leadFacts(
  leadId: string,
  lead: Located,
  history: readonly Located[],
  opportunity: Located | undefined,
  opportunityHistory: readonly Located[],
): SourceRow[] {
  const out: SourceRow[] = [];
  const refuse = (where: RowRef, reason: string) => out.push({ ok: false, where, leadId, reason });
  const fact = (
    type: LeadCommandType,
    where: RowRef,
    at: string | null,
    data: Record<string, unknown> = {},
  ) => {
    if (at === null) return;
    out.push({ ok: true, fact: { leadId, type, occurredAt: at, data, accountId: null, where } });
  };
  const { row, where } = lead;
  // A hidden character in any cell read (the lead's, its status changes', its opportunity's)
  // refuses the lead first, naming the row holding it.
  const hidden = [
    { ...lead, kind: 'leads' as const },
    ...history
      .filter((change) => change.row.Field === 'Status')
      .map((change) => ({ ...change, kind: 'leadHistory' as const })),
    ...(opportunity === undefined ? [] : [{ ...opportunity, kind: 'opportunities' as const }]),
    ...opportunityHistory.map((change) => ({ ...change, kind: 'opportunityHistory' as const })),
  ]
    .map(({ row: cells, where: at, kind }) => {
      const read = [...columns[kind].required, ...columns[kind].optional];
      return { at, reason: hiddenCharacterCell(cells, read) };
    })
    .find(({ reason }) => reason !== null);
  if (hidden?.reason) {
    refuse(hidden.at, hidden.reason);
    return out;
  }
  const created = time(row.CreatedDate);
  if (created === null) {
    refuse(where, timeRefusal('CreatedDate', row.CreatedDate));
    return out;
  }
  const unreadable =
    unreadableNumber(row, ['NumberOfEmployees']) ??
    unreadableYesNo(row, ['HasOptedOutOfEmail']) ??
    unreadableCountry(row, ['Country']);
  if (unreadable !== null) {
    refuse(where, unreadable);
    return out;
  }
  const size = decimal(row.NumberOfEmployees) ?? 0;
  const industry = text(row.Industry);
  const code = country(row.Country);
  const leadSource = text(row.LeadSource) ?? 'unknown';
  const channel = channelOf(
    leadSource,
    channels,
    leadSource.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
  );
  fact('CaptureLead', where, created, {
    contact: {
      name: [text(row.FirstName), text(row.LastName)].filter(Boolean).join(' ') || text(row.Email),
      email: text(row.Email),
    },
    company: {
      name: text(row.Company) ?? '(unknown)',
      ...(industry === null
        ? {}
        : { industry: lookup(industries, industry.toLowerCase()) ?? industry }),
      ...(size > 0 ? { size } : {}),
      ...(code ? { country: code } : {}),
    },
    source: { channel },
    productInterest: text(row.Product_Interest__c),
    timeframe: text(row.Timeframe__c),
    consent: { marketing: yesNo(row.HasOptedOutOfEmail) !== true },
  });
  const title = text(row.Title);
  if (title !== null) {
    const role =
      lookup(roles, title.toLowerCase()) ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    fact('ProfileLead', where, created, { role });
  }

  let qualified = false;
  let inSales = false;
  let sql = false;
  const owner = `salesforce-owner:${text(row.OwnerId) ?? 'unassigned'}`;
  const handOff = (at: RowRef, when: string, accepted = true) => {
    if (qualified) fact('HandLeadToSales', at, when, { owner });
    else {
      fact('HandLeadToSalesDirectly', at, when, { owner, source: salesSourceOf(channel) });
    }
    if (accepted) fact('AcceptLead', at, when);
    inSales = true;
  };
  const statusChanges = history
    .filter(({ row: change }) => change.Field === 'Status')
    .map((change) => ({ ...change, at: time(change.row.CreatedDate) }))
    .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  for (const change of statusChanges) {
    const status = (text(change.row.NewValue) ?? '').toLowerCase();
    const at = change.at;
    if (at === null) {
      refuse(change.where, timeRefusal('CreatedDate', change.row.CreatedDate));
      continue;
    }
    if (status === 'marketing qualified') {
      fact('QualifyLeadAsMql', change.where, at);
      qualified = true;
    } else if (status === 'sales accepted') {
      handOff(change.where, at);
    } else if (status === 'sales qualified') {
      if (!inSales) handOff(change.where, at);
      fact('QualifyLeadAsSql', change.where, at, { criteriaMet: SQL_CRITERIA });
      sql = true;
    } else if (status === 'unqualified') {
      const raw = text(row.Rejection_Reason__c) ?? '';
      const reason = lookup(rejectionReasons, raw.toLowerCase());
      if (reason === undefined) {
        refuse(
          change.where,
          `Rejection_Reason__c ${JSON.stringify(raw)} is not mapped to a rejection reason of the dictionary`,
        );
      } else if (inSales) {
        // Accepted first, disqualified later: Tandem's lifecycle sends it back to nurturing.
        fact('RecycleLead', change.where, at, { reason: `${reason}: ${raw}` });
      } else {
        // Disqualified on arrival: the hand-off and sales' rejection of it.
        handOff(change.where, at, false);
        fact('RejectLead', change.where, at, { reason, note: raw });
      }
    }
  }
  if (opportunity !== undefined) {
    const opened = time(opportunity.row.CreatedDate);
    if (opened === null) {
      refuse(
        opportunity.where,
        `opportunity ${timeRefusal('CreatedDate', opportunity.row.CreatedDate)}`,
      );
      return out;
    }
    if (!inSales) handOff(opportunity.where, opened);
    if (!sql) fact('QualifyLeadAsSql', opportunity.where, opened, { criteriaMet: SQL_CRITERIA });
    opportunityFacts(opportunity, opened, opportunityHistory, fact, refuse);
  }
  return out;
}

function opportunityFacts(
  opportunity: Located,
  opened: string,
  history: readonly Located[],
  fact: (
    type: LeadCommandType,
    at: RowRef,
    when: string | null,
    data?: Record<string, unknown>,
  ) => void,
  refuse: (where: RowRef, reason: string) => void,
): void {
  const { row, where } = opportunity;
  const changes = history
    .map((change) => ({ ...change, at: time(change.row.CreatedDate) }))
    .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  const first = (text(changes[0]?.row.StageName) ?? text(row.StageName) ?? '').toLowerCase();
  let stage = lookup(stages, first) ?? 'discovery';
  const unreadable = unreadableNumber(row, ['Amount']);
  if (unreadable !== null) return refuse(where, unreadable);
  if (text(row.Amount) === null) return refuse(where, EMPTY_AMOUNT('Amount'));
  const amount = decimal(row.Amount) ?? 0;
  fact('OpenOpportunity', where, opened, {
    stage,
    amount,
    currency: text(row.CurrencyIsoCode) ?? 'EUR',
  });
  for (const change of changes) {
    if (change.at === null) {
      refuse(change.where, timeRefusal('CreatedDate', change.row.CreatedDate));
      return;
    }
    const name = (text(change.row.StageName) ?? '').toLowerCase();
    if (name === 'closed won') {
      const unreadable = unreadableNumber(change.row, ['Amount']);
      if (unreadable !== null) return refuse(change.where, unreadable);
      fact('WinDeal', change.where, change.at, { amount: decimal(change.row.Amount) || null });
      return;
    }
    if (name === 'closed lost') {
      const raw = text(row.Loss_Reason__c) ?? '';
      const reason = lookup(lossReasons, raw.toLowerCase());
      if (reason === undefined) {
        refuse(
          change.where,
          `Loss_Reason__c ${JSON.stringify(raw)} is not mapped to a loss reason of the dictionary`,
        );
      } else {
        fact('LoseDeal', change.where, change.at, { reason, note: raw });
      }
      return;
    }
    const next = lookup(stages, name);
    if (next === undefined) {
      refuse(
        change.where,
        `StageName ${JSON.stringify(name)} is not mapped to an opportunity stage`,
      );
      return;
    }
    if (next !== stage) {
      fact('ChangeOpportunityStage', change.where, change.at, { to: next });
      stage = next;
    }
  }
}
