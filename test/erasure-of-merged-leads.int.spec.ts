/**
 * One erasure request erases the person: every lead a merge linked to the one named, either way
 * and transitively, including merges stored before ADR 0016 (LeadMerged on the duplicate's
 * stream only, no DuplicateMergedIn on its survivor). Those are written here into the store
 * directly, as the older version wrote them; the rest goes through the API. Each case checks
 * who the answer says it erased, that each of them ends with LeadErased, and that the erased
 * duplicate's timeline no longer opens its e-mail (its key is shredded). On PGlite and on
 * PostgreSQL: the store's lookup of merges into a lead is the adapter's (readMergesInto).
 */
import { randomUUID } from 'node:crypto';
import { encodeForStore } from '@tandem/contracts';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import { asRole } from './support/auth-headers';
import { funnelApiPerFile } from './support/funnel-api.fixture';
import * as postgres from './support/postgres';

jest.setTimeout(180_000);

type OldVersionEvent =
  | { type: 'LeadMerged'; data: { intoLeadId: string } }
  | { type: 'LeadErased'; data: { reason: string } };

const schema = postgres.freshSchemaName('erasure_merges');
// After every suite's own afterAll: the API on it is closed by then.
afterAll(() => postgres.dropSchema(schema));

const legs = [
  { name: 'PGlite', suite: describe, eventStore: undefined },
  {
    name: 'PostgreSQL',
    suite: postgres.describeWhenPostgres(postgres.postgresUnavailableReason()),
    eventStore: { kind: 'postgres', url: postgres.TEST_POSTGRES_URL, schema } as const,
  },
];

for (const { name, suite, eventStore } of legs)
  suite(`erasure of merged leads on ${name}`, () => {
    const running = funnelApiPerFile('erasure-merges', eventStore ? { eventStore } : {});

    const post = (path: string, role: 'marketing' | 'ops', body: object) =>
      request(running.http)
        .post(path)
        .set(asRole(role, `${role}@erasure-merges.test`))
        .send(body);

    const emailOf = (label: string) => `${label}.${randomUUID().slice(0, 8)}@merged.example`;

    /** A lead captured through the API under `email`; returns its id. */
    async function capture(email: string): Promise<string> {
      const captured = await post('/leads', 'marketing', {
        contact: { name: `Person ${email}`, email },
        company: { name: `Company of ${email}` },
        source: { channel: 'web' },
        consent: { marketing: false },
      }).expect(201);
      return (captured.body as { leadId: string }).leadId;
    }

    const typesOf = async (leadId: string) =>
      (await running.api.store.readStream(leadStreamId(leadId))).map((event) => event.type);

    /** `event` appended to the lead's stream as the version before ADR 0016 did: that lead only. */
    async function appendAsOldVersion(leadId: string, event: OldVersionEvent): Promise<void> {
      const stream = leadStreamId(leadId);
      const revision = BigInt((await running.api.store.readStream(stream)).length - 1);
      await running.api.store.append(
        stream,
        [
          encodeForStore(event, {
            eventId: randomUUID(),
            leadId,
            accountId: null,
            occurredAt: new Date().toISOString(),
            correlationId: `old-version-${randomUUID()}`,
            causationId: null,
            actor: { kind: 'user', id: 'ops@old-version.test', role: 'ops' },
          }),
        ],
        { expectedRevision: revision },
      );
    }
    const mergeAsOldVersion = (leadId: string, intoLeadId: string) =>
      appendAsOldVersion(leadId, { type: 'LeadMerged', data: { intoLeadId } });

    const timeline = async (leadId: string) =>
      (
        await request(running.http)
          .get(`/leads/${leadId}/timeline`)
          .set(asRole('ops', 'ops@erasure-merges.test'))
          .expect(200)
      ).text;

    const erase = async (leadId: string) =>
      (await post(`/leads/${leadId}/erase`, 'ops', { reason: 'GDPR-merges' }).expect(200)).body as {
        leadId: string;
        events: unknown[];
        alsoErased?: string[];
      };

    it('erasing the survivor of a merge stored before ADR 0016 erases the duplicate', async () => {
      const duplicateEmail = emailOf('old-dupe');
      const survivor = await capture(emailOf('survivor'));
      const duplicate = await capture(duplicateEmail);
      await mergeAsOldVersion(duplicate, survivor);
      expect(await typesOf(survivor)).toEqual(['LeadCaptured']); // no record on the survivor
      expect(await timeline(duplicate)).toContain(duplicateEmail);

      const answer = await erase(survivor);
      expect(answer.alsoErased).toEqual([duplicate]);
      expect(await typesOf(duplicate)).toEqual(['LeadCaptured', 'LeadMerged', 'LeadErased']);
      const after = await timeline(duplicate);
      expect(after).not.toContain(duplicateEmail);
      expect(after).toContain('[erased]');
    });

    it('follows a chain whose first link is old: A into B (before ADR 0016), B into C (API)', async () => {
      const [a, b, c] = [
        await capture(emailOf('chain-a')),
        await capture(emailOf('chain-b')),
        await capture(emailOf('chain-c')),
      ];
      await mergeAsOldVersion(a, b);
      await post(`/leads/${b}/merge`, 'ops', { intoLeadId: c }).expect(200);

      const answer = await erase(c);
      expect(answer.alsoErased).toEqual([a, b].sort());
      for (const lead of [a, b, c]) expect((await typesOf(lead)).at(-1)).toBe('LeadErased');
    });

    it('erasing one old duplicate erases its survivor and the survivor’s other old duplicates', async () => {
      const survivor = await capture(emailOf('two-dupes'));
      const first = await capture(emailOf('dupe-1'));
      const second = await capture(emailOf('dupe-2'));
      await mergeAsOldVersion(first, survivor);
      await mergeAsOldVersion(second, survivor);

      const answer = await erase(first);
      expect(answer.alsoErased).toEqual([survivor, second].sort());
      for (const lead of [first, second, survivor]) {
        expect((await typesOf(lead)).at(-1)).toBe('LeadErased');
      }
    });

    it('a survivor erased before, its old duplicate left readable, erased again: the duplicate goes', async () => {
      const duplicateEmail = emailOf('left-behind');
      const survivor = await capture(emailOf('erased-before'));
      const duplicate = await capture(duplicateEmail);
      await mergeAsOldVersion(duplicate, survivor);
      // What an erasure by the older code left: the survivor erased, the duplicate not.
      await appendAsOldVersion(survivor, { type: 'LeadErased', data: { reason: 'GDPR-before' } });
      expect(await timeline(duplicate)).toContain(duplicateEmail);

      const answer = await erase(survivor);
      expect(answer).toMatchObject({ leadId: survivor, events: [], alsoErased: [duplicate] });
      expect(await typesOf(survivor)).toEqual(['LeadCaptured', 'LeadErased']);
      expect(await timeline(duplicate)).not.toContain(duplicateEmail);
    });
  });
