/**
 * Turns a `:leadId` path parameter into the lead's canonical id (libs/domain lead-id.ts), so
 * every spelling of one id reaches the same stream. A malformed id is a 400 problem naming
 * the path parameter, never a 404 for a lead that merely looks absent.
 */
import type { PipeTransform } from '@nestjs/common';
import { parseLeadId } from '@tandem/domain';
import { InvalidRequestError } from './problem-details';

export class LeadIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const outcome = parseLeadId(value);
    if (outcome.ok) return outcome.leadId;
    throw new InvalidRequestError([{ in: 'path', field: 'leadId', message: outcome.problem }]);
  }
}
