/**
 * The bodies of POST /targets and POST /campaign-spend: the event's data plus the command
 * options. A target's owner may be left out: absent is null, a team-wide target (the
 * `targets` table writes it as owner ''), as a lead body's absent optional fields are null.
 * The TargetSet event schema itself keeps owner required, so a stored event always says it.
 * A spend's `spendId` is the client's id of it, held once (its event id derives from it); it is
 * not part of the event's data (the event id carries it), so the event's contract is unchanged.
 * The event schemas decode text and currencies as stored events hold them; a new fact's
 * names must show something and its currency be money (textSchema, currencySchema), as in
 * every lead command.
 */
import { currencySchema, eventDataSchemas, idTextSchema, textSchema } from '@tandem/contracts';
import { commandOptions } from '../leads/lead-command.requests';

export const targetRequest = eventDataSchemas.TargetSet.extend({
  owner: textSchema
    .nullable()
    .default(null)
    .describe('The sales owner the target is for; null or absent: team-wide'),
  ...commandOptions.shape,
});

export const spendRequest = eventDataSchemas.CampaignSpendRecorded.extend({
  campaign: textSchema,
  channel: textSchema,
  currency: currencySchema,
  spendId: idTextSchema
    .optional()
    .describe(
      'Your id of this spend (an invoice number, a day per ad account): recorded once. ' +
        'Absent: every request is a new spend',
    ),
  ...commandOptions.shape,
});
