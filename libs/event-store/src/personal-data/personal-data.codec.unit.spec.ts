import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERASED_VALUE, isSealedValue } from '@tandem/domain';
import { newDataKey, openText, PersonalDataIntegrityError, sealText } from './personal-data.cipher';
import {
  ErasedLeadWriteError,
  hasPlainPersonalData,
  openPersonalData,
  sealPersonalData,
} from './personal-data.codec';
import { decodeMasterKey, loadMasterKey, MasterKeyWrapper } from './master-key.wrapper';
import { createEventStore } from '../event-store.factory';

const context = { leadId: 'lead-a', eventType: 'LeadCaptured', field: 'contact.email' };
const captured = {
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Grace Hopper', email: 'grace@navy.example', phone: '  ' },
    company: { name: 'Hopper Consulting', industry: 'software', size: 3, country: 'US' },
    source: { channel: 'web' },
    productInterest: 'analytics',
    timeframe: null,
    consent: { marketing: true },
  },
};

describe('personal-data cipher', () => {
  it('opens what it sealed, with a fresh IV each time', () => {
    const key = newDataKey();
    const first = sealText(key, 'grace@navy.example', context);
    const second = sealText(key, 'grace@navy.example', context);
    expect(first).toMatch(/^v1:[A-Za-z0-9+/]+={0,2}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('grace');
    expect(openText(key, first, context)).toBe('grace@navy.example');
  });

  it('never hands out an IV twice, across the blocks they are cut from', () => {
    const key = newDataKey();
    const ivs = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const sealed = sealText(key, `value ${i}`, context);
      ivs.add(Buffer.from(sealed.slice(3), 'base64').subarray(0, 12).toString('hex'));
      expect(openText(key, sealed, context)).toBe(`value ${i}`);
    }
    expect(ivs.size).toBe(3000);
  });

  it('refuses a tampered value', () => {
    const key = newDataKey();
    const sealed = sealText(key, 'grace@navy.example', context);
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[14] = (bytes[14] ?? 0) ^ 0x01; // one ciphertext bit
    const tampered = 'v1:' + bytes.toString('base64');
    expect(() => openText(key, tampered, context)).toThrow(PersonalDataIntegrityError);
  });

  it('refuses a value moved to another lead, another field, or opened with another key', () => {
    const key = newDataKey();
    const sealed = sealText(key, 'grace@navy.example', context);
    expect(() => openText(key, sealed, { ...context, leadId: 'lead-b' })).toThrow(
      PersonalDataIntegrityError,
    );
    expect(() => openText(key, sealed, { ...context, field: 'contact.name' })).toThrow(
      PersonalDataIntegrityError,
    );
    expect(() => openText(newDataKey(), sealed, context)).toThrow(PersonalDataIntegrityError);
  });
});

describe('sealing and opening an event', () => {
  const key = { kind: 'key', key: newDataKey() } as const;

  it('seals every non-blank personal field and nothing the rules read', () => {
    const sealed = sealPersonalData(captured, 'lead-a', key);
    const json = JSON.stringify(sealed);
    for (const plain of ['Grace Hopper', 'grace@navy.example', 'Hopper Consulting']) {
      expect(json).not.toContain(plain);
    }
    const contact = sealed.contact as Record<string, unknown>;
    expect(isSealedValue(contact.email)).toBe(true);
    expect(contact.phone).toBe('  '); // blank carries nothing: left as it is
    expect(sealed.company).toMatchObject({ industry: 'software', size: 3, country: 'US' });
    expect(sealed.productInterest).toBe('analytics');
    expect(hasPlainPersonalData({ type: 'LeadCaptured', data: sealed })).toBe(false);
  });

  it('opens with the right key, shows the erased marker without one', () => {
    const sealed = { type: 'LeadCaptured', data: sealPersonalData(captured, 'lead-a', key) };
    expect(openPersonalData(sealed, 'lead-a', key)).toEqual(captured.data);
    const erased = openPersonalData(sealed, 'lead-a', { kind: 'shredded' });
    expect(erased.contact).toEqual({ name: ERASED_VALUE, email: ERASED_VALUE, phone: '  ' });
    expect((erased.company as Record<string, unknown>).name).toBe(ERASED_VALUE);
  });

  it('refuses to open one lead’s value as another lead’s', () => {
    const sealed = { type: 'LeadCaptured', data: sealPersonalData(captured, 'lead-a', key) };
    expect(() => openPersonalData(sealed, 'lead-b', key)).toThrow(PersonalDataIntegrityError);
  });

  it('seals a v2 capture’s UTM content, and leaves a v1 capture’s plain as v1 declares it', () => {
    const withContent = (schemaVersion: number) => ({
      type: 'LeadCaptured',
      schemaVersion,
      data: { ...captured.data, source: { channel: 'email', content: 'grace@navy.example' } },
    });
    const v2 = sealPersonalData(withContent(2), 'lead-a', key);
    expect(isSealedValue((v2.source as Record<string, unknown>).content)).toBe(true);
    expect(JSON.stringify(v2)).not.toContain('grace@navy.example');
    expect(openPersonalData({ type: 'LeadCaptured', data: v2 }, 'lead-a', key)).toEqual(
      withContent(2).data,
    );
    const v1 = sealPersonalData(withContent(1), 'lead-a', key);
    expect(v1.source).toEqual({ channel: 'email', content: 'grace@navy.example' });
    expect(isSealedValue((v1.contact as Record<string, unknown>).email)).toBe(true);
    expect(hasPlainPersonalData({ ...withContent(1), data: v1 })).toBe(false);
  });

  it('passes plain values of events recorded before sealing through', () => {
    expect(openPersonalData(captured, 'lead-a', { kind: 'none' })).toEqual(captured.data);
  });

  it('refuses to seal new personal data for an erased lead', () => {
    expect(() => sealPersonalData(captured, 'lead-a', { kind: 'shredded' })).toThrow(
      ErasedLeadWriteError,
    );
  });
});

describe('master key wrapping', () => {
  it('unwraps only for the lead it wrapped for, and only under the same master key', async () => {
    const wrapper = new MasterKeyWrapper(newDataKey());
    const dataKey = newDataKey();
    const wrapped = await wrapper.wrap(dataKey, 'lead-a');
    expect((await wrapper.unwrap(wrapped, 'lead-a')).equals(dataKey)).toBe(true);
    await expect(wrapper.unwrap(wrapped, 'lead-b')).rejects.toThrow(/does not unwrap/);
    await expect(new MasterKeyWrapper(newDataKey()).unwrap(wrapped, 'lead-a')).rejects.toThrow(
      /does not unwrap/,
    );
  });
});

describe('the master key from the environment', () => {
  it('is refused unless it is base64 of exactly 32 bytes', () => {
    expect(() => decodeMasterKey(Buffer.alloc(16).toString('base64'), 'TANDEM_MASTER_KEY')).toThrow(
      /exactly 32 bytes/,
    );
    expect(decodeMasterKey(Buffer.alloc(32, 7).toString('base64'), 'TANDEM_MASTER_KEY')).toEqual(
      Buffer.alloc(32, 7),
    );
  });

  it('stops start-up when the previous key is malformed or is the current key, naming neither', async () => {
    const current = Buffer.alloc(32, 7).toString('base64');
    // Refused before any engine opens: the unreachable server is never dialled.
    const selection = {
      kind: 'postgres',
      url: 'postgres://127.0.0.1:1/none',
      schema: 'x',
    } as const;
    const malformed = createEventStore(selection, {
      masterKey: current,
      previousMasterKey: 'bm90IGEga2V5',
    });
    await expect(malformed).rejects.toThrow(
      'TANDEM_MASTER_KEY_PREVIOUS: a master key is base64 of exactly 32 bytes',
    );
    const same = createEventStore(selection, { masterKey: current, previousMasterKey: current });
    await expect(same).rejects.toThrow(/TANDEM_MASTER_KEY_PREVIOUS is the same key/);
    await expect(same).rejects.not.toThrow(current);
  });

  it('is generated once into the key directory, mode 0600, and read back after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-master-key-'));
    try {
      const first = await loadMasterKey(undefined, dir);
      expect(first.source).toEqual({ generatedFile: join(dir, 'master.key') });
      expect((await stat(join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
      const second = await loadMasterKey(undefined, dir);
      expect(second.source).toEqual({ file: join(dir, 'master.key') });
      expect(second.key.equals(first.key)).toBe(true);
      const fromEnv = await loadMasterKey(Buffer.alloc(32, 1).toString('base64'), dir);
      expect(fromEnv.source).toBe('environment');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
