/**
 * The shared dictionary: one versioned, validated document that marketing and
 * sales agree on. Every automated decision and every rule-derived number names
 * the version it was made under. Validation messages name the offending field so
 * a rejected draft can be fixed without guessing.
 */
import { z } from 'zod';
import { InvalidDefinitionError } from '../errors';

export const touchpointKinds = [
  'page_view',
  'content_download',
  'email_open',
  'email_click',
  'webinar',
  'social',
  'chatbot',
  'event',
  'trade_fair',
  'ad_click',
  'demo_request',
] as const;
export type TouchpointKind = (typeof touchpointKinds)[number];

export const funnelStages = [
  'captured',
  'mql',
  'handed_to_sales',
  'accepted',
  'sql',
  'opportunity',
  'won',
  'lost',
] as const;
export type FunnelStage = (typeof funnelStages)[number];

export const attributionModels = [
  'first_touch',
  'last_touch',
  'linear',
  'u_shaped',
  'w_shaped',
] as const;
export type AttributionModel = (typeof attributionModels)[number];

export const mqlFields = ['name', 'email', 'productInterest', 'timeframe'] as const;
export type MqlField = (typeof mqlFields)[number];

const code = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case: lower-case letters, digits and _');
const reason = z.object({ code, label: z.string().min(1) });
const weight = z.number().min(0).max(100);
const uniqueCodes = (items: readonly { code: string }[]) =>
  new Set(items.map((item) => item.code)).size === items.length;

export const funnelDefinitionSchema = z
  .object({
    version: z.number().int().positive(),
    name: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    stages: z
      .array(
        z.object({
          id: z.enum(funnelStages),
          label: z.string().min(1),
        }),
      )
      .min(1),
    icp: z.object({
      industries: z.array(z.string().min(1)),
      companySize: z
        .object({ min: z.number().int().nonnegative(), max: z.number().int().positive() })
        .refine((size) => size.min <= size.max, { message: 'min must not exceed max' }),
      countries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')),
      roles: z.array(z.string().min(1)),
      productInterests: z.array(z.string().min(1)).min(1),
      weights: z.object({
        industry: weight,
        companySize: weight,
        country: weight,
        role: weight,
        productInterest: weight,
      }),
    }),
    intent: z.object({
      touchpointPoints: z.partialRecord(z.enum(touchpointKinds), z.number().min(0).max(100)),
      halfLifeDays: z.number().positive().max(3650),
      cap: z.number().positive().max(100),
    }),
    mql: z.object({
      threshold: z.number().min(0).max(100),
      fitWeight: z.number().min(0).max(1),
      intentWeight: z.number().min(0).max(1),
      requiredFields: z.array(z.enum(mqlFields)),
    }),
    sql: z.object({
      criteria: z.array(code).min(1),
      minimumMet: z.number().int().positive(),
    }),
    sla: z.object({
      acceptWithinHours: z
        .number()
        .positive()
        .max(24 * 90),
    }),
    rejectionReasons: z.array(reason).min(1).refine(uniqueCodes, 'codes must be unique'),
    lossReasons: z.array(reason).min(1).refine(uniqueCodes, 'codes must be unique'),
    opportunityStages: z.array(code).min(1),
    attribution: z.object({
      models: z.array(z.enum(attributionModels)).min(1),
      default: z.enum(attributionModels),
    }),
  })
  .superRefine((definition, ctx) => {
    const weights = definition.mql.fitWeight + definition.mql.intentWeight;
    if (Math.abs(weights - 1) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['mql', 'fitWeight'],
        message: `mql.fitWeight + mql.intentWeight must equal 1 (is ${weights})`,
      });
    }
    if (definition.sql.minimumMet > definition.sql.criteria.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['sql', 'minimumMet'],
        message: `cannot exceed the number of criteria (${definition.sql.criteria.length})`,
      });
    }
    if (!definition.attribution.models.includes(definition.attribution.default)) {
      ctx.addIssue({
        code: 'custom',
        path: ['attribution', 'default'],
        message: 'must be one of attribution.models',
      });
    }
  });

export type FunnelDefinition = z.infer<typeof funnelDefinitionSchema>;

/** Dotted path of a validation issue, e.g. `icp.companySize.min` or `stages.2.id`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Validates a draft; throws InvalidDefinitionError naming every offending field. */
export function parseFunnelDefinition(draft: unknown): FunnelDefinition {
  const result = funnelDefinitionSchema.safeParse(draft);
  if (!result.success) {
    throw new InvalidDefinitionError(
      result.error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message })),
    );
  }
  return result.data;
}
