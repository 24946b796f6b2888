/**
 * When an erasure is final in the database's own files (audit h3, ADR 0009 addendum of
 * 2026-12-02). Shredding sets the lead's wrapped key to NULL, but PostgreSQL never overwrites a
 * row in place: the old row version stays in the key table's heap file as a dead tuple (PGlite
 * runs no autovacuum), and the insert is in the write-ahead log until its segment is written
 * over. So whoever holds the master key and a copy of the data directory — for PGlite with the
 * generated key, the directory alone: `master.key` sits beside `pglite/` — opens the erased
 * lead's values. The attacker here works as one would: find the lead id in the files, try the
 * base64 runs around it as wrapped keys, open the store's sealed values with what unwraps.
 *
 * What makes the erasure final is the documented procedure (docs/personal-data.md): rotate the
 * master key — the store opened with the new key as its master key and the old one as the
 * previous (TANDEM_MASTER_KEY_PREVIOUS), rewrapping until no key is left under the old one, as
 * the API does after start — and destroy the old one. Every copy of the erased lead's key is
 * wrapped by the old key; a kept lead's key is wrapped again by the new one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERASED_VALUE } from '@tandem/domain';
import { pgliteUnavailableReason } from '@tandem/testing';
import { createEventStore, sealed } from '../event-store.factory';
import { createPgliteEventStore } from '../postgres/postgres-event-store.factories';
import { MasterKeyWrapper } from './master-key.wrapper';
import { newDataKey, openText } from './personal-data.cipher';
import { keyRotationOf, supportsPersonalData } from './personal-data.reader';
import { leadEvent } from './testing/lead-event';

jest.setTimeout(300_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

const event = (leadId: string, type: string, data: Record<string, unknown>) =>
  leadEvent(leadId, type, data, 2);

/** Every file under `dir`, with its bytes. */
async function filesOf(dir: string): Promise<Buffer[]> {
  const files: Buffer[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(await readFile(join(entry.parentPath, entry.name)));
  }
  return files;
}

/**
 * The e-mails of `leadId` that the files under `dir` give up to whoever holds `masterKey`: the
 * wrapped keys near the lead id that unwrap, then every sealed value they open.
 */
async function emailsRecoverable(dir: string, leadId: string, masterKey: Buffer) {
  const wrapper = new MasterKeyWrapper(masterKey);
  const files = await filesOf(dir);
  const keys = new Map<string, Buffer>();
  for (const bytes of files) {
    for (let at = bytes.indexOf(leadId); at >= 0; at = bytes.indexOf(leadId, at + 1)) {
      const around = bytes.subarray(Math.max(0, at - 300), at + 300).toString('latin1');
      for (const [run] of around.matchAll(/[A-Za-z0-9+/]{78,}={0,2}/g)) {
        const key = await wrapper.unwrap(Buffer.from(run, 'base64'), leadId).catch(() => null);
        if (key !== null) keys.set(key.toString('hex'), key);
      }
    }
  }
  const emails = new Set<string>();
  for (const key of keys.values()) {
    for (const bytes of files) {
      for (const [sealedValue] of bytes.toString('latin1').matchAll(/v1:[A-Za-z0-9+/]+={0,2}/g)) {
        try {
          emails.add(
            openText(key, sealedValue, {
              leadId,
              eventType: 'LeadCaptured',
              field: 'contact.email',
            }),
          );
        } catch {
          // another field, another lead: not this key's value
        }
      }
    }
  }
  return [...emails];
}

describe('erasure in the files of a PGlite store', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tandem-erasure-finality-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  maybe(
    'is final for the files once the master key is rotated and the old one destroyed',
    async () => {
      const oldKey = newDataKey();
      const erased = { leadId: randomUUID(), email: `erin.${randomUUID()}@shred-me.example` };
      const kept = { leadId: randomUUID(), email: `kim.${randomUUID()}@keep-me.example` };
      const inner = await createPgliteEventStore({ dataDir });
      const store = sealed(inner, { wrapper: new MasterKeyWrapper(oldKey) });
      try {
        for (const { leadId, email } of [erased, kept]) {
          await store.append(
            `lead-${leadId}`,
            [
              event(leadId, 'LeadCaptured', {
                contact: { name: 'Erin', email },
                company: { name: 'Shred Ltd' },
                source: { channel: 'web' },
              }),
            ],
            { expectedRevision: 'no_stream' },
          );
        }
        await store.append(
          `lead-${erased.leadId}`,
          [event(erased.leadId, 'LeadErased', { reason: 'GDPR-h3' })],
          { expectedRevision: 0n },
        );
        if (!supportsPersonalData(store)) throw new Error('a PGlite store seals personal data');
        const opened = await store.personalData.openLeadEvents(
          erased.leadId,
          await store.readStream(`lead-${erased.leadId}`),
        );
        expect(opened[0]?.data.contact).toEqual({ name: ERASED_VALUE, email: ERASED_VALUE });
      } finally {
        await store.close(); // PGlite writes everything out on close
      }

      // Shredded for every reader of the store, but not in its files: the old row version and
      // the log still hold the wrapped key, and the master key opens it.
      expect(await emailsRecoverable(dataDir, erased.leadId, oldKey)).toEqual([erased.email]);

      // Rotation: the store restarted with a new master key and the old one as the previous,
      // every live key wrapped again under the new one; then the old one is destroyed.
      const newKey = newDataKey();
      const rotating = await createEventStore(
        { kind: 'pglite', dataDir, schema: 'tandem' },
        { masterKey: newKey.toString('base64'), previousMasterKey: oldKey.toString('base64') },
      );
      try {
        const rotation = keyRotationOf(rotating);
        if (rotation === null) throw new Error('a store given a previous key offers its rotation');
        expect(await rotation.keysUnderPrevious()).toBe(1); // the kept lead's
        while ((await rotation.rewrapPrevious()).selected > 0);
        expect(await rotation.keysUnderPrevious()).toBe(0);
      } finally {
        await rotating.close();
      }

      // The old key discarded: the store opens the kept lead with the new key alone.
      const after = await createEventStore(
        { kind: 'pglite', dataDir, schema: 'tandem' },
        { masterKey: newKey.toString('base64') },
      );
      try {
        if (!supportsPersonalData(after)) throw new Error('a PGlite store seals personal data');
        const opened = await after.personalData.openLeadEvents(
          kept.leadId,
          await after.readStream(`lead-${kept.leadId}`),
        );
        expect(opened[0]?.data.contact).toEqual({ name: 'Erin', email: kept.email });
      } finally {
        await after.close();
      }

      // The new key opens the kept lead from the same files (the search does find a live key),
      // and nothing of the erased one.
      expect(await emailsRecoverable(dataDir, kept.leadId, newKey)).toEqual([kept.email]);
      expect(await emailsRecoverable(dataDir, erased.leadId, newKey)).toEqual([]);
    },
  );
});
