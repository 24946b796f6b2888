/**
 * API keys for integrations (import jobs, marketing automation, downstream tools): the
 * secret is 256 random bits, shown once; only its SHA-256 is kept. A slow password hash
 * (bcrypt, argon2) exists to make guessing low-entropy human passwords expensive; a 256-bit
 * random secret cannot be guessed at any speed, so one fast hash is as safe and keeps the
 * per-request check cheap. The key id in front (not secret) finds the record without
 * scanning; the hash comparison is constant-time.
 *
 * It must never keep, log or return a secret after `generateApiKey` hands it out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'tdk';
// The id is hex, so the first '_' after it ends it even though base64url secrets contain '_'.
const API_KEY_SHAPE = /^tdk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedApiKey {
  readonly keyId: string;
  /** `tdk_<keyId>_<secret>`: what the integration sends as `Authorization: Bearer …`. */
  readonly apiKey: string;
  readonly secretHash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, apiKey: `${API_KEY_PREFIX}_${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

/** `null` unless the credential has the shape of a Tandem API key (then it is not a JWT). */
export function parseApiKey(credential: string): { keyId: string; secret: string } | null {
  const match = API_KEY_SHAPE.exec(credential);
  return match ? { keyId: match[1] as string, secret: match[2] as string } : null;
}

export const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret).digest('hex');

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
