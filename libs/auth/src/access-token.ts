/**
 * Minting access tokens with the embedded key (`tandem token`, the CLI, the demo, the
 * tests): a short JWT, EdDSA-signed, `iss` = EMBEDDED_ISSUER, `aud` = the configured
 * audience, `sub` = the actor, `roles` = the roles. The verifier reads exactly these claims
 * for embedded tokens, whatever claim names an identity provider is configured with.
 *
 * It must never mint without an expiry, for a role Tandem does not know, or for an actor the
 * verifier refuses (a token that answers 401 on every request, minted without a word).
 */
import { type Role, roles as knownRoles } from '@tandem/domain';
import { importJWK, SignJWT } from 'jose';
import type { EmbeddedSigningKey } from './embedded-signing-key';

export const EMBEDDED_ISSUER = 'tandem-embedded';
export const EMBEDDED_ROLES_CLAIM = 'roles';
export const DEFAULT_TOKEN_TTL_SECONDS = 3_600;
/** A year: long enough for a service token, short enough that one is never forever. */
export const MAX_TOKEN_TTL_SECONDS = 366 * 24 * 3_600;

/** Same bound as the other identity values recorded in every event's envelope. */
export const MAX_ACTOR_LENGTH = 200;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** What an actor must be, said where a token naming another is refused (mint and verify). */
export const ACTOR_RULE = `1 to ${MAX_ACTOR_LENGTH} printable ASCII characters`;

/** Whether a token may name this actor: what every event it writes records as its actor. */
export const isRecordableActor = (actor: string): boolean =>
  actor.length >= 1 && actor.length <= MAX_ACTOR_LENGTH && PRINTABLE_ASCII.test(actor);

export interface TokenRequest {
  readonly roles: readonly Role[];
  readonly actor: string;
  readonly audience: string;
  readonly ttlSeconds?: number;
}

export async function mintAccessToken(
  key: EmbeddedSigningKey,
  request: TokenRequest,
): Promise<string> {
  const ttl = request.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) {
    throw new RangeError(`token lifetime must be 1–${MAX_TOKEN_TTL_SECONDS} seconds`);
  }
  const unknown = request.roles.filter((role) => !knownRoles.includes(role));
  if (request.roles.length === 0 || unknown.length > 0) {
    throw new RangeError(`roles must be among ${knownRoles.join(', ')}`);
  }
  if (request.actor.trim() === '' || !isRecordableActor(request.actor)) {
    throw new RangeError(`the actor must be ${ACTOR_RULE}`);
  }
  const signingKey = await importJWK(key.privateJwk, 'EdDSA');
  return new SignJWT({ [EMBEDDED_ROLES_CLAIM]: [...request.roles] })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(EMBEDDED_ISSUER)
    .setAudience(request.audience)
    .setSubject(request.actor)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(signingKey);
}
