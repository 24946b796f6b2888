/**
 * Activation of a published version, as one sequence the controller calls: the version must be
 * published (DefinitionVersionNotFoundError otherwise), its rule set ready (the lifecycle's
 * RuleSetTransitionError `not_ready` otherwise — the HTTP edge renders both); then one
 * FunnelDefinitionActivated event switches new decisions at once, and the views once the
 * projector has projected it, which this waits for (bounded).
 *
 * It talks to rule sets only through RuleSetRepository, never the ClickHouse client, and never
 * authorises: the route's decorator and the command handler do.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { assertActivatable, describeRuleSet, ruleSetKey, type RuleSetKey } from '@tandem/analytics';
import { DefinitionVersionNotFoundError } from '@tandem/domain';
import { EmbeddedProjector } from '../projector/embedded-projector.service';
import {
  ActivateFunnelDefinition,
  type ActivationPreconditions,
  type ActivationResult,
} from '../definitions/activate-funnel-definition.handler';
import { ActiveDefinition } from '../definitions/active-definition.service';
import type { RequestContext } from '../http/request-context';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS } from '../platform/tokens';

/** How long activation waits for the views to read the new set before answering 202. */
export const ACTIVATION_WAIT_MS = 30_000;
/** How often it looks at active_rules meanwhile (a Kafka-fed projector gives no signal). */
const VIEWS_POLL_MS = 200;

export interface RuleSetActivationOutcome {
  readonly active: RuleSetKey;
  readonly previous: RuleSetKey | null;
  /** The activation in force after this request (its event id): the next one's precondition. */
  readonly activationId: string;
  /** False when the views did not read the new set within ACTIVATION_WAIT_MS (not yet, not never). */
  readonly viewsSwitched: boolean;
}

@Injectable()
export class RuleSetActivation {
  constructor(
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    private readonly definitions: ActiveDefinition,
    private readonly commands: CommandBus,
    @Optional() private readonly projector?: EmbeddedProjector,
  ) {}

  /** With preconditions: only while what they name is in force (the decider checks). */
  async activate(
    version: number,
    context: RequestContext,
    preconditions: ActivationPreconditions = {},
  ): Promise<RuleSetActivationOutcome> {
    const published = (await this.definitions.all()).find((entry) => entry.version === version);
    if (!published) throw new DefinitionVersionNotFoundError(version);
    const key = ruleSetKey(published.definition);
    const { ruleSets } = this.analytics;
    assertActivatable(
      await ruleSets.find(key),
      describeRuleSet(key),
      `replay it first (POST /ops/rules/replays {"version": ${version}}), or apply it ` +
        `(POST /ops/rules/applies {"version": ${version}}, or tandem rules apply ${version}), which does both`,
    );
    const previous = await ruleSets.activation();
    const activated: ActivationResult = await this.commands.execute(
      new ActivateFunnelDefinition(version, context, preconditions),
    );
    return {
      active: key,
      previous:
        previous === null
          ? null
          : { rulesVersion: previous.rulesVersion, definitionHash: previous.definitionHash },
      activationId: activated.eventId,
      viewsSwitched: await this.waitForViews(key, BigInt(activated.globalPosition)),
    };
  }

  /** True once active_rules names `key` at or after `position` (the projector got there). */
  private async waitForViews(key: RuleSetKey, position: bigint): Promise<boolean> {
    // The activation is recorded already: a projector between a rebuild's reset and its next
    // follow ("not started"), stopped by a rebuild, or still catching up only means the views
    // have not switched yet (202), never that the activation failed (it answered 500).
    if (this.projector) {
      await this.projector.waitFor(position, ACTIVATION_WAIT_MS).catch(() => undefined);
    }
    const deadline = Date.now() + ACTIVATION_WAIT_MS;
    for (;;) {
      if (await this.analytics.ruleSets.viewsRead(key, position)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, VIEWS_POLL_MS));
    }
  }
}
