/**
 * Idempotency-Key on every POST (ADR 0007), as one global interceptor. A request with a key:
 * 1. the key is validated (400) and scoped to caller + method + path; the body fingerprinted;
 * 2. `reserve` decides: new → run the handler under the reservation (its append is fenced
 *    and recorded with the key in one transaction) and store the response; completed → the
 *    stored response again, with `Idempotent-Replayed: true`, appending nothing; in flight →
 *    409; another body → 422; an earlier attempt appended and died → the answer rebuilt from
 *    its events (recovered-response.ts), appending nothing;
 * 3. a failed attempt gives the key up: forgotten when nothing was appended (errors are not
 *    stored; a retry runs again), kept for recovery when something was.
 * Requests without the header, non-POST requests and routes marked @SkipIdempotency() pass
 * through untouched. It must never run a handler twice for one key, nor answer a replay
 * from anything but the stored response or the recorded events.
 */
import {
  BadRequestException,
  type CallHandler,
  ConflictException,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  type NestInterceptor,
  UnprocessableEntityException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TandemConfig } from '@tandem/config';
import {
  type EventStore,
  type IdempotencyReservation,
  type IdempotencyStore,
  type JsonValue,
  ReservationLostError,
  type StoredResponse,
  supportsIdempotency,
} from '@tandem/event-store';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { EVENT_STORE, LOGGER, TANDEM_CONFIG } from '../../platform/tokens';
import { readIdempotencyKey } from './idempotency-key.header';
import { idempotencyScopeKey } from './idempotency-scope';
import { rememberIdempotencyScope } from './key-derived-ids';
import { recoveredResponse } from './recovered-response';
import { requestFingerprint } from './request-fingerprint';
import { SKIP_IDEMPOTENCY } from './skip-idempotency.decorator';

export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** Expired keys are deleted opportunistically, at most this often per process, in batches. */
const PURGE_INTERVAL_MS = 10 * 60_000;
const PURGE_BATCH = 1_000;
/** Response headers worth replaying: the rest (correlation id, rate limits) are per request. */
const REPLAYED_HEADERS = ['location'] as const;

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly idempotency: IdempotencyStore | null;
  private readonly ttlSeconds: number;
  /**
   * How long an attempt counts as alive without completing (TANDEM_IDEMPOTENCY_LEASE_SECONDS,
   * default 60). A retry within it gets 409; after it, the retry takes the key over (and
   * recovers the attempt's events if it appended). Longer than any handler runs (activation
   * waits up to 30 s for the views); short enough that a retry after a crash is answered soon.
   */
  private readonly leaseSeconds: number;
  private lastPurge = 0;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(TANDEM_CONFIG) config: TandemConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly reflector: Reflector,
  ) {
    this.idempotency = supportsIdempotency(store) ? store.idempotency : null;
    this.ttlSeconds = config.idempotency.ttlHours * 3600;
    this.leaseSeconds = config.idempotency.leaseSeconds;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    if (request.method !== 'POST') return next.handle();
    const skipped = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_IDEMPOTENCY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skipped === true) return next.handle();

    const header = readIdempotencyKey(request);
    if (header.kind === 'absent') return next.handle();
    if (header.kind === 'invalid') {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `Idempotency-Key header ${header.reason}`,
        code: 'invalid_idempotency_key',
      });
    }
    // No identity: the handler refuses the request (401) before doing anything.
    const scopeKey = idempotencyScopeKey(request, header.key);
    if (scopeKey === null) return next.handle();
    if (this.idempotency === null) {
      throw new HttpException(
        {
          statusCode: 501,
          error: 'Not Implemented',
          message:
            'Idempotency-Key is not supported on kurrentdb yet: send the request without it, or use the postgres or pglite event store',
          code: 'idempotency_unsupported',
        },
        501,
      );
    }
    // Read by the request context once the handler runs: the ids it mints derive from it.
    rememberIdempotencyScope(request, scopeKey);
    return from(
      this.handle(this.idempotency, scopeKey, requestFingerprint(request.body), response, next),
    );
  }

  private async handle(
    idempotency: IdempotencyStore,
    scopeKey: string,
    fingerprint: string,
    response: Response,
    next: CallHandler,
  ): Promise<unknown> {
    const outcome = await idempotency.reserve(scopeKey, fingerprint, {
      ttlSeconds: this.ttlSeconds,
      leaseSeconds: this.leaseSeconds,
    });
    this.purgeNowAndThen(idempotency);
    switch (outcome.kind) {
      case 'fingerprint_mismatch':
        throw new UnprocessableEntityException({
          statusCode: 422,
          error: 'Unprocessable Entity',
          message:
            'this Idempotency-Key was already used with a different request body: use a new key for a new request',
          code: 'idempotency_key_reused',
        });
      case 'in_flight':
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          message:
            'a request with this Idempotency-Key is still being processed: retry after it has finished',
          code: 'idempotency_key_in_flight',
        });
      case 'completed':
        return replay(response, outcome.response);
      case 'recovered': {
        // The route's success status: Nest set it from @HttpCode before interceptors ran.
        const stored = { statusCode: response.statusCode, ...recoveredResponse(outcome.events) };
        await this.complete(idempotency, outcome.reservation, stored);
        return replay(response, stored);
      }
      case 'reserved':
        return this.execute(idempotency, outcome.reservation, response, next);
    }
  }

  /** Runs the handler under the reservation; stores its response, or gives the key up. */
  private async execute(
    idempotency: IdempotencyStore,
    reservation: IdempotencyReservation,
    response: Response,
    next: CallHandler,
  ): Promise<unknown> {
    let body: unknown;
    try {
      // next.handle() is called inside runReserved: Nest binds the handler to this context.
      body = await idempotency.runReserved(reservation, () => lastValueFrom(next.handle()));
    } catch (error) {
      await idempotency.release(reservation).catch((releaseError: unknown) => {
        this.logger.error({ err: releaseError }, 'idempotency: could not release a key');
      });
      if (error instanceof ReservationLostError) {
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          message: `a retry with this Idempotency-Key took the request over: ${error.message}`,
          code: 'idempotency_key_in_flight',
        });
      }
      throw error;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = response.getHeader(name);
      if (typeof value === 'string') headers[name] = value;
    }
    await this.complete(idempotency, reservation, {
      statusCode: response.statusCode,
      headers,
      body: JSON.parse(JSON.stringify(body ?? null)) as JsonValue,
    });
    return body;
  }

  /**
   * A response that cannot be stored is still sent: the key stays in flight until its lease
   * ends, and a retry then recovers from the recorded events.
   */
  private async complete(
    idempotency: IdempotencyStore,
    reservation: IdempotencyReservation,
    stored: StoredResponse,
  ): Promise<void> {
    try {
      if (!(await idempotency.complete(reservation, stored))) {
        this.logger.warn('idempotency: the key was taken over before its response was stored');
      }
    } catch (error) {
      this.logger.error({ err: error }, 'idempotency: could not store a response');
    }
  }

  private purgeNowAndThen(idempotency: IdempotencyStore): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now;
    idempotency.purgeExpired(PURGE_BATCH).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'idempotency: could not purge expired keys');
    });
  }
}

function replay(response: Response, stored: StoredResponse): JsonValue {
  response.status(stored.statusCode);
  for (const [name, value] of Object.entries(stored.headers)) response.setHeader(name, value);
  response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return stored.body;
}
