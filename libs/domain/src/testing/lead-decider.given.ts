/// <reference types="jest" />
/**
 * The Lead decider's specification harness: given events (all at `now`) → when a command →
 * then these events, or then this error. Test-only (a testing path: production never imports
 * it); each spec file names its own lead and clock.
 */
import type { DomainError } from '../errors';
import type { LeadCommand } from '../lead/lead.commands';
import { decideLead } from '../lead/lead.decider';
import type { LeadEvent } from '../lead/lead.events';
import { evolveLead, initialLeadState } from '../lead/lead.state';
import { defaultFunnelDefinition } from '../rules/default-funnel-definition';
import type { FunnelDefinition } from '../rules/funnel-definition';

export function leadDeciderSpecification(leadId: string, now: string) {
  return function given(
    events: LeadEvent[],
    definition: FunnelDefinition = defaultFunnelDefinition,
  ) {
    const state = events.reduce((s, e) => evolveLead(s, e, now), initialLeadState());
    const run = (command: LeadCommand) => decideLead(command, state, { leadId, definition, now });
    return {
      when: (command: LeadCommand) => ({
        then: (expected: LeadEvent[]) => expect(run(command)).toEqual(expected),
        thenFails: (error: new (...args: never[]) => DomainError, message?: RegExp) => {
          expect(() => run(command)).toThrow(error);
          if (message) expect(() => run(command)).toThrow(message);
        },
      }),
    };
  };
}
