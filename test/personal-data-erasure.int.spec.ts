/**
 * Erasure by crypto-shredding, end to end on real engines (issue 12 item 3, ADR 0009): leads
 * are captured with a distinctive e-mail and phone (also typed into a touchpoint's content, a
 * rejection note and the capture's UTM content, sealed since LeadCaptured v2), a duplicate of the person is merged into one
 * of them, the embedded projector runs, that lead is erased (one request, which erases the
 * duplicate with it: one person), and then every byte the
 * system keeps is searched for them — the PGlite data directory (closed, so everything is on
 * disk), the chDB data directory, and every API response read after the erasure (timelines,
 * views, CSV exports). Nothing may be found for the erased lead, while a kept lead's timeline
 * still opens, and the views read the same bytes before the erasure, after it and after a
 * rebuild. The same journey runs on the API over PostgreSQL, whose schema's every table
 * (events, keys, idempotency records and their stored answers) is searched instead of files;
 * a third case checks the store's tables directly (and that a LeadCaptured v1's UTM content, plain
 * by its schema, is what erasure leaves: ADR 0009), a fourth relays a lead's events to the real
 * Kafka broker and searches its log segment files.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeForStore } from '@tandem/contracts';
import { leadStreamId, type LeadEvent } from '@tandem/domain';
import { createEventStore, supportsPersonalData } from '@tandem/event-store';
import { createProducer, ensureLeadEventTopics } from '@tandem/messaging';
import { Client } from 'pg';
import pino from 'pino';
import { Relay } from '../apps/relay/src/relay';
import { relayTestConfig } from './support/relay-test-config';
import { eventually } from './support/eventually';
import request from 'supertest';
import type { App } from 'supertest/types';
import { asRole } from './support/auth-headers';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from './support/postgres';

jest.setTimeout(240_000);

const unique = randomUUID().slice(0, 8);
const erasedPerson = {
  name: `Erin Shredd ${unique}`,
  email: `erin.${unique}@shred-me.example`,
  phone: `+44 7700 9${unique.replace(/[^0-9]/g, '7').slice(0, 5)}`,
};
const keptPerson = {
  name: `Kim Kept ${unique}`,
  email: `kim.${unique}@keep-me.example`,
  phone: `+39 02 555 ${unique.replace(/[^0-9]/g, '3').slice(0, 4)}`,
};
const erasureReason = `GDPR-request-${unique}`;
/**
 * What else a capture may carry that names the person: the UTM content of the link they
 * clicked (mail tools put the recipient's address there), and a duplicate of them captured
 * under another address, then merged into the lead that is erased. The UTM content is sealed
 * in the store from LeadCaptured v2 on, so it is searched for like the e-mail; a v1 capture's
 * stays plain where it was recorded (the PostgreSQL case below).
 */
const utmContent = (person: { email: string }) =>
  `newsletter-to-${person.email.replace('@', '-at-')}`;
/** Every value of the erased person's (and their duplicate's) that nothing may keep. */
const erasedNeedles = () => [
  erasedPerson.email,
  erasedPerson.phone,
  erasedPerson.name,
  duplicateOfErased.email,
  duplicateOfErased.name,
  utmContent(erasedPerson),
  utmContent(duplicateOfErased),
];
const duplicateOfErased = {
  name: `Erin Shredd-Dupe ${unique}`,
  email: `erin.dupe.${unique}@shred-me.example`,
};

/** Every file under `dir` whose bytes contain `needle`, relative to `dir`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  const bytes = Buffer.from(needle, 'utf8');
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(bytes)) found.push(path.slice(dir.length));
  }
  return found;
}

const views = [
  '/analytics/funnel',
  '/analytics/funnel/time-in-stage',
  '/analytics/funnel/cohorts?grain=month&limit=1000',
  '/analytics/marketing',
  '/analytics/marketing/attribution?model=w_shaped&limit=1000',
  '/analytics/sales',
  '/analytics/sales/performance?limit=1000',
  '/analytics/alignment?asOf=2030-01-01T00:00:00Z&limit=1000',
  '/analytics/accounts?limit=1000',
  '/analytics/reconciliation',
];

/**
 * Which tables of `schema` hold `needle` anywhere in a row (its text form: every column,
 * json and jsonb included). Identifiers come from the catalogue, quoted; the needle is a
 * parameter.
 */
async function tablesHolding(client: Client, schema: string, needle: string): Promise<string[]> {
  const { rows: tables } = await client.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
    [schema],
  );
  const hits: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}"."${table_name}" AS t WHERE strpos(t::text, $1) > 0`,
      [needle],
    );
    if (Number(rows[0]?.n) > 0) hits.push(table_name);
  }
  return hits.sort();
}

/**
 * The API end to end on one store: PGlite (every byte of its closed data directory searched)
 * or PostgreSQL (every table of its schema searched: events, keys, idempotency records with
 * their stored answers, checkpoints), chDB behind both.
 */
const apiStores = [
  { name: 'the embedded engines (PGlite + chDB)', kind: 'pglite', suite: describe },
  {
    name: 'the API on PostgreSQL (+ chDB)',
    kind: 'postgres',
    suite: describeWhenPostgres(postgresUnavailableReason()),
  },
] as const;

for (const { name, kind, suite } of apiStores)
  suite(`erasure on ${name}`, () => {
    let chdbPath: string;
    let api: FunnelApiFixture;
    let http: App;
    let closed = false;
    const schema = kind === 'postgres' ? freshSchemaName('erasure_api') : null;
    /** Every response body read after the erasure. */
    const responsesAfterErasure: string[] = [];

    beforeAll(async () => {
      chdbPath = await mkdtemp(join(tmpdir(), 'tandem-erasure-chdb-'));
      api = await startFunnelApi(
        chdbPath,
        schema === null ? {} : { eventStore: { kind: 'postgres', url: TEST_POSTGRES_URL, schema } },
      );
      http = api.app.getHttpServer() as App;
    });

    afterAll(async () => {
      if (!closed) await api?.close();
      else await rm(api.config.dataDir, { recursive: true, force: true });
      await rm(chdbPath, { recursive: true, force: true });
      if (schema !== null) await dropSchema(schema);
    });

    const post = (path: string, role: 'marketing' | 'sales' | 'ops', body: object) =>
      request(http)
        .post(path)
        .set(asRole(role, `${role}@erasure.test`))
        .send(body);

    /** A lead whose personal data is everywhere a person can type it. */
    async function journey(person: typeof erasedPerson): Promise<string> {
      const captured = await post('/leads', 'marketing', {
        contact: { name: person.name, email: person.email, phone: person.phone },
        company: {
          name: `${person.name} Consulting`,
          industry: 'software',
          size: 250,
          country: 'IT',
        },
        source: {
          channel: 'web',
          campaign: 'erasure-test',
          medium: 'email',
          content: utmContent(person),
        },
        productInterest: 'funnel_analytics',
        timeframe: '3_months',
        consent: { marketing: true },
      })
        .set('Idempotency-Key', `capture-${person.email}`)
        .expect(201);
      const leadId = (captured.body as { leadId: string }).leadId;
      await post(`/leads/${leadId}/touchpoints`, 'marketing', {
        kind: 'demo_request',
        channel: 'chatbot',
        content: `please call ${person.phone} or mail ${person.email}`,
      })
        .set('Idempotency-Key', `touch-${person.email}`)
        .expect(200);
      await post(`/leads/${leadId}/profile`, 'marketing', { role: 'cmo' }).expect(200);
      await post(`/leads/${leadId}/mql`, 'marketing', {}).expect(200);
      await post(`/leads/${leadId}/handoff`, 'marketing', { owner: 'marco' }).expect(200);
      await post(`/leads/${leadId}/reject`, 'sales', {
        reason: 'no_budget',
        note: `${person.name} (${person.email}, ${person.phone}) has no budget`,
      }).expect(200);
      return leadId;
    }

    async function readViews(record: boolean): Promise<string> {
      const bodies: string[] = [];
      for (const path of views) {
        for (const accept of ['application/json', 'text/csv']) {
          if (path === '/analytics/reconciliation' && accept === 'text/csv') continue;
          const response = await request(http)
            .get(path)
            .set(asRole('ops', 'ops@erasure.test'))
            .set('Accept', accept)
            .expect(200);
          if (record) responsesAfterErasure.push(response.text);
          bodies.push(`${path} ${accept}\n${response.text}`);
        }
      }
      return bodies.join('\n');
    }

    const timeline = async (leadId: string) => {
      const response = await request(http)
        .get(`/leads/${leadId}/timeline`)
        .set(asRole('ops', 'ops@erasure.test'))
        .expect(200);
      return response.text;
    };

    it('leaves no trace of the erased lead’s e-mail and phone, and moves no view', async () => {
      const erasedId = await journey(erasedPerson);
      const keptId = await journey(keptPerson);
      // The same person captured twice, the duplicate merged into the lead erased below: both
      // the survivor and the merged-away lead are erased, and neither may keep anything.
      const duplicate = await post('/leads', 'marketing', {
        contact: duplicateOfErased,
        company: { name: `${duplicateOfErased.name} Consulting` },
        source: { channel: 'web', content: utmContent(duplicateOfErased) },
        consent: { marketing: false },
      }).expect(201);
      const duplicateId = (duplicate.body as { leadId: string }).leadId;
      await post(`/leads/${duplicateId}/merge`, 'ops', { intoLeadId: erasedId }).expect(200);
      // Even before erasure the store holds ciphertext only: what the relay would publish.
      const stored = JSON.stringify(
        (await api.store.readStream(leadStreamId(erasedId))).map((event) => event.data),
      );
      expect(stored).not.toContain(erasedPerson.email);
      expect(stored).toContain('"$pii":"v1:');
      expect(await timeline(erasedId)).toContain(erasedPerson.email); // the key still opens it
      await waitForProjection(http);
      const before = await readViews(false);

      // Only ops erases: marketing and sales are refused before anything is written.
      await post(`/leads/${erasedId}/erase`, 'marketing', { reason: erasureReason }).expect(403);
      await post(`/leads/${erasedId}/erase`, 'sales', { reason: erasureReason }).expect(403);
      // One request erases the person: the lead and the duplicate merged into it, together.
      const erasure = await post(`/leads/${erasedId}/erase`, 'ops', {
        reason: erasureReason,
      }).expect(200);
      expect(erasure.body).toMatchObject({ leadId: erasedId, alsoErased: [duplicateId] });
      const erasedTypes = async (leadId: string) =>
        (await api.store.readStream(leadStreamId(leadId))).map((event) => event.type);
      expect(await erasedTypes(duplicateId)).toEqual(['LeadCaptured', 'LeadMerged', 'LeadErased']);
      // Erasing it again (ops following an older runbook) is the success it was: nothing written.
      const again = await post(`/leads/${duplicateId}/erase`, 'ops', {
        reason: erasureReason,
      }).expect(200);
      expect(again.body).toMatchObject({ leadId: duplicateId, events: [] });
      expect(await erasedTypes(duplicateId)).toEqual(['LeadCaptured', 'LeadMerged', 'LeadErased']);
      await waitForProjection(http);
      const after = await readViews(true);

      await post('/ops/rebuild', 'ops', {}).expect(202);
      await waitForProjection(http);
      const rebuilt = await readViews(true);

      // Captured again under its id, the erased lead takes nothing (422, as every command after
      // erasure): no new key, no new value sealed under an id whose key was shredded.
      const revisionAfterErasure = (await api.store.readStream(leadStreamId(erasedId))).length;
      const recapture = await post('/leads', 'marketing', {
        leadId: erasedId,
        contact: { name: erasedPerson.name, email: erasedPerson.email },
        company: { name: `${erasedPerson.name} Consulting` },
        source: { channel: 'web' },
        consent: { marketing: false },
      }).expect(422);
      responsesAfterErasure.push(recapture.text);
      expect((await api.store.readStream(leadStreamId(erasedId))).length).toBe(
        revisionAfterErasure,
      );

      const duplicateTimeline = await timeline(duplicateId);
      const erasedTimeline = await timeline(erasedId);
      const keptTimeline = await timeline(keptId);
      responsesAfterErasure.push(duplicateTimeline, erasedTimeline, keptTimeline);
      expect(duplicateTimeline).toContain('[erased]');
      expect(erasedTimeline).toContain('[erased]');
      expect(erasedTimeline).toContain(erasureReason);
      expect(keptTimeline).toContain(keptPerson.email);
      expect(keptTimeline).toContain(`please call ${keptPerson.phone}`);
      expect(keptTimeline).toContain(utmContent(keptPerson)); // sealed, and opened for ops

      // LeadErased is one more event: the reconciliation says how far it has read, nothing else
      // may differ. A rebuild after the erasure reproduces the live views byte for byte.
      const position = /"coveredPosition":"\d+"/g;
      expect(after.replace(position, '')).toBe(before.replace(position, ''));
      expect(rebuilt).toBe(after);
      // Every response after the erasure but the kept lead's own timeline (the last one).
      const views = responsesAfterErasure.slice(0, -1);
      for (const body of views) {
        for (const needle of erasedNeedles()) expect(body).not.toContain(needle);
      }
      // Views never carry personal data at all, erased or not.
      for (const body of views.slice(0, -1)) expect(body).not.toContain(keptPerson.email);

      // Everything on disk: PGlite writes its files out on close; chDB's parts are files already.
      await api.app.close(); // not api.close(): that also deletes the data directory
      closed = true;
      const storeHolding = await storeSearch(schema, api.config.dataDir);
      // The search can see plain text in the store: the erasure reason is stored plain.
      expect((await storeHolding(erasureReason)).length).toBeGreaterThan(0);
      for (const needle of erasedNeedles()) {
        expect(await storeHolding(needle)).toEqual([]);
        expect(await filesContaining(chdbPath, needle)).toEqual([]);
      }
      // Sealed from the first append: the kept lead's values are not in plain text either, its
      // UTM content included (LeadCaptured v2).
      expect(await storeHolding(keptPerson.email)).toEqual([]);
      expect(await filesContaining(chdbPath, keptPerson.email)).toEqual([]);
      expect(await storeHolding(utmContent(keptPerson))).toEqual([]);
      // ClickHouse holds no UTM content at all, sealed or not.
      expect(await filesContaining(chdbPath, utmContent(keptPerson))).toEqual([]);
    });
  });

/**
 * Where the store holds `needle`: the files of PGlite's data directory, or the tables of a
 * PostgreSQL schema (read through a connection of its own, closed after each search).
 */
async function storeSearch(
  schema: string | null,
  dataDir: string,
): Promise<(needle: string) => Promise<string[]>> {
  if (schema === null) return (needle) => filesContaining(dataDir, needle);
  return async (needle) => {
    const client = new Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      return await tablesHolding(client, schema, needle);
    } finally {
      await client.end();
    }
  };
}

describeWhenPostgres(postgresUnavailableReason())('erasure on PostgreSQL', () => {
  const schema = freshSchemaName('erasure');
  let keyDir: string;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'tandem-erasure-keys-'));
  });
  afterAll(async () => {
    await dropSchema(schema);
    await rm(keyDir, { recursive: true, force: true });
  });

  it('no table of the store’s schema holds the plain values, before or after erasure', async () => {
    const store = await createEventStore(
      { kind: 'postgres', url: TEST_POSTGRES_URL, schema },
      { keyDir },
    );
    const leadId = randomUUID();
    const meta = (i: number) => ({
      eventId: randomUUID(),
      leadId,
      accountId: null,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      correlationId: `erasure-${i}`,
      causationId: null,
      actor: { kind: 'user' as const, id: 'pg@erasure.test', role: 'marketing' as const },
    });
    const events: LeadEvent[] = [
      {
        type: 'LeadCaptured',
        data: {
          contact: erasedPerson,
          company: { name: `${erasedPerson.name} Ltd`, industry: 'software' },
          source: { channel: 'email', content: utmContent(erasedPerson) },
          productInterest: null,
          timeframe: null,
          consent: { marketing: false },
        },
      },
      {
        type: 'TouchpointRecorded',
        data: {
          touchpointId: 't1',
          kind: 'chatbot',
          channel: 'web',
          campaign: null,
          content: `call ${erasedPerson.phone}, mail ${erasedPerson.email}`,
        },
      },
    ];
    await store.append(
      leadStreamId(leadId),
      events.map((event, i) => encodeForStore(event, meta(i))),
      { expectedRevision: 'no_stream' },
    );
    // A capture recorded before v2 (history is never rewritten): its UTM content is plain by
    // LeadCaptured v1's schema, so the store keeps it plain, and an erasure cannot reach it.
    const v1Lead = randomUUID();
    const v1Content = `v1-newsletter-${unique}`;
    const v1Capture = encodeForStore(
      {
        type: 'LeadCaptured',
        data: {
          contact: { name: `V1 Person ${unique}`, email: `v1.${unique}@shred-me.example` },
          company: { name: `V1 Person ${unique} Ltd` },
          source: { channel: 'email', content: v1Content },
          productInterest: null,
          timeframe: null,
          consent: { marketing: false },
        },
      },
      { ...meta(0), leadId: v1Lead },
    );
    expect(v1Capture.schemaVersion).toBe(2);
    await store.append(leadStreamId(v1Lead), [{ ...v1Capture, schemaVersion: 1 }], {
      expectedRevision: 'no_stream',
    });
    const client = new Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      const holding = (needle: string) => tablesHolding(client, schema, needle);
      expect(await holding(erasedPerson.email)).toEqual([]);
      expect(await holding(erasedPerson.phone)).toEqual([]);
      expect(await holding(utmContent(erasedPerson))).toEqual([]); // v2: sealed
      expect(await holding(v1Content)).toEqual(['events']); // v1: plain, as its schema says
      expect(await holding(`v1.${unique}@shred-me.example`)).toEqual([]); // its e-mail: sealed
      if (!supportsPersonalData(store)) throw new Error('a PostgreSQL store seals personal data');
      const opened = await store.personalData.openLeadEvents(
        leadId,
        await store.readStream(leadStreamId(leadId)),
      );
      expect(JSON.stringify(opened.map((event) => event.data))).toContain(erasedPerson.email);

      await store.append(
        leadStreamId(leadId),
        [encodeForStore({ type: 'LeadErased', data: { reason: erasureReason } }, meta(2))],
        { expectedRevision: 1n },
      );
      expect(await holding(erasureReason)).toEqual(['events']); // the search sees plain text
      const afterErasure = await store.personalData.openLeadEvents(
        leadId,
        await store.readStream(leadStreamId(leadId)),
      );
      const text = JSON.stringify(afterErasure.map((event) => event.data));
      expect(text).not.toContain(erasedPerson.email);
      expect(text).not.toContain(erasedPerson.phone);
      expect(text).not.toContain(utmContent(erasedPerson));
      expect(text).toContain('[erased]');
      expect(await holding(utmContent(erasedPerson))).toEqual([]);

      // The v1 capture's lead erased too: its sealed values are shredded, its UTM content is
      // what erasure does not reach (docs/personal-data.md). The timeline blanks it on read.
      await store.append(
        leadStreamId(v1Lead),
        [
          encodeForStore(
            { type: 'LeadErased', data: { reason: erasureReason } },
            { ...meta(1), leadId: v1Lead },
          ),
        ],
        { expectedRevision: 0n },
      );
      const v1Erased = JSON.stringify(
        (
          await store.personalData.openLeadEvents(
            v1Lead,
            await store.readStream(leadStreamId(v1Lead)),
          )
        ).map((event) => event.data),
      );
      expect(v1Erased).not.toContain(`v1.${unique}@shred-me.example`);
      expect(v1Erased).toContain(v1Content);
      expect(await holding(v1Content)).toEqual(['events']);
      const { rows: keyRows } = await client.query<{ wrapped_key: string | null }>(
        `SELECT wrapped_key FROM "${schema}".personal_data_keys WHERE lead_id = $1`,
        [leadId],
      );
      expect(keyRows).toEqual([{ wrapped_key: null }]);
    } finally {
      await client.end();
      await store.close();
    }
  });
});

const kafkaBrokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const kafkaDataDir = process.env.TANDEM_TEST_KAFKA_DATA_DIR;

describeWhenPostgres(
  postgresUnavailableReason() ??
    (kafkaBrokers && kafkaDataDir ? null : 'no Kafka broker of this run to read the files of'),
)('erasure and Kafka (real broker, relay in process)', () => {
  const schema = freshSchemaName('erasure_kafka');
  let keyDir: string;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'tandem-erasure-kafka-'));
  });
  afterAll(async () => {
    await dropSchema(schema);
    await rm(keyDir, { recursive: true, force: true });
  });

  it('the log segments hold ciphertext only: nothing to delete when the lead is erased', async () => {
    const topic = `tandem.test.erasure.${randomUUID()}`;
    const config = relayTestConfig({ schema, topic, keyDir });
    await ensureLeadEventTopics(config.kafka!);
    const store = await createEventStore(config.eventStore, { keyDir });
    const producer = createProducer(config.kafka!, 'erasure-test');
    const relay = new Relay(
      store,
      producer,
      {
        topic,
        checkpoint: `erasure-${topic}`,
        batchSize: 50,
        maxMessageBytes: config.kafka!.topic.maxMessageBytes,
      },
      pino({ level: 'silent' }),
    );
    try {
      const leadId = randomUUID();
      const meta = (i: number) => ({
        eventId: randomUUID(),
        leadId,
        accountId: null,
        occurredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        correlationId: `erasure-kafka-${i}`,
        causationId: null,
        actor: { kind: 'user' as const, id: 'kafka@erasure.test', role: 'marketing' as const },
      });
      const events: LeadEvent[] = [
        {
          type: 'LeadCaptured',
          data: {
            contact: erasedPerson,
            company: { name: `${erasedPerson.name} GmbH` },
            source: { channel: 'web' },
            productInterest: null,
            timeframe: null,
            consent: { marketing: false },
          },
        },
        {
          type: 'LeadRejectedBySales',
          data: {
            owner: 'marco',
            reason: 'no_budget',
            note: `${erasedPerson.email} / ${erasedPerson.phone}`,
          },
        },
        { type: 'LeadErased', data: { reason: erasureReason } },
      ];
      await store.append(
        leadStreamId(leadId),
        events.map((event, i) => encodeForStore(event, meta(i))),
        { expectedRevision: 'no_stream' },
      );
      await relay.start();
      await eventually(
        async () => (relay.status().published >= 3 ? true : undefined),
        'the relay publishes the three events',
      );
      const segments = join(kafkaDataDir ?? '', 'data');
      // The search sees plain text in the segments: the erasure reason is published plain.
      await eventually(
        async () =>
          (await filesContaining(segments, erasureReason)).length > 0 ? true : undefined,
        'the erasure reason is in a log segment',
      );
      for (const needle of [erasedPerson.email, erasedPerson.phone, erasedPerson.name]) {
        expect(await filesContaining(segments, needle)).toEqual([]);
      }
    } finally {
      await relay.stop();
      await producer.close();
      await store.close();
    }
  });
});
