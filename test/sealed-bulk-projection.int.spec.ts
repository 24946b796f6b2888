/**
 * Sealed personal fields on the set-based catch-up (ADR 0006, ADR 0009): events appended through
 * the sealing store carry `{"$pii":"v1:…"}` where a field is personal. The fast path must vouch
 * for them (checking the sealed form, never copying it) and write exactly what the TypeScript
 * path writes; neither path may put a sealed value or its plain text into ClickHouse.
 */
import { randomUUID } from 'node:crypto';
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
import { decodeStoredEvent, encodeForStore, type TandemEvent } from '@tandem/contracts';
import { leadStreamId } from '@tandem/domain';
import { createEventStore, type EventStore } from '@tandem/event-store';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './support/postgres';
import {
  dumpTable,
  projectPerEvent,
  publishDefaultDefinition,
} from './support/two-path-projection';

jest.setTimeout(180_000);

const EMAIL = `sealed.${randomUUID().slice(0, 8)}@bulk.example`;

const meta = (leadId: string | null, minute: number) => ({
  eventId: randomUUID(),
  leadId,
  accountId: null,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  correlationId: `sealed-${minute}`,
  causationId: null,
  actor: { kind: 'user', id: 'ana@example.com', role: 'marketing' } as const,
});

function journey(leadId: string): TandemEvent[] {
  return [
    {
      type: 'LeadCaptured',
      data: {
        contact: { name: 'Ada Sealed', email: EMAIL, phone: '+44 20 7946 0999' },
        company: { name: 'Sealed Engines Ltd', industry: 'software', size: 40, country: 'GB' },
        source: { channel: 'web', campaign: 'sealed' },
        productInterest: 'funnel_analytics',
        timeframe: '3_months',
        consent: { marketing: true },
      },
    },
    {
      type: 'TouchpointRecorded',
      data: {
        touchpointId: `tp-${leadId}`,
        kind: 'chatbot',
        channel: 'web',
        campaign: null,
        content: `mail ${EMAIL}`,
      },
    },
    {
      type: 'LeadRejectedBySales',
      data: { owner: 'marco', reason: 'no_budget', note: `asked ${EMAIL}` },
    },
    { type: 'LeadRecycled', data: { from: 'rejected', reason: `per ${EMAIL}` } },
    {
      type: 'LeadAcceptedBySales',
      data: { owner: 'marco', note: '   ' }, // blank: stays plain, as the TS path sees it
    },
  ];
}

const dumpLeadEvents = (client: ClickHouseClient, database: string) =>
  dumpTable(client, database, 'lead_events', 'event_id');

describeWhenPostgres(postgresUnavailableReason())('set-based catch-up of sealed events', () => {
  const schema = freshSchemaName('sealed_bulk');
  let store: EventStore;
  let dir: string;
  let client: ClickHouseClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-sealed-bulk-'));
    store = await createEventStore(
      { kind: 'postgres', url: TEST_POSTGRES_URL, schema },
      { keyDir: dir },
    );
    client = await createAnalyticsClient({ mode: 'embedded', path: join(dir, 'chdb') });
  });

  afterAll(async () => {
    await closeAnalyticsClient(client);
    await store?.close();
    await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('the fast path vouches for sealed values and writes what the TypeScript path writes', async () => {
    await publishDefaultDefinition(store, () => meta(null, 0));
    let leadEvents = 0;
    for (let i = 0; i < 20; i++) {
      const leadId = randomUUID();
      const events = journey(leadId).map((event, n) => encodeForStore(event, meta(leadId, n + 1)));
      leadEvents += events.length;
      await store.append(leadStreamId(leadId), events, { expectedRevision: 'no_stream' });
    }
    const head = (await store.headPosition())!;
    expect(JSON.stringify((await store.readAll({ maxCount: 10 })).map((e) => e.data))).toContain(
      '"$pii"',
    );

    await migrate(client, { database: 'sealed_reference' });
    expect([...(await projectPerEvent(client, store, 'sealed_reference'))]).toEqual([]);

    await migrate(client, { database: 'sealed_candidate' });
    const outcome = await new BulkLogProjection(
      client,
      postgresLogSource(TEST_POSTGRES_URL, schema),
      decodeStoredEvent,
      { database: 'sealed_candidate' },
    ).project(0n, head);
    expect(outcome.invalid).toEqual([]);
    // Every lead event went the fast way: sealed values did not push any to TypeScript.
    expect(outcome.fallback).toBeLessThanOrEqual(Number(head) - leadEvents);

    const expected = await dumpLeadEvents(client, 'sealed_reference');
    expect(expected.split('\n').filter(Boolean)).toHaveLength(leadEvents);
    expect(await dumpLeadEvents(client, 'sealed_candidate')).toBe(expected);
    expect(expected).not.toContain(EMAIL);
    expect(expected).not.toContain('$pii');
    expect(expected).not.toContain('Sealed Engines');
  });
});
