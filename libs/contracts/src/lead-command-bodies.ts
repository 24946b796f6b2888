/**
 * The body of each lead command, as the API's requests (apps/funnel-api) and `tandem import`
 * (apps/cli) take it: one zod object per command, its fields those of the command's data.
 * Spelled once here because apps may not import each other, and an import must accept what
 * the API accepts. Each caller adds only what is its own: the API its options
 * (occurredAt, expectedRevision) and the lead and account ids of a capture; the importer
 * nothing. Ids the API mints when a body leaves them out (touchpoint, opportunity) are
 * optional here: the API mints them, an import derives them from the fact.
 * It must never accept a value the event schemas (event-schemas.ts) would refuse: every
 * bound comes from value-bounds.ts.
 */
import { DEFINITION_LIST_MAX, touchpointKinds } from '@tandem/domain';
import { z } from 'zod';
import { companySchema, contactSchema, moneySchema, sourceSchema } from './event-schemas';
import {
  companySizeSchema,
  countryCodeSchema,
  currencySchema,
  idTextSchema,
  leadIdSchema,
  noteSchema,
  positiveAmountSchema,
  textSchema,
  visitorIdsSchema,
} from './value-bounds';

const text = textSchema;
const nullableText = text.nullable().default(null);
const note = noteSchema.nullable().default(null);

export const NOTHING_TO_PROFILE =
  'names no field to profile: give at least one of industry, companySize, country, role, budget, timeline';

/** Whether a profile carries anything: the fold keeps the lead's value for every null field. */
export function profileNamesAField(data: Record<string, unknown>): boolean {
  return Object.values(data).some((value) => value !== null && value !== undefined);
}

export const leadCommandBodies = {
  // The API's capture adds the lead's and the account's ids around this body.
  CaptureLead: z.object({
    contact: contactSchema,
    company: companySchema,
    source: sourceSchema,
    productInterest: nullableText,
    timeframe: nullableText,
    consent: z.object({ marketing: z.boolean() }),
    // The anonymous visitors the lead was before capture (ADR 0012): their touches, recorded
    // by the tracking snippet, count for the lead from now on.
    visitorIds: visitorIdsSchema.optional(),
  }),
  RecordTouchpoint: z.object({
    touchpointId: idTextSchema.optional(),
    kind: z.enum(touchpointKinds),
    channel: text,
    campaign: nullableText,
    content: nullableText,
  }),
  // A partial update: a field left out (or null) keeps what the lead has, so one naming
  // nothing would append a LeadProfiled that carries nothing (see profileNamesAField).
  ProfileLead: z
    .object({
      industry: nullableText,
      companySize: companySizeSchema.nullable().default(null),
      country: countryCodeSchema.nullable().default(null),
      role: nullableText,
      budget: moneySchema.nullable().default(null),
      timeline: nullableText,
    })
    .refine(profileNamesAField, NOTHING_TO_PROFILE),
  QualifyLeadAsMql: z.object({}),
  HandLeadToSales: z.object({ owner: text, team: nullableText }),
  // The sales-sourced path (ADR 0008): `source` is a code of the dictionary's salesSourced list.
  HandLeadToSalesDirectly: z.object({ owner: text, team: nullableText, source: text }),
  AcceptLead: z.object({ note }),
  RejectLead: z.object({ reason: text, note }),
  // Codes of the definition's sql.criteria, so no more than a definition may list: unbounded,
  // 200,000 empty strings fitted the body limit and zod spent seconds naming each one.
  QualifyLeadAsSql: z.object({ criteriaMet: z.array(text).min(1).max(DEFINITION_LIST_MAX) }),
  OpenOpportunity: z.object({
    opportunityId: idTextSchema.optional(),
    stage: text,
    amount: positiveAmountSchema,
    currency: currencySchema,
  }),
  ChangeOpportunityStage: z.object({
    to: text,
    amount: positiveAmountSchema.nullable().default(null),
  }),
  WinDeal: z.object({ amount: positiveAmountSchema.nullable().default(null) }),
  LoseDeal: z.object({ reason: text, note }),
  RecycleLead: z.object({ reason: text }),
  MergeLead: z.object({ intoLeadId: leadIdSchema }),
  EraseLead: z.object({ reason: text }),
} as const;

export type LeadCommandBodyType = keyof typeof leadCommandBodies;
export type LeadCommandBody<T extends LeadCommandBodyType> = z.infer<(typeof leadCommandBodies)[T]>;
