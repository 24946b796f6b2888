/**
 * Verifies a bearer JWT and says who it names: the actor and the Tandem roles it carries.
 * Tokens from the embedded key (`iss` = EMBEDDED_ISSUER) are checked against that key with
 * the fixed claims `sub` and `roles`; every other token against the identity provider's keys
 * (a JWKS URL, fetched and cached by jose, and/or configured public keys) with the configured
 * issuer, audience and claims. Expiry and not-before allow `clockSkewSeconds` of skew.
 *
 * It must never accept an unsigned or symmetric-key token (a leaked verification key would
 * then mint tokens), a token without an expiry, or a role name Tandem does not know (unknown
 * roles in a token are ignored, not guessed at).
 */
import type { AuthConfig } from '@tandem/config';
import { type Role, roles as knownRoles } from '@tandem/domain';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import {
  ACTOR_RULE,
  EMBEDDED_ISSUER,
  EMBEDDED_ROLES_CLAIM,
  isRecordableActor,
} from './access-token';
import type { EmbeddedSigningKey } from './embedded-signing-key';
import { VerifiedTokenCache } from './verified-token.cache';

const ASYMMETRIC_ALGORITHMS = [
  'EdDSA',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
];

export interface VerifiedToken {
  readonly actorId: string;
  /** The Tandem roles the token grants; may be empty (a valid identity with no role: 403). */
  readonly roles: readonly Role[];
}

export type TokenVerification =
  | { readonly ok: true; readonly token: VerifiedToken }
  | { readonly ok: false; readonly description: string };

export interface AccessTokenVerifier {
  verify(token: string): Promise<TokenVerification>;
}

type VerifyKeys = JWTVerifyGetKey;

/**
 * `cache`: tokens verified before, answered without a second signature check until they
 * expire (verified-token.cache.ts); `null` checks every time.
 */
export function createAccessTokenVerifier(
  auth: AuthConfig,
  embedded: EmbeddedSigningKey | null,
  cache: VerifiedTokenCache | null = new VerifiedTokenCache(),
): AccessTokenVerifier {
  const providerKeys = identityProviderKeys(auth);
  const embeddedKeys: VerifyKeys | null = embedded
    ? createLocalJWKSet({ keys: [{ ...embedded.publicJwk, alg: 'EdDSA' }] })
    : null;
  return {
    async verify(token) {
      const known = cache?.get(token);
      if (known !== undefined) return { ok: true, token: known };
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(token);
      } catch {
        return { ok: false, description: 'the bearer token is not a JWT' };
      }
      // The issuer only picks which keys and claims to check against; the signature check
      // that follows binds it, so a forged `iss` gains nothing.
      const isEmbedded = unverified.iss === EMBEDDED_ISSUER;
      const keys = isEmbedded ? embeddedKeys : providerKeys;
      if (keys === null) {
        return {
          ok: false,
          description: isEmbedded
            ? 'tokens from the embedded key are not accepted here (TANDEM_AUTH_EMBEDDED_KEY)'
            : 'no identity provider is configured (TANDEM_AUTH_JWKS_URL or TANDEM_AUTH_JWKS)',
        };
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: ASYMMETRIC_ALGORITHMS,
          audience: auth.audience,
          ...(isEmbedded
            ? { issuer: EMBEDDED_ISSUER }
            : auth.issuer === null
              ? {}
              : { issuer: auth.issuer }),
          clockTolerance: auth.clockSkewSeconds,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        return { ok: false, description: describeFailure(error) };
      }
      // jose checks `iat` only against a maximum age: a token that says it was issued in the
      // future (beyond the skew) is as not-yet-valid as one whose `nbf` is.
      if (
        typeof payload.iat === 'number' &&
        payload.iat > Date.now() / 1000 + auth.clockSkewSeconds
      ) {
        return { ok: false, description: "the token's iat claim is in the future" };
      }
      const actorId = claimAt(payload, isEmbedded ? 'sub' : auth.actorClaim);
      if (typeof actorId !== 'string' || !isRecordableActor(actorId)) {
        return {
          ok: false,
          description: `the token's ${isEmbedded ? 'sub' : auth.actorClaim} claim must name the actor (${ACTOR_RULE})`,
        };
      }
      const granted = claimAt(payload, isEmbedded ? EMBEDDED_ROLES_CLAIM : auth.rolesClaim);
      const verified: VerifiedToken = { actorId, roles: tandemRoles(granted) };
      // `exp` is a required claim, checked by jwtVerify above.
      if (typeof payload.exp === 'number') cache?.remember(token, verified, payload.exp);
      return { ok: true, token: verified };
    },
  };
}

function identityProviderKeys(auth: AuthConfig): VerifyKeys | null {
  const remote = auth.jwksUrl ? createRemoteJWKSet(new URL(auth.jwksUrl)) : null;
  const local = auth.jwks
    ? createLocalJWKSet({ keys: auth.jwks.keys.map((key) => ({ ...key }) as unknown as JWK) })
    : null;
  if (remote && local) {
    // Configured keys first (no network), then the IdP's published set.
    return async (header, token) => {
      try {
        return await local(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey) return remote(header, token);
        throw error;
      }
    };
  }
  return remote ?? local;
}

/** `realm_access.roles` reads `payload.realm_access.roles`; a name with dots that exists wins. */
function claimAt(payload: JWTPayload, claim: string): unknown {
  if (claim in payload) return payload[claim];
  let value: unknown = payload;
  for (const part of claim.split('.')) {
    if (typeof value !== 'object' || value === null || !(part in value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A list of role names, or one string of them separated by spaces or commas (OAuth `scope` style). */
function tandemRoles(granted: unknown): Role[] {
  const names =
    typeof granted === 'string'
      ? granted.split(/[\s,]+/)
      : Array.isArray(granted)
        ? granted.filter((name): name is string => typeof name === 'string')
        : [];
  return knownRoles.filter((role) => names.includes(role));
}

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the token's ${error.claim} claim is not accepted (${error.reason})`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'the token signature does not verify';
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'no trusted key matches the token';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return 'the identity provider keys could not be fetched';
  }
  return 'the token is not valid';
}
