/**
 * The HubSpot preset: a contacts export and a deals export (CSV, HubSpot's internal
 * property names as headers) become canonical facts, one lead per contact
 * (`hubspot:<hs_object_id>`). What each column means (docs/import.md has the table):
 * - `createdate` captures the lead (name, email, company, `industry`, `numemployees`,
 *   `country`, original source `hs_analytics_source` / `_data_1` as channel (HubSpot's
 *   sources mapped to Tandem's channels: `REFERRALS` → referral …) and campaign,
 *   `product_interest`, `timeframe`); `jobtitle` profiles it (role);
 * - `hs_lifecyclestage_marketingqualifiedlead_date` asks for the MQL (decided by the
 *   active rules, like any MQL);
 * - `hs_lifecyclestage_salesqualifiedlead_date` hands the lead to its owner, who
 *   accepts and qualifies it (criteria: budget, authority, need). A lead that reached
 *   sales without an MQL date takes the sales-sourced path (HandLeadToSalesDirectly,
 *   its source from the channel: event → event_contact, referral → referral, else
 *   outbound);
 * - a deal (`associated_contact_id`) opens the opportunity at its `createdate` with its
 *   `amount` and currency; `closedwon` / `closedlost` win or lose it at `closedate`, a
 *   loss with its `closed_lost_reason` mapped to the dictionary's codes — a reason
 *   the map lacks refuses the deal's lead with the row named. An open deal's `closedate`
 *   is the expected close date (a forecast, often ahead): it is not read.
 * Times without a zone are read as UTC. The preset never decides: rows only say what
 * happened; the Lead decider judges it.
 */
import { createHash } from 'node:crypto';
import { type LeadCommandType, parseLeadId } from '@tandem/domain';
import { UsageError } from '../../usage-error';
import type { ImportFact, ImportSource, RowRef, SourceRow } from '../import-fact';
import { channelOf, salesSourceOf, lookup } from './crm-channels';
import {
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
  unreadableTime,
  unreadableYesNo,
  yesNo,
} from './csv-rows';

const industries: Record<string, string> = {
  COMPUTER_SOFTWARE: 'software',
  INFORMATION_TECHNOLOGY_AND_SERVICES: 'software',
  MACHINERY: 'manufacturing',
  INDUSTRIAL_AUTOMATION: 'manufacturing',
  HOSPITAL_HEALTH_CARE: 'healthcare',
  MEDICAL_DEVICES: 'healthcare',
  FINANCIAL_SERVICES: 'financial_services',
  BANKING: 'financial_services',
};

const roles: Record<string, string> = {
  cmo: 'cmo',
  'chief marketing officer': 'cmo',
  'head of marketing': 'head_of_marketing',
  'vp marketing': 'head_of_marketing',
  'head of sales': 'head_of_sales',
  'vp sales': 'head_of_sales',
  cro: 'cro',
  'chief revenue officer': 'cro',
  ceo: 'ceo',
  'marketing operations manager': 'marketing_ops',
};

/**
 * Original source (`hs_analytics_source`, by its internal name or its label) → channel
 * (crm-channels.ts). `OFFLINE` covers contacts met in person but also those typed in or
 * imported by hand: read as `event`, as the sales-sourced path always read it (event_contact);
 * docs/import.md says how to import another reading.
 */
const channels: Record<string, string> = {
  organic_search: 'organic_search',
  paid_search: 'paid_search',
  email_marketing: 'email',
  social_media: 'organic_social',
  organic_social: 'organic_social',
  paid_social: 'social_ads',
  referrals: 'referral',
  ai_referrals: 'ai_referral',
  other_campaigns: 'other_campaigns',
  direct_traffic: 'web',
  offline: 'event',
  offline_sources: 'event',
};

const openStages: Record<string, string> = {
  appointmentscheduled: 'discovery',
  qualifiedtobuy: 'discovery',
  presentationscheduled: 'proposal',
  decisionmakerboughtin: 'proposal',
  contractsent: 'negotiation',
};

const lossReasons: Record<string, string> = {
  price: 'price',
  'too expensive': 'price',
  competitor: 'competitor',
  'went with competitor': 'competitor',
  'no decision': 'no_decision',
  unresponsive: 'no_decision',
  timing: 'timing',
  'bad timing': 'timing',
  'product fit': 'product_fit',
  'missing feature': 'product_fit',
};

/** What SQL means when HubSpot says only "SQL": three of the default dictionary's criteria. */
const SQL_CRITERIA = ['budget', 'authority', 'need'];

/** The columns read: the required ones the facts hang on, the optional ones that add to them. */
const CONTACT_COLUMNS = {
  required: ['hs_object_id', 'createdate', 'email'],
  optional: [
    'firstname',
    'lastname',
    'company',
    'industry',
    'numemployees',
    'country',
    'jobtitle',
    'hs_analytics_source',
    'hs_analytics_source_data_1',
    'product_interest',
    'timeframe',
    'hubspot_owner_id',
    'hs_email_optout',
    'hs_lifecyclestage_marketingqualifiedlead_date',
    'hs_lifecyclestage_salesqualifiedlead_date',
    'hs_lifecyclestage_opportunity_date',
  ],
};
// Without closedate a won or lost deal would stay open: its close is not optional.
const DEAL_COLUMNS = {
  required: ['associated_contact_id', 'dealstage', 'createdate', 'closedate'],
  optional: ['amount', 'deal_currency_code', 'closed_lost_reason'],
};

const CONTACT_CELLS = [...CONTACT_COLUMNS.required, ...CONTACT_COLUMNS.optional];
const DEAL_CELLS = [...DEAL_COLUMNS.required, ...DEAL_COLUMNS.optional];

export async function readHubspotExport(files: readonly string[]): Promise<ImportSource> {
  const csvs = await Promise.all(files.map(readCsv));
  const contacts = csvs.filter((csv) => csv.header.includes('email'));
  const deals = csvs.filter((csv) => csv.header.includes('dealstage'));
  for (const csv of csvs) {
    if (!contacts.includes(csv) && !deals.includes(csv)) {
      throw new UsageError(
        `${csv.file}: neither a HubSpot contacts export (an email column) nor a deals export (a dealstage column)`,
      );
    }
  }
  if (contacts.length === 0) throw new UsageError('the hubspot preset needs a contacts export');
  const notes = [
    ...contacts.flatMap((csv) => presetColumns('hubspot', csv, CONTACT_COLUMNS)),
    ...deals.flatMap((csv) => presetColumns('hubspot', csv, DEAL_COLUMNS)),
  ];
  const rows: SourceRow[] = [];
  const dealsByContact = new Map<string, { row: Row; where: RowRef }[]>();
  const dealsOfSeveral: { cell: string; contacts: string[]; where: RowRef }[] = [];
  for (const csv of deals) {
    for (const { row, where } of csv.rows) {
      const cell = (row.associated_contact_id ?? '').trim();
      const contacts = [...new Set(cell.split(CONTACT_LIST).map(contactKey))].filter(Boolean);
      if (contacts.length > 1) {
        dealsOfSeveral.push({ cell, contacts, where });
        continue;
      }
      const contact = contacts[0] ?? '';
      const list = dealsByContact.get(contact) ?? [];
      list.push({ row, where });
      dealsByContact.set(contact, list);
    }
  }
  const known = new Set<string>();
  for (const csv of contacts) {
    for (const { row, where } of csv.rows) {
      const id = contactKey(row.hs_object_id ?? '');
      const contactDeals = dealsByContact.get(id) ?? [];
      dealsByContact.delete(id);
      rows.push(...contactFacts(row, where, contactDeals));
      if (parseLeadId(`hubspot:${id}`).ok) known.add(id);
    }
  }
  // Deals whose contact is not in the export: refused alone, they name no lead we know.
  for (const [contact, list] of dealsByContact) {
    for (const { where } of list) {
      rows.push({
        ok: false,
        where,
        leadId: null,
        reason: `deal's associated_contact_id ${JSON.stringify(contact)} is not in the contacts export`,
      });
    }
  }
  // A deal of several contacts (HubSpot lists associations as `101;102`): a lead holds its own
  // opportunity, and whose this one is cannot be told. Refused alone, it left every contact
  // imported without it, each maybe half; so each contact of the export it names is refused.
  for (const { cell, contacts: named, where } of dealsOfSeveral) {
    const [leadId = null, ...otherLeadIds] = named
      .filter((contact) => known.has(contact))
      .map((contact) => `hubspot:${contact}`);
    const reason =
      `deal's associated_contact_id ${JSON.stringify(cell)} names ${named.length} contacts: ` +
      'a lead holds its own opportunity, and which contact this deal is of cannot be told';
    rows.push({
      ok: false,
      where,
      leadId,
      reason,
      ...(otherLeadIds.length ? { otherLeadIds } : {}),
    });
  }
  const hash = createHash('sha256').update('hubspot\n');
  for (const csv of [...contacts, ...deals]) hash.update(`${csv.hash}\n`);
  return { hash: hash.digest('hex'), name: files.join(' + '), rows, notes };
}

/** How a HubSpot export lists several associated records in one cell. */
const CONTACT_LIST = /[;,]/;

/**
 * A contact id as the lead id's canonical form writes it (`0101` is record 101, as
 * parseLeadId reads it), so a deal finds its contact however either cell writes the id; a
 * cell that is no record id is kept as written, for its refusal to name it.
 */
function contactKey(cell: string): string {
  const id = cell.trim();
  const parsed = parseLeadId(`hubspot:${id}`);
  return parsed.ok ? parsed.leadId.slice('hubspot:'.length) : id;
}

function contactFacts(
  row: Row,
  where: RowRef,
  deals: readonly { row: Row; where: RowRef }[],
): SourceRow[] {
  const id = (row.hs_object_id ?? '').trim();
  // The API's rule for a HubSpot id (libs/domain lead-id.ts): a record id is a positive int64,
  // so `0` or an id past int64 names no record and is refused here as the API refuses it.
  const parsed = parseLeadId(`hubspot:${id}`);
  if (!parsed.ok) {
    return [
      {
        ok: false,
        where,
        leadId: null,
        reason: `hs_object_id ${JSON.stringify(id)} is not a HubSpot record id: lead id ${parsed.problem}`,
      },
    ];
  }
  const leadId = parsed.leadId;
  const out: SourceRow[] = [];
  const refuse = (at: RowRef, reason: string) => out.push({ ok: false, where: at, leadId, reason });
  const fact = (
    type: LeadCommandType,
    at: RowRef,
    time: string | null,
    data: Record<string, unknown> = {},
    accountId: string | null = null,
  ) => {
    if (time === null) return;
    const fields: ImportFact = { leadId, type, occurredAt: time, data, accountId, where: at };
    out.push({ ok: true, fact: fields });
  };

  // A hidden character in any cell read, the deals' included, refuses the lead first.
  const hidden = [
    { row, where, columns: CONTACT_CELLS },
    ...deals.map((deal) => ({ ...deal, columns: DEAL_CELLS })),
  ]
    .map((cells) => ({ at: cells.where, reason: hiddenCharacterCell(cells.row, cells.columns) }))
    .find(({ reason }) => reason !== null);
  if (hidden?.reason) {
    refuse(hidden.at, hidden.reason);
    return out;
  }
  const created = time(row.createdate);
  if (created === null) {
    refuse(where, timeRefusal('createdate', row.createdate));
    return out;
  }
  const unreadable =
    unreadableTime(row, [
      'hs_lifecyclestage_marketingqualifiedlead_date',
      'hs_lifecyclestage_salesqualifiedlead_date',
      'hs_lifecyclestage_opportunity_date',
    ]) ??
    unreadableNumber(row, ['numemployees']) ??
    unreadableYesNo(row, ['hs_email_optout']) ??
    unreadableCountry(row, ['country']);
  if (unreadable !== null) {
    refuse(where, unreadable);
    return out;
  }
  const size = decimal(row.numemployees) ?? 0;
  const industry = text(row.industry);
  const code = country(row.country);
  const source = text(row.hs_analytics_source) ?? 'unknown';
  const channel = channelOf(source, channels, source.toLowerCase());
  fact('CaptureLead', where, created, {
    contact: {
      name: [text(row.firstname), text(row.lastname)].filter(Boolean).join(' ') || text(row.email),
      email: text(row.email),
    },
    company: {
      name: text(row.company) ?? '(unknown)',
      ...(industry === null
        ? {}
        : { industry: lookup(industries, industry) ?? industry.toLowerCase() }),
      ...(size > 0 ? { size } : {}),
      ...(code ? { country: code } : {}),
    },
    source: {
      channel,
      ...(text(row.hs_analytics_source_data_1) === null
        ? {}
        : { campaign: text(row.hs_analytics_source_data_1) }),
    },
    productInterest: text(row.product_interest),
    timeframe: text(row.timeframe),
    consent: { marketing: yesNo(row.hs_email_optout) !== true },
  });
  const title = text(row.jobtitle);
  if (title !== null) {
    const role =
      lookup(roles, title.toLowerCase()) ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    fact('ProfileLead', where, created, { role });
  }

  const mql = time(row.hs_lifecyclestage_marketingqualifiedlead_date);
  const [deal, ...moreDeals] = deals;
  const dealCreated = deal === undefined ? null : time(deal.row.createdate);
  const toSales =
    time(row.hs_lifecyclestage_salesqualifiedlead_date) ??
    time(row.hs_lifecyclestage_opportunity_date) ??
    dealCreated;
  fact('QualifyLeadAsMql', where, mql);
  if (toSales !== null) {
    const owner = `hubspot-owner:${text(row.hubspot_owner_id) ?? 'unassigned'}`;
    if (mql !== null) fact('HandLeadToSales', where, toSales, { owner });
    else {
      fact('HandLeadToSalesDirectly', where, toSales, { owner, source: salesSourceOf(channel) });
    }
    fact('AcceptLead', where, toSales);
    fact('QualifyLeadAsSql', where, toSales, { criteriaMet: SQL_CRITERIA });
  }
  if (deal !== undefined) dealFacts(deal.row, deal.where, fact, refuse);
  for (const extra of moreDeals) {
    refuse(
      extra.where,
      'a lead holds one opportunity at a time: a second deal of one contact is not imported',
    );
  }
  return out;
}

function dealFacts(
  row: Row,
  where: RowRef,
  fact: (
    type: LeadCommandType,
    at: RowRef,
    time: string | null,
    data?: Record<string, unknown>,
  ) => void,
  refuse: (at: RowRef, reason: string) => void,
): void {
  const stage = (text(row.dealstage) ?? '').toLowerCase();
  const amount = decimal(row.amount) ?? 0;
  const currency = text(row.deal_currency_code) ?? 'EUR';
  const created = time(row.createdate);
  if (created === null) return refuse(where, `deal ${timeRefusal('createdate', row.createdate)}`);
  const closed = stage === 'closedwon' || stage === 'closedlost';
  // An open deal's closedate is HubSpot's expected close date, a forecast that is mostly still
  // ahead: no fact hangs on it, so it is not read (read as a time, it refused the whole lead).
  const unreadable =
    (closed ? unreadableTime(row, ['closedate']) : null) ?? unreadableNumber(row, ['amount']);
  if (unreadable !== null) return refuse(where, `deal ${unreadable}`);
  // Said as the cell is: the opportunity's "amount: must be greater than 0" named no empty cell.
  if (text(row.amount) === null) return refuse(where, EMPTY_AMOUNT('deal amount'));
  const openStage = closed ? 'discovery' : lookup(openStages, stage);
  if (openStage === undefined)
    return refuse(
      where,
      `dealstage ${JSON.stringify(stage)} is not mapped to an opportunity stage`,
    );
  fact('OpenOpportunity', where, created, { stage: openStage, amount, currency });
  const closedAt = time(row.closedate);
  // A closed deal without its close time would stay open, its win or loss left out unsaid.
  if (closed && closedAt === null)
    return refuse(where, `deal ${timeRefusal('closedate', row.closedate)}`);
  if (stage === 'closedwon') fact('WinDeal', where, closedAt, { amount });
  if (stage === 'closedlost') {
    const raw = text(row.closed_lost_reason) ?? '';
    const reason = lookup(lossReasons, raw.toLowerCase());
    if (reason === undefined) {
      return refuse(
        where,
        `closed_lost_reason ${JSON.stringify(raw)} is not mapped to a loss reason of the dictionary`,
      );
    }
    fact('LoseDeal', where, closedAt, { reason, note: raw });
  }
}
