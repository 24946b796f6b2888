/**
 * The body of each importable fact and how it becomes the domain's LeadCommand —
 * the import's counterpart of the API's request schemas, built from the same
 * shared pieces of libs/contracts (contact, company, source, money). An app may
 * not import another app, so the shapes are spelled here; what keeps the two
 * paths equal is downstream: every event the decider returns is validated by the
 * one shared event schema (`eventDataSchemas`) before it is appended, as the
 * projector will validate it.
 * Ids the API mints when a client leaves them out (touchpoint, opportunity) stay
 * empty here; lead-facts.decider.ts derives them deterministically.
 */
import {
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
import { type LeadCommand, type LeadCommandType, touchpointKinds } from '@tandem/domain';
import { z } from 'zod';

const text = textSchema;
const nullableText = text.nullable().default(null);
const note = noteSchema.nullable().default(null);
const positiveAmount = positiveAmountSchema;
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');

/** A schema whose output is the command's data. */
type CommandSchema = z.ZodType<LeadCommand['data']>;

/** Checks at compile time that the schema yields exactly the data of command `T`. */
function command<T extends LeadCommandType>(
  schema: z.ZodType<Extract<LeadCommand, { type: T }>['data']>,
): CommandSchema {
  return schema;
}

export const importCommandSchemas: Partial<Record<LeadCommandType, CommandSchema>> = {
  CaptureLead: command<'CaptureLead'>(
    z.object({
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
  ),
  RecordTouchpoint: command<'RecordTouchpoint'>(
    z.object({
      touchpointId: text.optional().transform((value) => value ?? ''),
      kind: z.enum(touchpointKinds),
      channel: text,
      campaign: nullableText,
      content: nullableText,
    }),
  ),
  ProfileLead: command<'ProfileLead'>(
    z.object({
      industry: nullableText,
      companySize: companySizeSchema.nullable().default(null),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
        .nullable()
        .default(null),
      role: nullableText,
      budget: moneySchema.nullable().default(null),
      timeline: nullableText,
    }),
  ),
  QualifyLeadAsMql: command<'QualifyLeadAsMql'>(
    z.object({}).transform(() => ({}) as Record<string, never>),
  ),
  HandLeadToSales: command<'HandLeadToSales'>(z.object({ owner: text, team: nullableText })),
  // The sales-sourced path (no MQL): `source` is a code the dictionary's salesSourced declares.
  HandLeadToSalesDirectly: command<'HandLeadToSalesDirectly'>(
    z.object({ owner: text, team: nullableText, source: text }),
  ),
  AcceptLead: command<'AcceptLead'>(z.object({ note })),
  RejectLead: command<'RejectLead'>(z.object({ reason: text, note })),
  QualifyLeadAsSql: command<'QualifyLeadAsSql'>(z.object({ criteriaMet: z.array(text).min(1) })),
  OpenOpportunity: command<'OpenOpportunity'>(
    z.object({
      opportunityId: text.optional().transform((value) => value ?? ''),
      stage: text,
      amount: positiveAmount,
      currency,
    }),
  ),
  ChangeOpportunityStage: command<'ChangeOpportunityStage'>(
    z.object({ to: text, amount: positiveAmount.nullable().default(null) }),
  ),
  WinDeal: command<'WinDeal'>(z.object({ amount: positiveAmount.nullable().default(null) })),
  LoseDeal: command<'LoseDeal'>(z.object({ reason: text, note })),
  RecycleLead: command<'RecycleLead'>(z.object({ reason: text })),
  MergeLead: command<'MergeLead'>(z.object({ intoLeadId: leadIdSchema })),
};

/** Command names a canonical line may use. */
export const importableCommandTypes = Object.keys(importCommandSchemas) as LeadCommandType[];

export type ParsedCommand =
  | { readonly ok: true; readonly command: LeadCommand }
  | { readonly ok: false; readonly reason: string };

export function parseImportCommand(type: LeadCommandType, data: unknown): ParsedCommand {
  const schema = importCommandSchemas[type];
  if (schema === undefined) return { ok: false, reason: `${type} cannot be imported` };
  const result = schema.safeParse(data);
  if (!result.success)
    return { ok: false, reason: `${type}: invalid data: ${describe(result.error)}` };
  return { ok: true, command: { type, data: result.data } as LeadCommand };
}

export function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(data)'}: ${issue.message}`)
    .join('; ');
}
