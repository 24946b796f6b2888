/**
 * What authentication leaves on a request for everything after it: who the caller is (or
 * why not), and, once the access guard has admitted the call, the actor it acts as. Kept
 * under a private symbol so no client-sent header or body field can ever stand in for it.
 *
 * It must never be set from anything but the authentication middleware and the access guard.
 */
import type { Actor, Role } from '@tandem/domain';
import type { Request } from 'express';

export type CredentialKind = 'bearer' | 'api-key' | 'trusted-proxy';

export interface VerifiedIdentity {
  readonly actorId: string;
  /** Every Tandem role the credential grants; the guard picks the one a route allows. */
  readonly roles: readonly Role[];
  readonly via: CredentialKind;
}

export type Authentication =
  | { readonly kind: 'authenticated'; readonly identity: VerifiedIdentity }
  /** No credential at all. */
  | { readonly kind: 'anonymous' }
  /** A credential that does not verify; `description` says why (sent to the caller). */
  | { readonly kind: 'rejected'; readonly description: string };

const AUTHENTICATION = Symbol('tandem.authentication');
const AUTHORISED_ACTOR = Symbol('tandem.authorisedActor');

type Carrier = Request & { [AUTHENTICATION]?: Authentication; [AUTHORISED_ACTOR]?: Actor };

export function recordAuthentication(request: Request, authentication: Authentication): void {
  (request as Carrier)[AUTHENTICATION] = authentication;
}

export function authenticationOf(request: Request): Authentication {
  return (request as Carrier)[AUTHENTICATION] ?? { kind: 'anonymous' };
}

export function recordAuthorisedActor(request: Request, actor: Actor): void {
  (request as Carrier)[AUTHORISED_ACTOR] = actor;
}

/** The actor the guard admitted; `null` on public routes and before the guard ran. */
export function authorisedActorOf(request: Request): Actor | null {
  return (request as Carrier)[AUTHORISED_ACTOR] ?? null;
}
