/**
 * The embedded projector's waits, on real engines (PGlite in memory, chDB in a temp directory).
 * Nest bootstraps services side by side: the rule replays bring the active set to ready at
 * start-up, and first wait for the projection to reach the head, possibly before the
 * projector's own bootstrap has read its checkpoint. That wait is answered once the projector
 * has caught up, never left on a promise nothing settles (it timed out after 10 minutes, and
 * the active set was not brought to ready).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leadStreamId } from '@tandem/domain';
import { createPgliteEventStore, type PostgresEventStore } from '@tandem/event-store';
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
});
