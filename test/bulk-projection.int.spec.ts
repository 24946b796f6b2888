/**
 * The set-based catch-up (ClickHouse reads the log from PostgreSQL and writes lead_events
 * itself) against the TypeScript path the live projector takes, on the same events: every
 * table the projection writes must come out identical, row for row and byte for byte, and
 * every event one path refuses the other refuses too. The history is the benchmarks' realistic
 * generator (every event type, decided by the domain) plus hand-made edge cases: texts that
 * need escapes, untrimmed text, a timestamp outside ClickHouse's range, a newer schema
 * version, a payload that breaks the contract.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  BulkLogProjection,
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
  postgresLogSource,
} from '@tandem/analytics';
import {
  currentSchemaVersions,
  decodeStoredEvent,
  encodeForStore,
  type TandemEvent,
} from '@tandem/contracts';
import { defaultFunnelDefinition, leadStreamId, visitorStreamId } from '@tandem/domain';
import {
  type BulkAppender,
  createPostgresEventStore,
  type EventStore,
  type EventToAppend,
} from '@tandem/event-store';
import { historyChunks, planningEvents } from '../bench/bench.history';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './support/postgres';
import {
  dumpTable,
  edgeActor,
  edgeLeadEvent,
  nextEdgeSequence,
  projectPerEvent,
  publishDefaultDefinition,
  SEALED_CONTENT,
  withUtmContent,
} from './support/two-path-projection';

jest.setTimeout(300_000);

const captured = (campaign: string, channel = 'web'): TandemEvent => ({
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Ana', email: 'ana@example.com' },
    company: { name: 'Acme', industry: 'software', size: 120, country: 'IT' },
    source: { channel, campaign },
    productInterest: null,
    timeframe: '3_months',
    consent: { marketing: true },
  },
});

/** A capture that stitches anonymous visitors (ADR 0012). */
const stitching = (visitorIds: string[]): TandemEvent => {
  const event = captured('stitched');
  return event.type === 'LeadCaptured' ? { ...event, data: { ...event.data, visitorIds } } : event;
};

/** Anonymous touches before capture, in their visitors' streams (no lead). */
function visitorTouches(): [string, EventToAppend[]][] {
  const touch = (visitorId: string, touchpointId: string, occurredAt: string) => {
    const sequence = nextEdgeSequence();
    return encodeForStore(
      {
        type: 'AnonymousTouchpointRecorded',
        data: { visitorId, touchpointId, kind: 'ad_click', channel: 'paid_search', campaign: null },
      },
      {
        eventId: `eeeeeeee-0000-7000-8000-${sequence.toString(16).padStart(12, '0')}`,
        leadId: null,
        accountId: null,
        occurredAt,
        correlationId: `visitor-${sequence}`,
        causationId: null,
        actor: edgeActor,
      },
    );
  };
  return [
    [
      visitorStreamId('v_edge_laptop'),
      [
        touch('v_edge_laptop', 'a1', '2026-02-27T10:00:00.000Z'),
        touch('v_edge_laptop', 'a2', '2026-02-28T10:00:00.000Z'),
      ],
    ],
    // Filed under another visitor's stream: both paths refuse it.
    [
      visitorStreamId('v_edge_misfiled'),
      [touch('v_edge_laptop', 'a3', '2026-02-28T11:00:00.000Z')],
    ],
  ];
}

/** Edge cases, each its own lead stream: [name, events]. */
function edgeCases(): [string, EventToAppend[]][] {
  const at = '2026-03-01T10:00:00.000Z';
  const lead = (name: string) => `edge-${name}`;
  return [
    [
      'slashes and quotes',
      [edgeLeadEvent(lead('a'), captured('spring/2026 "launch" \\ é 中 😀'), at)],
    ],
    ['control character', [edgeLeadEvent(lead('b'), captured('tab\there\u0001'), at)]],
    ['line separator', [edgeLeadEvent(lead('c'), captured('x\u2028y'), at)]],
    ['untrimmed text', [edgeLeadEvent(lead('d'), captured('  padded  '), at)]],
    [
      'stitches visitors',
      [edgeLeadEvent(lead('j'), stitching(['v_edge_laptop', 'v_edge_phone']), at)],
    ],
    [
      'repeats a visitor id',
      [edgeLeadEvent(lead('k'), stitching(['v_edge_twice', 'v_edge_twice']), at)],
    ],
    ['before 1900', [edgeLeadEvent(lead('e'), captured('old'), '1850-01-01T00:00:00.000Z')]],
    [
      'offset timestamp',
      [edgeLeadEvent(lead('f'), captured('offset'), '2026-03-01T10:00:00+02:00')],
    ],
    [
      'newer schema version',
      [
        {
          ...edgeLeadEvent(lead('g'), captured('future'), at),
          schemaVersion: currentSchemaVersions.LeadCaptured + 1,
        },
      ],
    ],
    [
      'a v1 capture with plain UTM content',
      [
        {
          ...edgeLeadEvent(
            lead('m'),
            withUtmContent(captured('utm'), 'newsletter-to-ana-at-example.com'),
            at,
          ),
          schemaVersion: 1,
        },
      ],
    ],
    [
      'a v2 capture with sealed UTM content',
      [edgeLeadEvent(lead('n'), withUtmContent(captured('utm'), SEALED_CONTENT), at)],
    ],
    [
      'breaks the contract',
      [
        {
          ...edgeLeadEvent(lead('h'), captured('broken'), at),
          data: { contact: { name: 'x' }, source: { channel: 'web' } },
        },
      ],
    ],
    [
      'amount with many decimals and a big number',
      [
        edgeLeadEvent(lead('i'), captured('money'), at),
        edgeLeadEvent(
          lead('i'),
          {
            type: 'LeadQualifiedAsMql',
            data: {
              rulesVersion: 1,
              fitScore: 80,
              intentScore: 1e-7,
              score: 48.123456789,
              threshold: 1e300,
              reasons: ['a/b', 'c"d'],
            },
          },
          at,
        ),
      ],
    ],
  ];
}

/** The dictionary's events as the first start writes them. */
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

describeWhenPostgres(postgresUnavailableReason())('set-based catch-up', () => {
  const schema = freshSchemaName('bulk_projection');
  let store: EventStore & BulkAppender;
  let dir: string;
  let client: ClickHouseClient;

  beforeAll(async () => {
    store = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
    await store.init();
    dir = await mkdtemp(join(tmpdir(), 'tandem-bulk-'));
    client = await createAnalyticsClient({ mode: 'embedded', path: dir });
  });

  afterAll(async () => {
    await closeAnalyticsClient(client);
    await store?.close();
    await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes exactly what the TypeScript path writes, and refuses what it refuses', async () => {
    await publishDefaultDefinition(store, bootstrap);
    const until = new Date(Date.UTC(2026, 5, 1));
    const options = { seed: 11, leadEvents: 6_000, until, months: 12 } as const;
    await store.appendToNewStreams(planningEvents(options));
    for (const chunk of historyChunks({
      ...options,
      chunkLeads: 100,
      definition: defaultFunnelDefinition,
    })) {
      await store.appendToNewStreams(chunk.events);
    }
    for (const [, events] of edgeCases()) {
      await store.append(leadStreamId(events[0]!.metadata.leadId as string), events, {
        expectedRevision: 'no_stream',
      });
    }
    // Written by the bulk path, whose json column keeps JSON.stringify's text: 1e+21 (which
    // ClickHouse's parser would re-write as 1e21) and a shortest-form 1.2345678901234568e-7.
    const exponents = [
      edgeLeadEvent('edge-l', captured('exponents'), '2026-03-01T10:00:00.000Z'),
      edgeLeadEvent(
        'edge-l',
        {
          type: 'LeadQualifiedAsMql',
          data: {
            rulesVersion: 1,
            fitScore: 1e21,
            intentScore: 1.2345678901234568e-7,
            score: 12345678901234567,
            threshold: 2.5e300,
            reasons: [],
          },
        },
        '2026-03-01T10:00:00.000Z',
      ),
    ];
    await store.appendToNewStreams(
      exponents.map((event) => ({ streamId: leadStreamId('edge-l'), event })),
    );
    for (const [stream, events] of visitorTouches()) {
      await store.append(stream, events, { expectedRevision: 'no_stream' });
    }
    const head = (await store.headPosition())!;

    // The TypeScript path, as LogProjection runs it while catching up.
    const live = 'bulk_reference';
    await migrate(client, { database: live });
    const refused = await projectPerEvent(client, store, live);

    // The set-based path, in three slices, each next one read ahead on a second connection as
    // the projector does: the first read-ahead is of a range never asked for (dropped, the
    // slice staged again), the second is taken.
    const bulk = 'bulk_candidate';
    await migrate(client, { database: bulk });
    const bulkRefused = new Set<string>();
    let fallback = 0;
    const third = head / 3n;
    const staging = await createAnalyticsClient({ mode: 'embedded', path: dir });
    const projection = new BulkLogProjection(
      client,
      postgresLogSource(TEST_POSTGRES_URL, schema),
      decodeStoredEvent,
      { database: bulk, stagingClient: staging },
    );
    try {
      for (const [after, upTo, next] of [
        [0n, third, { after: third, upTo: third + third / 2n }],
        [third, 2n * third, { after: 2n * third, upTo: head }],
        [2n * third, head, undefined],
      ] as const) {
        const outcome = await projection.project(after, upTo, next);
        fallback += outcome.fallback;
        for (const invalid of outcome.invalid) bulkRefused.add(invalid.eventId);
      }
    } finally {
      await projection.settle();
      await closeAnalyticsClient(staging);
    }

    for (const [table, order] of tables) {
      const expected = await dumpTable(client, live, table, order);
      expect(expected.length).toBeGreaterThan(table === 'lead_events' ? 1_000_000 : 10);
      expect({ table, rows: await dumpTable(client, bulk, table, order) }).toEqual({
        table,
        rows: expected,
      });
    }
    expect([...bulkRefused].sort()).toEqual([...refused].sort());
    // Both capture versions are projected, as rows of the version decoding lifts them to, and
    // neither row holds the UTM content, plain or sealed.
    const captures = await client.query({
      query: `SELECT lead_id, schema_version, position(data, 'content') > 0 AS has_content
              FROM ${bulk}.lead_events FINAL WHERE lead_id IN ('edge-m', 'edge-n') ORDER BY lead_id`,
      format: 'JSONEachRow',
    });
    expect(await captures.json()).toEqual([
      { lead_id: 'edge-m', schema_version: 2, has_content: 0 },
      { lead_id: 'edge-n', schema_version: 2, has_content: 0 },
    ]);
    // before 1900, newer version, broken, a repeated visitor id, a misfiled visitor touch
    expect(refused.size).toBeGreaterThanOrEqual(5);
    // The edge cases the fast path cannot vouch for went through TypeScript, and few others.
    expect(fallback).toBeGreaterThanOrEqual(7);
    expect(fallback).toBeLessThan(Number(head) / 10);
  });
});

/**
 * A slice that holds a FunnelDefinitionPublished (every store's first: the bootstrap publishes
 * v1 at position 1) is projected in pieces, and the pieces a publication cuts off run bound
 * statements, which chDB runs one at a time per process. The next slice's staging is bound
 * too: started before those pieces, it made each of them wait for all of it. The order of the
 * calls is the proof (it does not depend on timing): the read-ahead begins after the
 * publication's piece and before the last piece's fast path.
 */
describeWhenPostgres(postgresUnavailableReason())('set-based catch-up, reading ahead', () => {
  const schema = freshSchemaName('bulk_read_ahead');
  let store: EventStore & BulkAppender;
  let dir: string;

  beforeAll(async () => {
    store = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
    await store.init();
    dir = await mkdtemp(join(tmpdir(), 'tandem-bulk-ahead-'));
  });

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("starts the next slice's staging with the last piece of a slice a publication cuts", async () => {
    await publishDefaultDefinition(store, bootstrap);
    const until = new Date(Date.UTC(2026, 5, 1));
    for (const chunk of historyChunks({
      seed: 3,
      leadEvents: 400,
      until,
      months: 3,
      chunkLeads: 50,
      definition: defaultFunnelDefinition,
    })) {
      await store.appendToNewStreams(chunk.events);
    }
    const head = (await store.headPosition())!;
    const half = head / 2n;

    const calls: string[] = [];
    const client = await createAnalyticsClient({ mode: 'embedded', path: dir });
    const staging = await createAnalyticsClient({ mode: 'embedded', path: dir });
    const database = 'bulk_read_ahead';
    await migrate(client, { database });
    const projection = new BulkLogProjection(
      recording(client, calls),
      postgresLogSource(TEST_POSTGRES_URL, schema),
      decodeStoredEvent,
      { database, stagingClient: recording(staging, calls) },
    );
    try {
      await projection.project(0n, half, { after: half, upTo: head });
      // positions 1 (the publication) and 2..half: two fast paths, the read-ahead between them
      expect(calls).toEqual(['fast path', 'read-ahead', 'fast path']);
      calls.length = 0;
      await projection.project(half, head);
      expect(calls).toEqual(['fast path']);
    } finally {
      await projection.settle();
      await closeAnalyticsClient(staging);
    }
    // Every lead event of both slices is written, the read-ahead's included.
    const rows = await client.query({
      query: `SELECT count() AS n, max(global_position) AS last FROM ${database}.lead_events FINAL`,
      format: 'JSONEachRow',
    });
    const [written] = await rows.json<{ n: string; last: string }>();
    expect(Number(written?.n)).toBeGreaterThanOrEqual(400);
    expect(BigInt(written?.last ?? 0)).toBe(head);
    await closeAnalyticsClient(client);
  });
});

/**
 * The client, noting in `calls` each fast-path INSERT it is asked to run ('fast path') and each
 * emptying of the read-ahead's staging table ('read-ahead'), in the order they are called.
 */
function recording(client: ClickHouseClient, calls: string[]): ClickHouseClient {
  return new Proxy(client, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (key !== 'command' || typeof value !== 'function') return value;
      return (params: { query: string; query_params?: Record<string, unknown> }) => {
        // lead-events-from-staging.sql, inlined: the one statement that opens with this line
        if (params.query.startsWith('-- GENERATED by')) {
          calls.push('fast path');
        } else if (
          params.query.startsWith('TRUNCATE') &&
          params.query_params?.['table'] === 'event_log_staging_b'
        ) {
          calls.push('read-ahead');
        }
        return (value as (p: typeof params) => unknown).call(target, params);
      };
    },
  });
}
