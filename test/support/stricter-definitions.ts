/**
 * Versions of the default funnel definition with a stricter MQL threshold, for specs that
 * publish, replay and apply several versions: each a different rule set of its own version.
 */
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';

/** The default definition as `version`, its MQL threshold raised by `thresholdStep`. */
export const stricterDefinition = (version: number, thresholdStep: number): FunnelDefinition => ({
  ...defaultFunnelDefinition,
  version,
  name: `Stricter MQL v${version}`,
  mql: {
    ...defaultFunnelDefinition.mql,
    threshold: defaultFunnelDefinition.mql.threshold + thresholdStep,
  },
});
