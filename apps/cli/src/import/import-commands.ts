/**
 * The body of each importable fact and how it becomes the domain's LeadCommand: the
 * shared lead-command bodies of libs/contracts, the same the API's requests are built on,
 * so an import accepts what the API accepts. Downstream, every event the decider returns
 * is also validated by the one shared event schema (`eventDataSchemas`) before it is
 * appended, as the projector will validate it.
 * Ids the API mints when a client leaves them out (touchpoint, opportunity) stay
 * empty here; lead-facts.decider.ts derives them deterministically.
 */
import { leadCommandBodies, safeParseStrict } from '@tandem/contracts';
import type { LeadCommand, LeadCommandType } from '@tandem/domain';
import type { z } from 'zod';

/** A schema whose output is the command's data. */
type CommandSchema = z.ZodType<LeadCommand['data']>;

/** Checks at compile time that the schema yields exactly the data of command `T`. */
function command<T extends LeadCommandType>(
  schema: z.ZodType<Extract<LeadCommand, { type: T }>['data']>,
): CommandSchema {
  return schema;
}

const body = leadCommandBodies;

// EraseLead is not history to import: erasure is a request of today, made through the API.
export const importCommandSchemas: Partial<Record<LeadCommandType, CommandSchema>> = {
  CaptureLead: command<'CaptureLead'>(body.CaptureLead),
  RecordTouchpoint: command<'RecordTouchpoint'>(
    body.RecordTouchpoint.transform((data) => ({ ...data, touchpointId: data.touchpointId ?? '' })),
  ),
  ProfileLead: command<'ProfileLead'>(body.ProfileLead),
  QualifyLeadAsMql: command<'QualifyLeadAsMql'>(
    body.QualifyLeadAsMql.transform(() => ({}) as Record<string, never>),
  ),
  HandLeadToSales: command<'HandLeadToSales'>(body.HandLeadToSales),
  HandLeadToSalesDirectly: command<'HandLeadToSalesDirectly'>(body.HandLeadToSalesDirectly),
  AcceptLead: command<'AcceptLead'>(body.AcceptLead),
  RejectLead: command<'RejectLead'>(body.RejectLead),
  QualifyLeadAsSql: command<'QualifyLeadAsSql'>(body.QualifyLeadAsSql),
  OpenOpportunity: command<'OpenOpportunity'>(
    body.OpenOpportunity.transform((data) => ({
      ...data,
      opportunityId: data.opportunityId ?? '',
    })),
  ),
  ChangeOpportunityStage: command<'ChangeOpportunityStage'>(body.ChangeOpportunityStage),
  WinDeal: command<'WinDeal'>(body.WinDeal),
  LoseDeal: command<'LoseDeal'>(body.LoseDeal),
  RecycleLead: command<'RecycleLead'>(body.RecycleLead),
  MergeLead: command<'MergeLead'>(body.MergeLead),
};

/** Command names a canonical line may use. */
export const importableCommandTypes = Object.keys(importCommandSchemas) as LeadCommandType[];

export type ParsedCommand =
  | { readonly ok: true; readonly command: LeadCommand }
  | { readonly ok: false; readonly reason: string };

export function parseImportCommand(type: LeadCommandType, data: unknown): ParsedCommand {
  const schema = importCommandSchemas[type];
  if (schema === undefined) return { ok: false, reason: `${type} cannot be imported` };
  // Strict as the API's bodies are: a field the command does not have is refused, not lost.
  const result = safeParseStrict(schema, data);
  if (!result.success)
    return { ok: false, reason: `${type}: invalid data: ${describe(result.error)}` };
  return { ok: true, command: { type, data: result.data } as LeadCommand };
}

export function describe(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: not a field of this command`)
        : [`${issue.path.length ? issue.path.join('.') : '(data)'}: ${issue.message}`],
    )
    .join('; ');
}
