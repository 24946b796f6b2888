/**
 * The dictionary's attribution section: which models a rule set offers, and the weights of the
 * positional models (U-shaped, W-shaped, full-path) and the half-life of time decay, as
 * Marketo Measure and HubSpot define them (ADR 0012). Pure: the views turn the resolved
 * weights into exact decimal splits; this module only validates and resolves them.
 *
 * The weights are optional in a definition and their defaults are applied here, at evaluation,
 * never by the schema: a version published before they existed parses to the same content it
 * was hashed with, so its definition hash (and every rule set named by it) stays what it was.
 */
import { z } from 'zod';

export const attributionModels = [
  'first_touch',
  'last_touch',
  'linear',
  'u_shaped',
  'w_shaped',
  'full_path',
  'time_decay',
] as const;
export type AttributionModel = (typeof attributionModels)[number];

/** A milestone share in percent, to the hundredth (a basis point: splits stay integer). */
const percent = z
  .number()
  .min(0)
  .max(100)
  .refine((value) => Math.abs(value * 100 - hundredths(value)) < 1e-9, {
    message: 'must have at most two decimals',
  });

function hundredths(value: number): number {
  return Math.round(value * 100);
}

const sumsToHundred = (shares: Record<string, number>) =>
  Object.values(shares).reduce((sum, share) => sum + hundredths(share), 0) === 10_000;
const sumMessage = { message: 'the shares must add up to 100' };

export const attributionWeightsSchema = z
  .object({
    uShaped: z
      .object({ firstTouch: percent, leadCreation: percent, others: percent })
      .refine(sumsToHundred, sumMessage)
      .optional(),
    wShaped: z
      .object({
        firstTouch: percent,
        leadCreation: percent,
        opportunityCreation: percent,
        others: percent,
      })
      .refine(sumsToHundred, sumMessage)
      .optional(),
    fullPath: z
      .object({
        firstTouch: percent,
        leadCreation: percent,
        opportunityCreation: percent,
        closedWon: percent,
        others: percent,
      })
      .refine(sumsToHundred, sumMessage)
      .optional(),
  })
  .strict();

export const attributionSectionSchema = z.object({
  models: z.array(z.enum(attributionModels)).min(1),
  default: z.enum(attributionModels),
  /** Absent in versions published before they existed: the published defaults below apply. */
  weights: attributionWeightsSchema.optional(),
  /** Time decay: a touch this many days before the lead's last counted touch earns half its credit. */
  timeDecay: z
    .object({ halfLifeDays: z.number().positive().max(3650) })
    .strict()
    .optional(),
});
export type AttributionSection = z.infer<typeof attributionSectionSchema>;

/**
 * The published definitions (Marketo Measure, HubSpot): U-shaped 40/40 with 20 spread,
 * W-shaped 30/30/30 with 10 spread, full-path 22.5 × 4 with 10 spread; HubSpot's time decay
 * halves the credit every 7 days.
 */
export const defaultAttributionWeights = {
  uShaped: { firstTouch: 40, leadCreation: 40, others: 20 },
  wShaped: { firstTouch: 30, leadCreation: 30, opportunityCreation: 30, others: 10 },
  fullPath: {
    firstTouch: 22.5,
    leadCreation: 22.5,
    opportunityCreation: 22.5,
    closedWon: 22.5,
    others: 10,
  },
} as const;
export const defaultTimeDecayHalfLifeDays = 7;

/**
 * What the attribution view needs for one model, in integers so its splits stay exact:
 * milestone shares in hundredths of a percent (0 for a milestone the model does not have) and
 * the half-life in milliseconds.
 */
export interface ResolvedAttributionWeights {
  readonly firstTouch: number;
  readonly leadCreation: number;
  readonly opportunityCreation: number;
  readonly closedWon: number;
  readonly others: number;
  readonly halfLifeMs: number;
}

export function resolveAttributionWeights(
  section: AttributionSection,
  model: AttributionModel,
): ResolvedAttributionWeights {
  const halfLifeDays = section.timeDecay?.halfLifeDays ?? defaultTimeDecayHalfLifeDays;
  const none = { firstTouch: 0, leadCreation: 0, opportunityCreation: 0, closedWon: 0, others: 0 };
  const shares = ((): Record<keyof typeof none, number> => {
    switch (model) {
      case 'u_shaped':
        return { ...none, ...(section.weights?.uShaped ?? defaultAttributionWeights.uShaped) };
      case 'w_shaped':
        return { ...none, ...(section.weights?.wShaped ?? defaultAttributionWeights.wShaped) };
      case 'full_path':
        return { ...none, ...(section.weights?.fullPath ?? defaultAttributionWeights.fullPath) };
      case 'first_touch':
      case 'last_touch':
      case 'linear':
      case 'time_decay':
        return none;
    }
  })();
  return {
    firstTouch: hundredths(shares.firstTouch),
    leadCreation: hundredths(shares.leadCreation),
    opportunityCreation: hundredths(shares.opportunityCreation),
    closedWon: hundredths(shares.closedWon),
    others: hundredths(shares.others),
    halfLifeMs: Math.round(halfLifeDays * 86_400_000),
  };
}
