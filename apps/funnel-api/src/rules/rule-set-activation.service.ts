/**
 * Activation of a published version, as one sequence the controller calls: the version must be
 * published (DefinitionVersionNotFoundError otherwise), its rule set ready and its rows computed
 * by this build's code (the lifecycle's RuleSetTransitionError `not_ready` or `facts_outdated`
 * otherwise — the HTTP edge renders both); then one
 * FunnelDefinitionActivated event switches new decisions at once, and the views once the
 * projector has projected it, which this waits for (bounded).
 *
 * It talks to rule sets only through RuleSetRepository, never the ClickHouse client, and never
 * authorises: the route's decorator and the command handler do.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  assertActivatable,
  assertFactsCurrent,
  describeRuleSet,
  ruleSetKey,
  type RuleSetKey,
} from '@tandem/analytics';
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
import { RuleReplays } from './rule-replays.service';

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
    private readonly replays: RuleReplays,
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
    const set = await ruleSets.find(key);
    const apply = `POST /ops/rules/applies {"version": ${version}}, or tandem rules apply ${version}`;
    assertActivatable(
      set,
      describeRuleSet(key),
      `replay it first (POST /ops/rules/replays {"version": ${version}}), or apply it ` +
        `(${apply}), which does both`,
    );
    // Refused, not re-derived here: an activation switches at once or not at all, and a
    // re-derivation is a replay (minutes at scale) that apply already runs and follows.
    assertFactsCurrent(
      set,
      describeRuleSet(key),
      this.replays.rederiving(key)
        ? 'it is being re-derived (GET /health lists it under ruleFacts.rederiving): activate it ' +
            `once that is done, or apply it (${apply}), which waits for that and then activates it`
        : `apply it (${apply}), which re-derives it and then activates it`,
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
