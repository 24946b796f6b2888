/**
 * Turns a `:leadId` path parameter into the lead's canonical id (libs/domain lead-id.ts), so
 * every spelling of one id reaches the same stream. A malformed id is a 400 in the shape the
 * body pipe uses (`issues` naming the field), never a 404 for a lead that merely looks absent.
 */
import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { parseLeadId } from '@tandem/domain';

export class LeadIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const outcome = parseLeadId(value);
    if (outcome.ok) return outcome.leadId;
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: `invalid request: leadId: ${outcome.problem}`,
      issues: [{ field: 'leadId', message: outcome.problem }],
    });
  }
}
