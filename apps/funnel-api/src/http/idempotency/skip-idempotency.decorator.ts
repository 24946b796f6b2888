/**
 * Opts a POST route out of Idempotency-Key handling, for routes that are not commands: they
 * append nothing, and answering a retry from a stored response would mislead (e.g. a
 * rebuild's "rebuilding" answered hours later). On such a route the header is ignored.
 */
import { SetMetadata } from '@nestjs/common';

export const SKIP_IDEMPOTENCY = 'tandem:skip-idempotency';

export const SkipIdempotency = (): MethodDecorator & ClassDecorator =>
  SetMetadata(SKIP_IDEMPOTENCY, true);
