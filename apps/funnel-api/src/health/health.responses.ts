/**
 * What /health and /health/live answer, as zod schemas: the OpenAPI document's 200 schemas are
 * generated from them (ApiAnswer); the handlers' return types are these schemas' (AnswerOf),
 * and the parts other services build are checked against their types (SameAnswer).
 */
import type { DeadLetterSummary } from '@tandem/analytics';
import { z } from 'zod';
import type { SameAnswer } from '../http/api-answer.decorator';
import type { ReconciliationHealth } from './reconciliation-monitor.service';
import type { MasterKeyRotationHealth } from './master-key-rotation.service';
import type { OutdatedFacts } from '../rules/rule-replays.service';

const position = z.string().nullable().describe('A global position (decimal string, 64-bit)');
const when = z.string().describe('ISO-8601');

export const liveSchema = z.strictObject({ status: z.literal('live') });

const deadLetters = z
  .strictObject({
    count: z.number().int().nonnegative().describe('Events set aside since the last rebuild'),
    latest: z
      .array(
        z.strictObject({
          eventId: z.string(),
          position: z.string(),
          type: z.string(),
          reason: z.string(),
        }),
      )
      .describe('The latest few, newest first'),
  })
  .describe('Events the projection refused (projection_dead_letters) and why');

const reconciliation = z
  .union([
    z.strictObject({ state: z.literal('pending') }),
    z.strictObject({ state: z.literal('error'), checkedAt: when, error: z.string() }),
    z.strictObject({
      state: z.enum(['ok', 'failed', 'unsettled']),
      checkedAt: when,
      coveredPosition: position,
      findings: z.array(z.string()).describe('Each failed check, one line'),
    }),
  ])
  .describe('The last background reconciliation verdict (GET /analytics/reconciliation)');

const masterKeyRotation = z
  .union([
    z.strictObject({ state: z.literal('none') }),
    z.strictObject({
      state: z
        .enum(['rewrapping', 'done', 'blocked'])
        .describe(
          "'blocked': every key left under the previous master key is one it did not unwrap",
        ),
      keysUnderPreviousKey: z
        .number()
        .int()
        .nonnegative()
        .nullable()
        .describe(
          'As last counted (every few seconds while rewrapping); null before the first count',
        ),
      keysNotUnwrapped: z
        .number()
        .int()
        .nonnegative()
        .describe(
          'Keys under the previous master key that it did not unwrap at the last pass (damaged, or wrapped by another key): left as they are, they keep the count above 0 until restored or erased',
        ),
      leadsWithKeysNotUnwrapped: z
        .array(z.string())
        .describe('The leads whose key did not unwrap, the first 20 of them'),
      keysUnderOtherMasterKeys: z
        .number()
        .int()
        .nonnegative()
        .describe(
          'Keys wrapped by neither the current nor the previous master key at the last pass: neither opens them and the rotation does not take them; rewrap them with their key or erase their leads',
        ),
      leadsWithKeysUnderOtherMasterKeys: z
        .array(z.string())
        .describe('The leads whose key is under another master key, the first 20 by id'),
    }),
  ])
  .describe(
    "Master-key rotation (TANDEM_MASTER_KEY_PREVIOUS set): lead keys still wrapped by the previous master key; at 'done' it can be removed and destroyed (docs/personal-data.md)",
  );

export const healthSchema = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  eventStore: z.strictObject({ headPosition: position }),
  projector: z.discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('off') }),
    z.strictObject({
      mode: z.literal('embedded'),
      position,
      caughtUp: z.boolean(),
      rejectedEvents: z.number().int().nonnegative(),
      deadLetters,
      failure: z.string().nullable().describe('The last batch failed with this; it is retried'),
      viewsFromSnapshot: z
        .boolean()
        .nullable()
        .describe(
          'The views answer from their snapshot of the per-lead funnel, or the state is small enough to need none; false after a first projection or a rebuild until the first snapshot is marked (the views fold the whole state meanwhile), or when ClickHouse cannot tell; null where snapshots are off',
        ),
    }),
  ]),
  ruleFacts: z
    .strictObject({
      version: z
        .string()
        .describe('The facts version of this code (the classifier and the rules pass: ADR 0005)'),
      rederiving: z
        .array(
          z.strictObject({
            rulesVersion: z.number().int(),
            definitionHash: z.string(),
            computedBy: z
              .string()
              .describe("The facts version its rows were computed by ('' when unrecorded)"),
          }),
        )
        .describe(
          'Kept rule sets whose rows other code computed, being re-derived from the first lead; readiness fails until none is left',
        ),
    })
    .describe('Which code computes the rule-derived rows, and the sets still computed by another'),
  reconciliation,
  masterKeyRotation,
});

const _deadLetters: SameAnswer<z.infer<typeof deadLetters>, DeadLetterSummary> = true;
const _reconciliation: SameAnswer<z.infer<typeof reconciliation>, ReconciliationHealth> = true;
const _rederiving: SameAnswer<
  z.infer<typeof healthSchema>['ruleFacts']['rederiving'][number],
  OutdatedFacts
> = true;
const _masterKeyRotation: SameAnswer<
  z.infer<typeof masterKeyRotation>,
  MasterKeyRotationHealth
> = true;
void [_deadLetters, _reconciliation, _rederiving, _masterKeyRotation];
