/**
 * Per-caller rate limit on writes (@nestjs/throttler): at most TANDEM_RATE_LIMIT_WRITES_PER_MINUTE
 * POSTs a minute per caller, counted across every write route together, then 429 with
 * Retry-After in the API's error shape. Reads are not limited. Who "the caller" is comes from
 * `callerKey` alone. Counts live in this process's memory (write-rate-limit.storage.ts, constant
 * time per request): several API processes each count their own share.
 *
 * It must never reject a read, and never decide permissions.
 */
import {
  type DynamicModule,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Module,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, type ThrottlerLimitDetail, ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { callerKey } from './request-context';
import { SlidingWindowThrottlerStorage } from './write-rate-limit.storage';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ONE_MINUTE_MS = 60_000;

@Injectable()
export class WriteRateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    return Promise.resolve(READ_METHODS.has(context.switchToHttp().getRequest<Request>().method));
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(callerKey(request as unknown as Request));
  }

  /** One budget per caller for all writes, not one per route (the default). */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new HttpException(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `too many writes: at most ${detail.limit} a minute per caller (TANDEM_RATE_LIMIT_WRITES_PER_MINUTE); retry after ${detail.timeToBlockExpire} s`,
        code: 'rate_limited',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

@Module({})
export class WriteRateLimitModule {
  static forLimit(writesPerMinute: number): DynamicModule {
    return {
      module: WriteRateLimitModule,
      // The throttler is named `default` so its header is plain Retry-After.
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: ONE_MINUTE_MS, limit: writesPerMinute }],
          storage: new SlidingWindowThrottlerStorage(),
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: WriteRateLimitGuard }],
    };
  }
}
