/**
 * The local master key and the KeyWrapper over it. The key comes from TANDEM_MASTER_KEY
 * (base64 of 32 bytes); without it, a key is generated once into `<data dir>/master.key`
 * with mode 0600 — a development convenience like a local signing key, NOT a place for
 * production secrets: whoever reads that file and a copy of the database reads every
 * unerased lead, and every lead erased since the key was made (the shredded key's old row
 * version and the WAL keep it wrapped under this key: docs/personal-data.md). It must never
 * log or return the key's bytes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type KeyWrapper, KeyNotUnwrappedError } from './key-wrapper.port';

const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface MasterKey {
  readonly key: Buffer;
  /** Where it came from, for the startup log line (never the key itself). */
  readonly source: 'environment' | { readonly generatedFile: string } | { readonly file: string };
}

export function decodeMasterKey(base64: string, origin: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new Error(`${origin}: a master key is base64 of exactly ${MASTER_KEY_BYTES} bytes`);
  }
  return key;
}

/** The master key from the environment, else the data directory's file, made once if absent. */
export async function loadMasterKey(
  fromEnvironment: string | undefined,
  dataDir: string,
): Promise<MasterKey> {
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    return { key: decodeMasterKey(fromEnvironment, 'TANDEM_MASTER_KEY'), source: 'environment' };
  }
  const file = path.join(dataDir, 'master.key');
  await mkdir(dataDir, { recursive: true });
  try {
    // `wx`: two processes starting together cannot both write a key; the loser reads it.
    await writeFile(file, randomBytes(MASTER_KEY_BYTES).toString('base64') + '\n', {
      flag: 'wx',
      mode: 0o600,
    });
    return {
      key: decodeMasterKey(await readFile(file, 'utf8'), file),
      source: { generatedFile: file },
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { key: decodeMasterKey(await readFile(file, 'utf8'), file), source: { file } };
}

/** AES-256-GCM key wrapping under the master key, the lead id as additional data. */
export class MasterKeyWrapper implements KeyWrapper {
  readonly keyId: string;
  /** A key object made once: node:crypto would make one from raw bytes on every cipher. */
  private readonly masterKey: KeyObject;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== MASTER_KEY_BYTES) throw new Error('a master key has 32 bytes');
    // A fingerprint, not the key: SHA-256 of 32 random bytes gives nothing away.
    this.keyId = createHash('sha256').update(masterKey).digest('hex').slice(0, 16);
    this.masterKey = createSecretKey(masterKey);
  }

  wrap(dataKey: Buffer, leadId: string): Promise<Buffer> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(`tandem.lead-key.v1:${leadId}`, 'utf8'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Promise.resolve(Buffer.concat([iv, body, cipher.getAuthTag()]));
  }

  unwrap(wrapped: Buffer, leadId: string): Promise<Buffer> {
    const iv = wrapped.subarray(0, IV_BYTES);
    const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
    const body = wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(`tandem.lead-key.v1:${leadId}`, 'utf8'));
    try {
      // A row cut short has a tag of the wrong length, which setAuthTag refuses: as bad a row.
      decipher.setAuthTag(tag);
      return Promise.resolve(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch {
      return Promise.reject(new KeyNotUnwrappedError(leadId, this.keyId));
    }
  }
}
