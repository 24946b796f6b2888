/**
 * Commands on the shared dictionary (the versioned funnel definition both teams read
 * by). Discriminated unions like the Lead's: the decider, not a class hierarchy, says
 * what each one does.
 */
import type { FunnelDefinition } from '../rules/funnel-definition';

/** Record a new version. `draft` is untrusted input: the decider validates it in full. */
export type PublishFunnelDefinition = {
  type: 'PublishFunnelDefinition';
  data: { draft: unknown };
};

/**
 * Put a published version in force for live decisions and views. With
 * `expectedActiveVersion`, only while that version is the one in force; with
 * `expectedActivationId`, only while that very activation is (a version activated again since,
 * A → B → A, is another activation): a late retry after another activation is refused instead
 * of rolling that one back.
 */
export type ActivateFunnelDefinition = {
  type: 'ActivateFunnelDefinition';
  data: {
    version: number;
    expectedActiveVersion?: number | undefined;
    expectedActivationId?: string | undefined;
  };
};

/**
 * Make sure some version is in force: on an empty stream, publish and activate the
 * shipped default; on a stream that has published versions but no activation (written
 * before activations existed), activate the newest one explicitly.
 */
export type EnsureDefinitionInForce = {
  type: 'EnsureDefinitionInForce';
  data: { shippedDefault: FunnelDefinition };
};

export type DictionaryCommand =
  PublishFunnelDefinition | ActivateFunnelDefinition | EnsureDefinitionInForce;
