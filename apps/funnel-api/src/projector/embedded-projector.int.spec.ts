/**
 * The embedded projector's waits, on real engines (PGlite in memory, chDB in a temp directory).
 * Nest bootstraps services side by side: the rule replays bring the active set to ready at
 * start-up, and first wait for the projection to reach the head, possibly before the
 * projector's own bootstrap has read its checkpoint. That wait is answered once the projector
 * has caught up, never left on a promise nothing settles (it timed out after 10 minutes, and
 * the active set was not brought to ready). A rebuild that fails after emptying the tables
 * leaves the dead-letter count /health reads as the table holds it, not as it was.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDeadLetters } from '@tandem/analytics';
import { leadStreamId } from '@tandem/domain';
import { createPgliteEventStore, type PostgresEventStore } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import { funnelApiConfig } from '../../../../test/support/funnel-api.fixture';
import { scoredLeads } from '../../../../test/support/scored-leads';
import { ActiveDefinition } from '../definitions/active-definition.service';
import { type AnalyticsHandle, openAnalytics } from '../platform/analytics.provider';
import { EmbeddedProjector } from './embedded-projector.service';

jest.setTimeout(120_000);

describe('the embedded projector', () => {
  let dir: string;
  let store: PostgresEventStore;
  let analytics: AnalyticsHandle;
  const config = () => funnelApiConfig(dir, join(dir, 'chdb'));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-embedded-projector-'));
    store = await createPgliteEventStore({ memory: true });
    await new ActiveDefinition(store).onModuleInit();
    for (const lead of scoredLeads(3)) {
      await store.append(leadStreamId(lead.leadId), lead.events, { expectedRevision: 'no_stream' });
    }
    analytics = await openAnalytics(config().clickhouse);
  });

  afterAll(async () => {
    await analytics?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a wait for the head that began before its bootstrap, once it has caught up', async () => {
    const head = await store.headPosition();
    expect(head).not.toBeNull();
    const projector = new EmbeddedProjector(store, analytics, config());
    try {
      const waited = projector.waitFor(head!, 30_000);
      await projector.onApplicationBootstrap();
      await expect(waited).resolves.toBeUndefined();
      expect(projector.position()).toBe(head);
    } finally {
      await projector.onModuleDestroy();
    }
  });

  // Last in the file: it drops a table the rebuild reads after its reset.
  it('counts the dead letters the table holds after a rebuild that failed past its reset', async () => {
    // An event no decoder accepts (no envelope metadata): set aside in projection_dead_letters.
    await store.append(
      `lead-${uuidv7()}`,
      [{ eventId: uuidv7(), type: 'LeadCaptured', schemaVersion: 1, data: {}, metadata: {} }],
      { expectedRevision: 'no_stream' },
    );
    const head = await store.headPosition();
    const projector = new EmbeddedProjector(store, analytics, config());
    try {
      await projector.onApplicationBootstrap();
      await projector.waitFor(head!, 30_000);
      expect(projector.deadLetters().count).toBe(1);
      // The reset reads the kept rule sets once it has emptied every table, dead letters too.
      await analytics.client.command({
        query: 'DROP TABLE {db:Identifier}.rule_sets',
        query_params: { db: analytics.database },
      });
      await expect(projector.rebuild()).rejects.toThrow(/rule_sets/);
      const { database } = analytics;
      expect((await readDeadLetters(analytics.client, { database })).count).toBe(0);
      expect(projector.deadLetters()).toEqual({ count: 0, latest: [] });
      expect(projector.status().rejectedEvents).toBe(0);
    } finally {
      await projector.onModuleDestroy();
    }
  });
});
