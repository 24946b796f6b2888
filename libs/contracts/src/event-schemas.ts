/**
 * Runtime schemas of every event payload, per type and schema version. They are
 * the contract downstream consumers validate against; each is checked at compile
 * time to match the domain's type, so the two cannot drift apart.
 */
import {
  type CampaignSpendRecorded,
  type DealLost,
  type DealWon,
  type FunnelDefinitionActivated,
  type FunnelDefinitionPublished,
  type LeadAcceptedBySales,
  type LeadCaptured,
  type LeadErased,
  type LeadHandedToSales,
  type LeadMerged,
  type DuplicateMergedIn,
  type LeadProfiled,
  type LeadQualifiedAsMql,
  type LeadQualifiedAsSql,
  type LeadRecycled,
  type LeadRejectedBySales,
  type OpportunityOpened,
  type OpportunityStageChanged,
  type TargetSet,
  type TouchpointRecorded,
  type AnonymousTouchpointRecorded,
  funnelDefinitionSchema,
  salesEntryPaths,
  targetMetrics,
  targetTeams,
  touchpointKinds,
} from '@tandem/domain';
import { z } from 'zod';
import {
  amountSchema,
  businessDateSchema,
  companySizeSchema,
  countryCodeSchema,
  currencySchema,
  planningPeriodSchema,
  storedCountrySchema,
  storedCurrencySchema,
  storedTextSchema,
  textSchema,
  trimmedText,
  visitorIdsSchema,
  visitorIdSchema,
} from './value-bounds';

// Bounds come from value-bounds.ts, shared with the API's request schemas: whatever the API
// accepts decodes here, and so is projected. The payloads take text and currencies as stored
// events hold them; the schemas a command is built from (contact, company, source, money)
// hold a new fact to the rules of a new fact (something visible, a currency that is money).
const text = storedTextSchema;
const optionalText = text.optional();
const nullableText = text.nullable();
const isoTime = z.iso.datetime({ offset: true });
const currency = storedCurrencySchema;
const amount = amountSchema;

/**
 * A personal field as the store and Kafka carry it: sealed by the event store (AES-256-GCM
 * under the lead's key, `v1:` + base64 of IV, ciphertext and tag), or plain in events recorded
 * before sealing existed. Which fields are personal: personalFields in libs/domain.
 */
export const sealedValueSchema = z
  .object({
    $pii: z
      .string()
      .regex(/^v1:[A-Za-z0-9+/]+={0,2}$/, 'must be v1: followed by base64')
      .describe(
        'Sealed personal value: v1:base64(12-byte IV | AES-256-GCM ciphertext | 16-byte tag)',
      ),
  })
  .strict();
const personal = <T extends z.ZodType<string>>(plain: T) => z.union([plain, sealedValueSchema]);

/**
 * A contact as a command carries it: always plain (a client never sends sealed values). The
 * phone is text like any other: a lone surrogate would be sealed as U+FFFD (UTF-8 cannot hold
 * it) and come back changed, and U+0000 would fail a jsonb append wherever it is not sealed.
 * Like the name it is trimmed and, when present, must not be blank ('   ' is no phone; omit
 * it). Stored events keep the looser schema below: what was recorded must still decode.
 */
export const contactSchema = z.object({
  name: textSchema,
  email: z.email().max(320),
  phone: trimmedText(40).optional(),
});
const storedContactSchema = z.object({
  name: personal(text),
  email: personal(contactSchema.shape.email),
  phone: personal(z.string().max(40)).optional(),
});
/**
 * A company as a command carries it: its country one of the codes a new fact may name
 * (countryCodeSchema). Stored events keep the looser schema below, as for the contact.
 */
export const companySchema = z.object({
  name: textSchema,
  industry: textSchema.optional(),
  size: companySizeSchema.optional(),
  country: countryCodeSchema.optional(),
});
const storedCompanySchema = companySchema.extend({
  name: personal(text),
  industry: optionalText,
  country: storedCountrySchema.optional(),
});
/**
 * Where a lead came from, as a command carries it (plain). `content` (utm_content, the ad or
 * link variant) is personal: mail tools put the recipient's address or name there, so from
 * LeadCaptured v2 on it is sealed in the store like a touchpoint's content; channel, campaign
 * and medium stay plain (the views group by them).
 */
export const sourceSchema = z.object({
  channel: textSchema,
  campaign: textSchema.optional(),
  medium: textSchema.optional(),
  content: textSchema.optional(),
});
const storedSourceSchema = z.object({
  channel: text,
  campaign: optionalText,
  medium: optionalText,
  content: optionalText,
});
/** An amount of money as a command carries it: its currency one money is paid in. */
export const moneySchema = z.object({ amount, currency: currencySchema });
const storedMoneySchema = z.object({ amount, currency });

/**
 * LeadCaptured v1, as published in 1.0.0: `source.content` plain. Kept for ever (the stores and
 * the topic hold v1 captures, never rewritten); the decoder lifts them to v2 (upcasters in
 * envelope.codec.ts), and the v1 JSON Schema is still generated from it.
 */
const leadCapturedV1 = z.object({
  contact: storedContactSchema,
  company: storedCompanySchema,
  source: storedSourceSchema,
  productInterest: nullableText,
  timeframe: nullableText,
  consent: z.object({ marketing: z.boolean() }),
  // Added after v1 was published: optional, absent on every capture recorded before it.
  visitorIds: visitorIdsSchema.optional(),
});

export const eventDataSchemas = {
  // v2: `source.content` is personal (sealed in the store and on Kafka, shredded by erasure).
  LeadCaptured: leadCapturedV1.extend({
    source: storedSourceSchema.extend({ content: personal(text).optional() }),
  }) satisfies z.ZodType<LeadCaptured['data']>,
  TouchpointRecorded: z.object({
    touchpointId: text,
    kind: z.enum(touchpointKinds),
    channel: text,
    campaign: nullableText,
    content: personal(text).nullable(),
  }) satisfies z.ZodType<TouchpointRecorded['data']>,
  AnonymousTouchpointRecorded: z.object({
    visitorId: visitorIdSchema,
    touchpointId: text,
    kind: z.enum(touchpointKinds),
    channel: text,
    campaign: nullableText,
  }) satisfies z.ZodType<AnonymousTouchpointRecorded['data']>,
  LeadProfiled: z.object({
    industry: nullableText,
    companySize: companySizeSchema.nullable(),
    country: storedCountrySchema.nullable(),
    role: nullableText,
    budget: storedMoneySchema.nullable(),
    timeline: nullableText,
  }) satisfies z.ZodType<LeadProfiled['data']>,
  LeadQualifiedAsMql: z.object({
    rulesVersion: z.number().int().positive(),
    fitScore: z.number(),
    intentScore: z.number(),
    score: z.number(),
    threshold: z.number(),
    reasons: z.array(z.string()),
  }) satisfies z.ZodType<LeadQualifiedAsMql['data']>,
  LeadHandedToSales: z.object({
    owner: text,
    team: nullableText,
    slaDueAt: isoTime,
    rulesVersion: z.number().int().positive(),
    // Absent on marketing hand-offs and on every hand-off recorded before paths existed.
    path: z.enum(salesEntryPaths).optional(),
    salesSource: text.optional(),
  }) satisfies z.ZodType<LeadHandedToSales['data']>,
  LeadAcceptedBySales: z.object({
    owner: z.string(),
    note: personal(z.string().max(4000)).nullable(),
  }) satisfies z.ZodType<LeadAcceptedBySales['data']>,
  LeadRejectedBySales: z.object({
    owner: z.string(),
    reason: text,
    note: personal(z.string().max(4000)).nullable(),
  }) satisfies z.ZodType<LeadRejectedBySales['data']>,
  LeadQualifiedAsSql: z.object({
    criteriaMet: z.array(text),
    rulesVersion: z.number().int().positive(),
  }) satisfies z.ZodType<LeadQualifiedAsSql['data']>,
  OpportunityOpened: z.object({
    opportunityId: text,
    stage: text,
    amount,
    currency,
  }) satisfies z.ZodType<OpportunityOpened['data']>,
  OpportunityStageChanged: z.object({
    opportunityId: text,
    from: text,
    to: text,
    amount,
  }) satisfies z.ZodType<OpportunityStageChanged['data']>,
  DealWon: z.object({ opportunityId: text, amount, currency }) satisfies z.ZodType<DealWon['data']>,
  DealLost: z.object({
    opportunityId: text,
    reason: text,
    note: personal(z.string().max(4000)).nullable(),
  }) satisfies z.ZodType<DealLost['data']>,
  LeadRecycled: z.object({ from: text, reason: personal(text) }) satisfies z.ZodType<
    LeadRecycled['data']
  >,
  LeadMerged: z.object({ intoLeadId: text }) satisfies z.ZodType<LeadMerged['data']>,
  DuplicateMergedIn: z.object({
    mergedLeadId: text,
    touchpoints: z.array(
      z.object({
        touchpointId: text,
        kind: z.enum(touchpointKinds),
        channel: text,
        campaign: nullableText,
        contentGiven: z.boolean(),
      }),
    ),
  }) satisfies z.ZodType<DuplicateMergedIn['data']>,
  LeadErased: z.object({ reason: text }) satisfies z.ZodType<LeadErased['data']>,
  FunnelDefinitionPublished: z.object({
    version: z.number().int().positive(),
    definition: funnelDefinitionSchema,
  }) satisfies z.ZodType<FunnelDefinitionPublished['data']>,
  FunnelDefinitionActivated: z.object({
    version: z.number().int().positive(),
    definitionHash: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex characters'),
    previousVersion: z.number().int().positive().nullable(),
  }) satisfies z.ZodType<FunnelDefinitionActivated['data']>,
  TargetSet: z.object({
    team: z.enum(targetTeams),
    metric: z.enum(targetMetrics),
    period: planningPeriodSchema,
    value: amountSchema,
    owner: nullableText,
  }) satisfies z.ZodType<TargetSet['data']>,
  CampaignSpendRecorded: z.object({
    campaign: text,
    channel: text,
    amount,
    currency,
    spentOn: businessDateSchema,
  }) satisfies z.ZodType<CampaignSpendRecorded['data']>,
} as const;

export type KnownEventType = keyof typeof eventDataSchemas;
export const knownEventTypes = Object.keys(eventDataSchemas) as KnownEventType[];

/**
 * The payload schemas of the versions before the current one, per type, by version: 1 .. n-1
 * when eventDataSchemas holds version n. Never removed: stores and the topic keep events of
 * every version, and consumers in other languages still need their JSON Schemas.
 */
export const previousEventDataSchemas: {
  readonly [T in KnownEventType]?: Readonly<Record<number, z.ZodType>>;
} = { LeadCaptured: { 1: leadCapturedV1 } };

/** Current schema version per type: one past its previous versions (versions are 1..n). */
export const currentSchemaVersions = Object.fromEntries(
  knownEventTypes.map((type) => [
    type,
    Object.keys(previousEventDataSchemas[type] ?? {}).length + 1,
  ]),
) as Readonly<Record<KnownEventType, number>>;

/** Every schema version of a type, oldest first. */
export const schemaVersionsOf = (type: KnownEventType): number[] =>
  Array.from({ length: currentSchemaVersions[type] }, (_, index) => index + 1);

/** The payload schema of one type at one version, or undefined for a version that never was. */
export function eventDataSchemaAt(type: KnownEventType, version: number): z.ZodType | undefined {
  if (version === currentSchemaVersions[type]) return eventDataSchemas[type];
  return previousEventDataSchemas[type]?.[version];
}
