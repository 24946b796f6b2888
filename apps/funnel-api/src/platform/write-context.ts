/**
 * The envelope context of an API write: who asked and under which correlation (from the
 * request), which lead/account and which business time (from the command). Every handler
 * builds it here, so what a request contributes to an envelope is decided once.
 */
import type { WriteContext } from '@tandem/event-store';
import type { RequestContext } from '../http/request-context';

export function writeContext(
  request: RequestContext,
  subject: {
    readonly occurredAt: string;
    readonly leadId?: string | null;
    readonly accountId?: string | null;
  },
): WriteContext {
  return {
    leadId: subject.leadId ?? null,
    accountId: subject.accountId ?? null,
    occurredAt: subject.occurredAt,
    correlationId: request.correlationId,
    causationId: request.causationId,
    actor: request.actor,
  };
}
