/**
 * The embedded default's signing key: an Ed25519 key pair the API creates under its data
 * directory on first start (`<dataDir>/auth/embedded-signing-key.json`, mode 0600, in a 0700
 * directory) and trusts for the tokens `tandem token` mints. Whoever can read the file can
 * mint any role, exactly as whoever can read the PGlite files can rewrite history: the key is
 * as safe as the data directory, and meant for one machine. Deployments with an identity
 * provider turn it off (ADR 0011).
 *
 * It must never write the private key anywhere but that file, never accept a key file that
 * other users can read, and never overwrite an existing key (tokens minted with it would stop
 * working): concurrent first starts (the API and the CLI) settle on one file.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface EmbeddedSigningKey {
  /** The key id (RFC 7638 thumbprint of the public key), put in each token's header. */
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly file: string;
}

export const embeddedKeyFile = (dataDir: string): string =>
  path.join(dataDir, 'auth', 'embedded-signing-key.json');

export class EmbeddedKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedKeyError';
  }
}

/** Reads the key under `dataDir`, creating it first if there is none yet. */
export async function loadOrCreateEmbeddedKey(dataDir: string): Promise<EmbeddedSigningKey> {
  const file = embeddedKeyFile(dataDir);
  const existing = await readKeyFile(file);
  if (existing !== null) return existing;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(privateJwk);
  const text = `${JSON.stringify({ ...privateJwk, kid, alg: 'EdDSA', use: 'sig' }, null, 2)}\n`;
  // Written whole under a private name, then linked into place: link fails if another process
  // got there first, so nobody ever reads half a key and the first key wins.
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  const created = await readKeyFile(file);
  if (created === null) throw new EmbeddedKeyError(`could not create the signing key at ${file}`);
  return created;
}

/** Reads the key only if it already exists (`tandem token` against a remote API never creates one). */
export async function readEmbeddedKey(dataDir: string): Promise<EmbeddedSigningKey | null> {
  return readKeyFile(embeddedKeyFile(dataDir));
}

async function readKeyFile(file: string): Promise<EmbeddedSigningKey | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  // Like ssh with a private key: a key others can read is not a secret any more.
  if (((await stat(file)).mode & 0o077) !== 0) {
    throw new EmbeddedKeyError(
      `${file} is readable by other users; run \`chmod 600 ${file}\` (or delete it to make a new key)`,
    );
  }
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(text) as JWK;
  } catch {
    throw new EmbeddedKeyError(`${file} is not a JSON Web Key`);
  }
  if (
    privateJwk.kty !== 'OKP' ||
    privateJwk.crv !== 'Ed25519' ||
    typeof privateJwk.d !== 'string'
  ) {
    throw new EmbeddedKeyError(`${file} is not an Ed25519 private JWK`);
  }
  const { d: _private, ...publicJwk } = privateJwk;
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateJwk, publicJwk: { ...publicJwk, kid }, file };
}
