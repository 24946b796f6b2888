/**
 * Runs before Nest routes a request: authenticates it once and leaves the outcome on the
 * request (verified-identity.ts), so the write rate limit counts per verified caller and the
 * AccessGuard decides with it. It never answers the request itself: whether a route needs a
 * caller at all is the route's rule, read by the guard.
 */
import type { NextFunction, Request, Response } from 'express';
import type { RequestAuthenticator } from './request-authenticator';
import { recordAuthentication } from './verified-identity';

export function authenticateRequests(authenticator: RequestAuthenticator) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    authenticator.authenticate(request).then(
      (authentication) => {
        recordAuthentication(request, authentication);
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
