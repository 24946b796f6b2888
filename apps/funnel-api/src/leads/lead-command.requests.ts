/**
 * HTTP request bodies of the lead commands, as zod schemas that turn a body into
 * the domain's LeadCommand. Every body may carry `occurredAt` (business time,
 * for imports; default: now) and `expectedRevision` (optimistic concurrency: the
 * revision the client last saw; a stale one is a 409).
 */
import {
  commandTimeSchema,
  companySchema,
  companySizeSchema,
  contactSchema,
  leadIdSchema,
  moneySchema,
  noteSchema,
  positiveAmountSchema,
  sourceSchema,
  textSchema,
  visitorIdsSchema,
} from '@tandem/contracts';
import { type LeadCommand, touchpointKinds } from '@tandem/domain';
import { z } from 'zod';

// Every bound comes from libs/contracts value-bounds.ts: what is accepted here is what the
// event schemas, and so the projector, accept.
const text = textSchema;
const note = noteSchema.nullable().default(null);

export const commandOptions = z.object({
  occurredAt: commandTimeSchema.optional(),
  expectedRevision: z.number().int().min(-1).optional(),
});
export type CommandOptions = z.infer<typeof commandOptions>;

/** A body schema plus how it becomes a LeadCommand. */
function lead<S extends z.ZodObject, C extends LeadCommand>(
  type: C['type'],
  shape: S,
  toData: (body: z.infer<S>) => C['data'],
) {
  return commandOptions.extend(shape.shape).transform((raw) => {
    // extend() over a generic shape loses the field types; the runtime shape is exact.
    const body = raw as CommandOptions & z.infer<S>;
    const options: CommandOptions = {
      occurredAt: body.occurredAt,
      expectedRevision: body.expectedRevision,
    };
    return { options, command: { type, data: toData(body) } as C };
  });
}

export const captureLeadRequest = commandOptions
  .extend({
    leadId: leadIdSchema.optional(),
    accountId: text.optional(),
    contact: contactSchema,
    company: companySchema,
    source: sourceSchema,
    productInterest: text.nullable().default(null),
    timeframe: text.nullable().default(null),
    consent: z.object({ marketing: z.boolean() }),
    // Anonymous visitors this lead was before capture: their touches become its (ADR 0012).
    visitorIds: visitorIdsSchema.optional(),
  })
  .transform(({ occurredAt, expectedRevision, leadId, accountId, ...data }) => ({
    options: { occurredAt, expectedRevision },
    leadId,
    accountId: accountId ?? null,
    command: { type: 'CaptureLead', data } satisfies LeadCommand,
  }));

export const leadRequests = {
  RecordTouchpoint: lead(
    'RecordTouchpoint',
    z.object({
      touchpointId: text.optional(),
      kind: z.enum(touchpointKinds),
      channel: text,
      campaign: text.nullable().default(null),
      content: text.nullable().default(null),
    }),
    (b) => ({
      touchpointId: b.touchpointId ?? '',
      kind: b.kind,
      channel: b.channel,
      campaign: b.campaign,
      content: b.content,
    }),
  ),
  ProfileLead: lead(
    'ProfileLead',
    z.object({
      industry: text.nullable().default(null),
      companySize: companySizeSchema.nullable().default(null),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
        .nullable()
        .default(null),
      role: text.nullable().default(null),
      budget: moneySchema.nullable().default(null),
      timeline: text.nullable().default(null),
    }),
    (b) => ({
      industry: b.industry,
      companySize: b.companySize,
      country: b.country,
      role: b.role,
      budget: b.budget,
      timeline: b.timeline,
    }),
  ),
  QualifyLeadAsMql: lead('QualifyLeadAsMql', z.object({}), () => ({})),
  HandLeadToSales: lead(
    'HandLeadToSales',
    z.object({ owner: text, team: text.nullable().default(null) }),
    (b) => ({ owner: b.owner, team: b.team }),
  ),
  // The sales-sourced path (ADR 0008): `source` is a code of the dictionary's salesSourced list.
  HandLeadToSalesDirectly: lead(
    'HandLeadToSalesDirectly',
    z.object({ owner: text, team: text.nullable().default(null), source: text }),
    (b) => ({ owner: b.owner, team: b.team, source: b.source }),
  ),
  AcceptLead: lead('AcceptLead', z.object({ note }), (b) => ({ note: b.note })),
  RejectLead: lead('RejectLead', z.object({ reason: text, note }), (b) => ({
    reason: b.reason,
    note: b.note,
  })),
  QualifyLeadAsSql: lead(
    'QualifyLeadAsSql',
    z.object({ criteriaMet: z.array(text).min(1) }),
    (b) => ({ criteriaMet: b.criteriaMet }),
  ),
  OpenOpportunity: lead(
    'OpenOpportunity',
    z.object({
      opportunityId: text.optional(),
      stage: text,
      amount: positiveAmountSchema,
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
    }),
    (b) => ({
      opportunityId: b.opportunityId ?? '',
      stage: b.stage,
      amount: b.amount,
      currency: b.currency,
    }),
  ),
  ChangeOpportunityStage: lead(
    'ChangeOpportunityStage',
    z.object({ to: text, amount: positiveAmountSchema.nullable().default(null) }),
    (b) => ({ to: b.to, amount: b.amount }),
  ),
  WinDeal: lead(
    'WinDeal',
    z.object({ amount: positiveAmountSchema.nullable().default(null) }),
    (b) => ({ amount: b.amount }),
  ),
  LoseDeal: lead('LoseDeal', z.object({ reason: text, note }), (b) => ({
    reason: b.reason,
    note: b.note,
  })),
  RecycleLead: lead('RecycleLead', z.object({ reason: text }), (b) => ({ reason: b.reason })),
  MergeLead: lead('MergeLead', z.object({ intoLeadId: leadIdSchema }), (b) => ({
    intoLeadId: b.intoLeadId,
  })),
  EraseLead: lead('EraseLead', z.object({ reason: text }), (b) => ({ reason: b.reason })),
} as const;

export type LeadRequestType = keyof typeof leadRequests;
export type ParsedLeadRequest = z.infer<(typeof leadRequests)[LeadRequestType]>;
