/**
 * The set-based catch-up from PGlite (the store COPYs each slice out as CSV, embedded ClickHouse
 * loads the file and runs the same INSERT … SELECT as from PostgreSQL) against the TypeScript
 * path the live projector takes, on the same events: every table must come out identical, byte
 * for byte, and the same events refused. The history is the benchmarks' generator plus texts
 * that CSV has to quote or escape (quotes, commas, backslashes, line breaks, control
 * characters), timestamps ClickHouse cannot hold, a newer schema version and a broken payload.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  BulkLogProjection,
  closeAnalyticsClient,
  createAnalyticsClient,
  csvFileLogSource,
  migrate,
} from '@tandem/analytics';
import { currentSchemaVersions, decodeStoredEvent, type TandemEvent } from '@tandem/contracts';
import { defaultFunnelDefinition, leadStreamId } from '@tandem/domain';
import {
  createPgliteEventStore,
  type EventToAppend,
  supportsLogSliceExport,
} from '@tandem/event-store';
import { historyChunks, planningEvents } from '../bench/bench.history';
import {
  dumpTable,
  edgeLeadEvent,
  projectPerEvent,
  publishDefaultDefinition,
  SEALED_CONTENT,
  withUtmContent,
} from './support/two-path-projection';

jest.setTimeout(300_000);

const captured = (campaign: string): TandemEvent => ({
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Ana, "the" \\ one', email: 'ana@example.com' },
    company: { name: 'Acme,\nInc', industry: 'software', size: 120, country: 'IT' },
    source: { channel: 'web', campaign },
    productInterest: null,
    timeframe: '3_months',
    consent: { marketing: true },
  },
});

function edgeCases(): EventToAppend[][] {
  const at = '2026-03-01T10:00:00.000Z';
  const lead = (name: string) => `edge-${name}`;
  return [
    [edgeLeadEvent(lead('a'), captured('spring/2026 "launch", \\ é 中 😀'), at)],
    [edgeLeadEvent(lead('b'), captured('tab\there\u0001\r\nnext line'), at)],
    [edgeLeadEvent(lead('c'), captured('x\u2028y'), at)],
    [edgeLeadEvent(lead('d'), captured('  padded  '), at)],
    [edgeLeadEvent(lead('e'), captured('""'), at)],
    [edgeLeadEvent(lead('f'), captured('old'), '1850-01-01T00:00:00.000Z')],
    [edgeLeadEvent(lead('g'), captured('offset'), '2026-03-01T10:00:00+02:00')],
    [
      {
        ...edgeLeadEvent(lead('h'), captured('future'), at),
        schemaVersion: currentSchemaVersions.LeadCaptured + 1,
      },
    ],
    [
      {
        ...edgeLeadEvent(
          lead('j'),
          withUtmContent(captured('utm'), 'newsletter-to-ana-at-example.com'),
          at,
        ),
        schemaVersion: 1,
      },
    ],
    [edgeLeadEvent(lead('k'), withUtmContent(captured('utm'), SEALED_CONTENT), at)],
    [
      {
        ...edgeLeadEvent(lead('i'), captured('broken'), at),
        data: { contact: { name: 'x' }, source: { channel: 'web' } },
      },
    ],
  ];
}

const bootstrap = (n: number) => ({
  eventId: `00000000-0000-7000-8000-00000000000${n}`,
  leadId: null,
  accountId: null,
  occurredAt: '2024-01-01T00:00:00.000Z',
  correlationId: 'bootstrap',
  causationId: null,
  actor: { kind: 'system', id: 'tandem-bootstrap', role: 'system' } as const,
});

const tables: readonly [string, string][] = [
  ['lead_events', 'event_id'],
  ['campaign_spend', 'event_id'],
  ['visitor_touches', 'visitor_id, event_id'],
  ['targets', 'team, metric, period, owner'],
  ['active_rules', 'global_position'],
  ['rule_sets', 'rules_version, definition_hash'],
];

describe('set-based catch-up from PGlite (CSV slices)', () => {
  let dir: string;
  let client: ClickHouseClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-pglite-bulk-'));
    client = await createAnalyticsClient({ mode: 'embedded', path: join(dir, 'chdb') });
  });

  afterAll(async () => {
    await closeAnalyticsClient(client);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes exactly what the TypeScript path writes, refuses what it refuses, leaves no file', async () => {
    const store = await createPgliteEventStore({ memory: true });
    try {
      expect(supportsLogSliceExport(store)).toBe(true);
      if (!supportsLogSliceExport(store)) return;
      await publishDefaultDefinition(store, bootstrap);
      const until = new Date(Date.UTC(2026, 5, 1));
      const options = { seed: 12, leadEvents: 4_000, until, months: 12 } as const;
      await store.appendToNewStreams(planningEvents(options));
      for (const chunk of historyChunks({
        ...options,
        chunkLeads: 100,
        definition: defaultFunnelDefinition,
      })) {
        await store.appendToNewStreams(chunk.events);
      }
      for (const events of edgeCases()) {
        await store.append(leadStreamId(events[0]!.metadata.leadId as string), events, {
          expectedRevision: 'no_stream',
        });
      }
      const head = (await store.headPosition())!;

      const live = 'pglite_bulk_reference';
      await migrate(client, { database: live });
      const refused = await projectPerEvent(client, store, live);

      const bulk = 'pglite_bulk_candidate';
      await migrate(client, { database: bulk });
      const slices = join(dir, 'slices');
      const projection = new BulkLogProjection(
        client,
        csvFileLogSource((after, upTo) => store.logSlices.csv(after, upTo), slices),
        decodeStoredEvent,
        { database: bulk },
      );
      const bulkRefused = new Set<string>();
      let staged = 0;
      const third = head / 3n;
      for (const [after, upTo] of [
        [0n, third],
        [third, 2n * third],
        [2n * third, head],
      ] as const) {
        const outcome = await projection.project(after, upTo);
        staged += outcome.staged;
        for (const invalid of outcome.invalid) bulkRefused.add(invalid.eventId);
      }

      expect(staged).toBe(Number(head));
      for (const [table, order] of tables) {
        const expected = await dumpTable(client, live, table, order);
        // No anonymous visitors in this history: visitor_touches stays empty on both paths.
        const least = table === 'lead_events' ? 100_000 : table === 'visitor_touches' ? 0 : 10;
        expect({ table, empty: expected.length < least }).toEqual({
          table,
          empty: false,
        });
        expect({ table, rows: await dumpTable(client, bulk, table, order) }).toEqual({
          table,
          rows: expected,
        });
      }
      expect([...bulkRefused].sort()).toEqual([...refused].sort());
      expect(refused.size).toBeGreaterThanOrEqual(3); // before 1900, newer version, broken
      expect(await readdir(slices)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
