/**
 * The shared dictionary's decider: given the `funnel-definitions` stream folded into
 * DictionaryState, which events does a command produce? Pure — no clock, no ids, no
 * I/O, no authorisation (who may issue a command is decided once, at the edge, by
 * access/permissions.ts). Refusals are typed domain errors.
 */
import {
  ActivationChangedError,
  ActiveVersionChangedError,
  DefinitionVersionNotFoundError,
  RuleViolationError,
} from '../errors';
import { definitionHash } from '../rules/definition-hash';
import { parseDefinitionToPublish } from '../rules/funnel-definition';
import type { DictionaryCommand } from './dictionary.commands';
import { type DictionaryEvent, type DictionaryState, versionInForce } from './dictionary.state';

export function decideDictionary(
  command: DictionaryCommand,
  state: DictionaryState,
): DictionaryEvent[] {
  switch (command.type) {
    case 'PublishFunnelDefinition': {
      // Validated in full first: every bad field is named, whatever the version says.
      const definition = parseDefinitionToPublish(command.data.draft);
      const next = (state.published.at(-1)?.version ?? 0) + 1;
      // The very definition under a version already published: this publish happened before
      // (a retry after its Idempotency-Key expired, or sent without one). Still refused, for
      // there is nothing to publish, but saying so, so the client does not try another version.
      const same = state.published.find((entry) => entry.version === definition.version);
      if (same !== undefined && same.definitionHash === definitionHash(definition)) {
        throw new RuleViolationError(
          `version ${definition.version} is already published with this very definition: nothing to publish again`,
        );
      }
      if (definition.version !== next) {
        throw new RuleViolationError(
          `version must be ${next}, the next after the newest published`,
        );
      }
      return [{ type: 'FunnelDefinitionPublished', data: { version: next, definition } }];
    }
    case 'ActivateFunnelDefinition': {
      const { version } = command.data;
      const target = state.published.find((entry) => entry.version === version);
      if (target === undefined) throw new DefinitionVersionNotFoundError(version);
      // Activating the version already activated changes nothing (a safe retry).
      if (state.activated?.version === version) return [];
      // The caller's precondition: another version was activated since it looked.
      const inForce = versionInForce(state)?.version ?? null;
      const expected = command.data.expectedActiveVersion;
      if (expected !== undefined && inForce !== expected) {
        throw new ActiveVersionChangedError(version, expected, inForce);
      }
      // The same, naming the activation it saw: also refused after A → B → A.
      const expectedActivation = command.data.expectedActivationId;
      if (expectedActivation !== undefined && state.activationId !== expectedActivation) {
        throw new ActivationChangedError(version, expectedActivation, inForce, state.activationId);
      }
      return [
        {
          type: 'FunnelDefinitionActivated',
          data: {
            version,
            definitionHash: target.definitionHash,
            previousVersion: inForce,
          },
        },
      ];
    }
    case 'EnsureDefinitionInForce': {
      if (state.activated !== null) return [];
      const latest = state.published.at(-1);
      if (latest !== undefined) {
        return [
          {
            type: 'FunnelDefinitionActivated',
            data: { ...latest, previousVersion: null },
          },
        ];
      }
      const shipped = command.data.shippedDefault;
      return [
        {
          type: 'FunnelDefinitionPublished',
          data: { version: shipped.version, definition: shipped },
        },
        {
          type: 'FunnelDefinitionActivated',
          data: {
            version: shipped.version,
            definitionHash: definitionHash(shipped),
            previousVersion: null,
          },
        },
      ];
    }
  }
}
