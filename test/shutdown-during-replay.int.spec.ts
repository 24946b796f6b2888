/**
 * Shutting the API down while a rule replay runs: the replay stops after its current batch,
 * before the analytics close, and says so at info level — no "ChdbConnection is closed" at
 * error level — and its set stays 'building' at its checkpoint, to resume when asked again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closeAnalyticsClient,
  createAnalyticsClient,
  readRuleSets,
  ruleSetKey,
} from '@tandem/analytics';
import { defaultFunnelDefinition, leadStreamId, type FunnelDefinition } from '@tandem/domain';
import { PinoNestLogger } from '@tandem/logging';
import type { App } from 'supertest/types';
import { RuleReplays } from '../apps/funnel-api/src/rules/rule-replays.service';
import { eventually } from './support/eventually';
import { startFunnelApi, waitForProjection } from './support/funnel-api.fixture';
import { scoredLeads } from './support/scored-leads';

jest.setTimeout(300_000);

/** A draft with a lower MQL threshold: a what-if with rows of its own to replay. */
const draft: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  mql: { ...defaultFunnelDefinition.mql, threshold: 40 },
};

let chdb: string;
beforeAll(async () => {
  chdb = await mkdtemp(join(tmpdir(), 'tandem-shutdown-replay-'));
});
afterAll(async () => {
  await rm(chdb, { recursive: true, force: true });
});

it('stops a running replay quietly on shutdown and leaves it to resume', async () => {
  // Two leads per batch: the replay is still on its way when the API closes.
  const api = await startFunnelApi(join(chdb, 'chdb'), { replayBatchLeads: 2 });
  for (const lead of scoredLeads(200)) {
    await api.store.append(leadStreamId(lead.leadId), lead.events, {
      expectedRevision: 'no_stream',
    });
  }
  await waitForProjection(api.app.getHttpServer() as App);
  const replays = api.app.get(RuleReplays);
  const started = await replays.start(draft, 'shadow');
  await eventually(
    () => Promise.resolve((replays.find(started.id)?.eventsDone ?? 0) > 0 ? true : undefined),
    'the replay has written a batch',
  );

  const errors = jest.spyOn(PinoNestLogger.prototype, 'error');
  const warnings = jest.spyOn(PinoNestLogger.prototype, 'warn');
  try {
    await api.app.close();
    const ended = await replays.settled(started.id);
    expect(ended.status).not.toBe('done');
    expect(ended.error).toMatch(/resumes from its checkpoint/);
    expect(errors.mock.calls).toEqual([]);
    expect(warnings.mock.calls).toEqual([]);
  } finally {
    errors.mockRestore();
    warnings.mockRestore();
    await rm(api.config.dataDir, { recursive: true, force: true });
  }

  // What the replay left: its set still building, at a checkpoint a replay resumes after.
  const client = await createAnalyticsClient({ mode: 'embedded', path: join(chdb, 'chdb') });
  try {
    const key = ruleSetKey(draft);
    const set = (await readRuleSets(client, { database: api.config.clickhouse.database })).find(
      (kept) =>
        kept.rulesVersion === key.rulesVersion && kept.definitionHash === key.definitionHash,
    );
    expect(set?.status).toBe('building');
    expect(set?.checkpointLeadId).not.toBe('');
  } finally {
    await closeAnalyticsClient(client);
  }
});
