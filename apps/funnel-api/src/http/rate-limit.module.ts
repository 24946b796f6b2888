/**
 * Per-caller rate limits (@nestjs/throttler): at most TANDEM_RATE_LIMIT_WRITES_PER_MINUTE writes
 * (POST, PUT, PATCH, DELETE) a minute per caller, counted across every write route together,
 * and, when TANDEM_RATE_LIMIT_READS_PER_MINUTE is set, at most that many reads (GET, HEAD) a
 * minute per caller, counted apart; then 429 with Retry-After in the API's error shape. The
 * read limit is off by default: a polling dashboard is legitimate, and only the operator knows
 * how many analysts poll how often (ADR 0011 addendum). Health probes are never counted: a
 * refused probe restarts a healthy process. Nor are the routes declared `@Public` (liveness,
 * readiness, the dashboard's static shell and assets): they carry no data, and a dashboard load
 * would otherwise spend the caller's budget before its first API read. Swagger UI (/docs) is
 * Express's, not a Nest route: no guard runs there, so it is not counted either. Who "the
 * caller" is comes from `callerKey` alone. Counts live in this process's memory
 * (rate-limit.storage.ts, constant time per request), with no shared store: N API processes
 * behind a balancer admit up to N times each budget (README, ADR 0011).
 *
 * It must never refuse a read while the read limit is off, and never decide permissions.
 */
import {
  type DynamicModule,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Module,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  ThrottlerModule,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ACCESS_RULE, type AccessRule } from '../auth/access.decorators';
import { callerKey } from './request-context';
import { SlidingWindowThrottlerStorage } from './rate-limit.storage';

const ONE_MINUTE_MS = 60_000;
/** Named `default` so its header is plain Retry-After. */
const WRITES = 'default';
const READS = 'reads';

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<Request>();
/** OPTIONS (a CORS preflight) is neither: it reads nothing and is answered before any handler. */
const isWrite = (request: Request) => !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
const reflector = new Reflector();
/** A route declared `@Public` serves no data (the dashboard's files, probes): not an API read. */
const servesNoData = (context: ExecutionContext) =>
  reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
    context.getHandler(),
    context.getClass(),
  ])?.kind === 'public';
const isCountedRead = (context: ExecutionContext) => {
  const request = requestOf(context);
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    !request.path.startsWith('/health') &&
    !servesNoData(context)
  );
};

@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.getType() !== 'http');
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(callerKey(request as unknown as Request));
  }

  /** One budget per caller for all writes (and one for all reads), not one per route. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const writes = isWrite(requestOf(context));
    const [what, variable] = writes
      ? ['writes', 'TANDEM_RATE_LIMIT_WRITES_PER_MINUTE']
      : ['reads', 'TANDEM_RATE_LIMIT_READS_PER_MINUTE'];
    // The write throttler sets Retry-After itself; the read one's own would be Retry-After-reads.
    if (!writes) {
      context
        .switchToHttp()
        .getResponse<Response>()
        .setHeader('Retry-After', String(detail.timeToBlockExpire));
    }
    throw new HttpException(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `too many ${what}: at most ${detail.limit} a minute per caller (${variable}); retry after ${detail.timeToBlockExpire} s`,
        code: 'rate_limited',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

export interface RateLimits {
  readonly writesPerMinute: number;
  /** Null: reads are not limited. */
  readonly readsPerMinute: number | null;
}

@Module({})
export class RateLimitModule {
  static forLimits({ writesPerMinute, readsPerMinute }: RateLimits): DynamicModule {
    const throttlers: ThrottlerOptions[] = [
      {
        name: WRITES,
        ttl: ONE_MINUTE_MS,
        limit: writesPerMinute,
        skipIf: (context) => !isWrite(requestOf(context)),
      },
    ];
    if (readsPerMinute !== null) {
      throttlers.push({
        name: READS,
        ttl: ONE_MINUTE_MS,
        limit: readsPerMinute,
        skipIf: (context) => !isCountedRead(context),
        // No X-RateLimit-*-reads headers on every read; Retry-After is set when refused.
        setHeaders: false,
      });
    }
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({ throttlers, storage: new SlidingWindowThrottlerStorage() }),
      ],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    };
  }
}
