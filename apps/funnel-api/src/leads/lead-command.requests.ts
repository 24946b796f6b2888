/**
 * HTTP request bodies of the lead commands, as zod schemas that turn a body into
 * the domain's LeadCommand. Every body may carry `occurredAt` (business time,
 * for imports; default: now) and `expectedRevision` (optimistic concurrency: the
 * revision the client last saw; a stale one is a 409).
 */
import {
  commandTimeSchema,
  idTextSchema,
  leadCommandBodies as body,
  leadIdSchema,
  NOTHING_TO_PROFILE,
  profileNamesAField,
} from '@tandem/contracts';
import type { LeadCommand } from '@tandem/domain';
import { z } from 'zod';

// The bodies are libs/contracts' lead-command bodies, the ones `tandem import` takes too;
// every bound in them comes from value-bounds.ts: what is accepted here is what the event
// schemas, and so the projector, accept.

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
    accountId: idTextSchema.optional(),
    ...body.CaptureLead.shape,
  })
  .transform(({ occurredAt, expectedRevision, leadId, accountId, ...data }) => ({
    options: { occurredAt, expectedRevision },
    leadId,
    accountId: accountId ?? null,
    command: { type: 'CaptureLead', data } satisfies LeadCommand,
  }));

export const leadRequests = {
  RecordTouchpoint: lead('RecordTouchpoint', body.RecordTouchpoint, (b) => ({
    touchpointId: b.touchpointId ?? '',
    kind: b.kind,
    channel: b.channel,
    campaign: b.campaign,
    content: b.content,
  })),
  // lead() extends the body's shape, which leaves its refinement behind: it is checked again.
  ProfileLead: lead('ProfileLead', body.ProfileLead, (b) => ({
    industry: b.industry,
    companySize: b.companySize,
    country: b.country,
    role: b.role,
    budget: b.budget,
    timeline: b.timeline,
  })).refine(({ command }) => profileNamesAField(command.data), NOTHING_TO_PROFILE),
  QualifyLeadAsMql: lead('QualifyLeadAsMql', body.QualifyLeadAsMql, () => ({})),
  HandLeadToSales: lead('HandLeadToSales', body.HandLeadToSales, (b) => ({
    owner: b.owner,
    team: b.team,
  })),
  HandLeadToSalesDirectly: lead('HandLeadToSalesDirectly', body.HandLeadToSalesDirectly, (b) => ({
    owner: b.owner,
    team: b.team,
    source: b.source,
  })),
  AcceptLead: lead('AcceptLead', body.AcceptLead, (b) => ({ note: b.note })),
  RejectLead: lead('RejectLead', body.RejectLead, (b) => ({ reason: b.reason, note: b.note })),
  QualifyLeadAsSql: lead('QualifyLeadAsSql', body.QualifyLeadAsSql, (b) => ({
    criteriaMet: b.criteriaMet,
  })),
  OpenOpportunity: lead('OpenOpportunity', body.OpenOpportunity, (b) => ({
    opportunityId: b.opportunityId ?? '',
    stage: b.stage,
    amount: b.amount,
    currency: b.currency,
  })),
  ChangeOpportunityStage: lead('ChangeOpportunityStage', body.ChangeOpportunityStage, (b) => ({
    to: b.to,
    amount: b.amount,
  })),
  WinDeal: lead('WinDeal', body.WinDeal, (b) => ({ amount: b.amount })),
  LoseDeal: lead('LoseDeal', body.LoseDeal, (b) => ({ reason: b.reason, note: b.note })),
  RecycleLead: lead('RecycleLead', body.RecycleLead, (b) => ({ reason: b.reason })),
  MergeLead: lead('MergeLead', body.MergeLead, (b) => ({ intoLeadId: b.intoLeadId })),
  EraseLead: lead('EraseLead', body.EraseLead, (b) => ({ reason: b.reason })),
} as const;

export type LeadRequestType = keyof typeof leadRequests;
export type ParsedLeadRequest = z.infer<(typeof leadRequests)[LeadRequestType]>;
