/**
 * What the rule-set routes answer, as zod schemas: the OpenAPI document's 2xx schemas of
 * /ops/rules/* and /analytics/rules/compare are generated from them (ApiAnswer), and each is
 * checked at compile time against the type its service returns (SameAnswer), so the document
 * cannot drift from the answer. The enums repeat the analytics' own; the check fails if they
 * ever differ.
 */
import type { RuleSetKey, WhatIfReport } from '@tandem/analytics';
import { z } from 'zod';
import type { SameAnswer } from '../http/api-answer.decorator';
import type { ReplayView } from './rule-replays.service';
import type { RuleSetActivationOutcome } from './rule-set-activation.service';
import type { ApplyView } from './rule-set-applies.service';

const when = z.string().describe('ISO-8601');
const ruleSetKey = z.strictObject({
  rulesVersion: z.number().int().positive(),
  definitionHash: z.string().describe("The definition's content hash (16 hex digits)"),
});
const kind = z
  .enum(['published', 'shadow'])
  .describe('shadow: a what-if of a draft; published: a version that may be activated');

export const replaySchema = z.strictObject({
  ...ruleSetKey.shape,
  id: z.string().describe('Follow it at GET /ops/rules/replays/{id}'),
  kind,
  status: z.enum(['running', 'done', 'failed']),
  resumed: z.boolean().describe('It continued from the checkpoint of an interrupted replay'),
  eventsDone: z.number().int().nonnegative(),
  eventsTotal: z.number().int().nonnegative(),
  eventsPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  startedAt: when,
  finishedAt: when.nullable(),
  error: z.string().nullable(),
});

export const ruleSetListSchema = z.strictObject({
  active: ruleSetKey.nullable().describe('The set the views read; null before any activation'),
  sets: z.array(
    z.strictObject({
      ...ruleSetKey.shape,
      name: z.string(),
      kind,
      status: z.enum(['pending', 'building', 'ready']),
      eventsDone: z.number().int().nonnegative(),
      eventsTotal: z.number().int().nonnegative(),
      updatedAt: when
        .nullable()
        .describe(
          'The last heartbeat of the replay that built it; null for a set no replay ever built ' +
            '(registered over an empty history, the live projection keeps it)',
        ),
      replaying: z.string().nullable().describe('The replay running for it here, if any'),
    }),
  ),
});

export const activationSchema = z.strictObject({
  active: ruleSetKey,
  previous: ruleSetKey.nullable(),
  activationId: z
    .string()
    .describe(
      'The activation in force after this request (its event id): send it as `expectedActivationId` next time',
    ),
  viewsSwitched: z
    .boolean()
    .describe('False (and 202) when the views did not read the set yet within the wait'),
});

export const applySchema = z.strictObject({
  ...ruleSetKey.shape,
  id: z.string().describe('Follow it at GET /ops/rules/applies/{id}'),
  status: z.enum(['replaying', 'activating', 'done', 'failed']),
  replay: replaySchema.nullable().describe('The replay it waits for; null when already built'),
  activation: activationSchema.nullable().describe('What activation did, once it did'),
  startedAt: when,
  finishedAt: when.nullable(),
  error: z.string().nullable(),
});

const money = z
  .record(z.string(), z.string())
  .describe('Exact decimal amount by ISO 4217 currency');
const stageCounts = z.strictObject({
  leads: z.number().int(),
  mqls: z.number().int(),
  sqls: z.number().int(),
  opportunities: z.number().int(),
  won: z.number().int(),
});
const attributed = z.strictObject({
  model: z.string().describe("The set's default attribution model"),
  pipeline: money,
  revenue: money,
});
const summary = z.strictObject({ ...ruleSetKey.shape, name: z.string() });

export const whatIfSchema = z.strictObject({
  base: summary,
  candidate: summary,
  stages: z
    .array(z.strictObject({ stage: z.string(), base: z.number(), candidate: z.number() }))
    .describe('The marketing path, in funnel order'),
  byChannel: z.array(
    z.strictObject({
      channel: z.string(),
      campaign: z.string(),
      base: stageCounts,
      candidate: stageCounts,
    }),
  ),
  mqlToSql: z.strictObject({ base: z.number().nullable(), candidate: z.number().nullable() }),
  attribution: z.strictObject({ base: attributed, candidate: attributed }),
  changedLeads: z.strictObject({
    count: z.number().int(),
    becameMql: z.number().int(),
    lostMql: z.number().int(),
    sample: z
      .array(
        z.strictObject({
          leadId: z.string(),
          base: z.boolean(),
          candidate: z.boolean(),
          baseScore: z.number().nullable(),
          candidateScore: z.number().nullable(),
        }),
      )
      .describe('The first changed leads by id, with each set’s verdict and score'),
  }),
});

// Each fails to compile once the schema and the service's type differ in a field.
const _key: SameAnswer<z.infer<typeof ruleSetKey>, RuleSetKey> = true;
const _replay: SameAnswer<z.infer<typeof replaySchema>, ReplayView> = true;
const _activation: SameAnswer<z.infer<typeof activationSchema>, RuleSetActivationOutcome> = true;
const _apply: SameAnswer<z.infer<typeof applySchema>, ApplyView> = true;
const _whatIf: SameAnswer<z.infer<typeof whatIfSchema>, WhatIfReport> = true;
void [_key, _replay, _activation, _apply, _whatIf];
