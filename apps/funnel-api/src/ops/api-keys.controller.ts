/**
 * Service credentials for integrations (ADR 0011): ops create an API key scoped to roles
 * (`POST /ops/api-keys`, the key shown in that answer only), list them (`GET`, never a secret
 * or hash) and revoke them (`DELETE /ops/api-keys/:id`, from the next request on). Integrations
 * send the key as `Authorization: Bearer tdk_…`; events record the key's actor
 * (`apikey:<name>` unless ops named one). On KurrentDB, which keeps no keys yet: 501.
 *
 * It must never store, log or return a secret after the create answer, nor let that answer
 * be stored for an Idempotency-Key replay. A retried create is made safe by the name instead:
 * one active key per name, a second create is 409 `api_key_exists` naming the key (ADR 0007).
 */
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { generateApiKey } from '@tandem/auth';
import { refuseHiddenCharacters } from '@tandem/contracts';
import { isStorableText, roles, STORABLE_TEXT_MESSAGE } from '@tandem/domain';
import type { ApiKeyRecord, ApiKeyStore } from '@tandem/event-store';
import type { Response } from 'express';
import { z } from 'zod';
import { Allow, OPERATORS } from '../auth/access.decorators';
import { ApiAnswer, ApiNoContent } from '../http/api-answer.decorator';
import { SkipIdempotency } from '../http/idempotency/skip-idempotency.decorator';
import { Ctx, type RequestContext } from '../http/request-context';
import { requestBodySchema } from '../http/request-body-schema';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { API_KEYS } from '../platform/tokens';
import { apiKeySchema, createdKeySchema, keyListSchema } from './ops.responses';

const createRequest = z.strictObject({
  /**
   * Becomes part of the default actor, so kept to characters that read well in one. Held by
   * one active key at a time.
   */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (1-64, not first . _ -)')
    .describe('Held by one active key at a time (409 api_key_exists names the holder)'),
  roles: z
    .array(z.enum(roles))
    .min(1)
    .refine((given) => new Set(given).size === given.length, 'each role once'),
  /** The actor events record; default `apikey:<name>`. */
  actor: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}\s][^\p{Cc}]*$/u, 'printable, not starting with a space')
    // The key's row would keep a lone surrogate as U+FFFD: another actor than the one given.
    .refine(isStorableText, STORABLE_TEXT_MESSAGE)
    // Every event the key writes names this actor, and the audit reads it: a bidi control
    // (`ann\u202Eeve` shows its end reversed, Trojan Source) or an invisible character
    // (`ops\u200B` beside `ops`) would show an actor other than the one recorded. Refused as
    // in a label (ADR 0010's addendum), naming the code point.
    .superRefine(refuseHiddenCharacters)
    .optional(),
});
type CreateRequest = z.infer<typeof createRequest>;

const KEY_ID = /^[0-9a-f]{16}$/;

// Typed by the schema: the object literal can neither miss a documented field nor add one.
const view = (key: ApiKeyRecord): z.infer<typeof apiKeySchema> => ({
  keyId: key.keyId,
  name: key.name,
  roles: [...key.roles],
  actor: key.actorId,
  status: key.revokedAt === null ? 'active' : 'revoked',
  createdAt: key.createdAt.toISOString(),
  createdBy: key.createdBy,
  revokedAt: key.revokedAt?.toISOString() ?? null,
  revokedBy: key.revokedBy,
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
});

@ApiTags('ops')
@Controller('ops/api-keys')
export class ApiKeysController {
  constructor(@Inject(API_KEYS) private readonly apiKeys: ApiKeyStore | null) {}

  @Allow(...OPERATORS)
  @Post()
  @HttpCode(201)
  @SkipIdempotency() // the answer holds the secret: it must not be stored for a replay
  @ApiOperation({
    summary:
      'Create an API key for an integration (ops); the key is in this answer only: send it as Authorization: Bearer <apiKey>',
    description:
      'A `name` is held by one active key at a time: a create under a name an active key ' +
      'holds (a retry whose first answer was lost) is **409** `api_key_exists` naming its ' +
      '`keyId`, never its secret: revoke that key and create again. Revoking frees the name.',
  })
  @ApiBody({ schema: requestBodySchema(createRequest) })
  @ApiAnswer(201, createdKeySchema, 'Created, with its key (`Cache-Control: no-store`)')
  async create(
    @Body(new ZodBodyPipe(createRequest)) body: CreateRequest,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<z.infer<typeof createdKeySchema>> {
    const store = this.store();
    const { keyId, apiKey, secretHash } = generateApiKey();
    const created = await store.create({
      keyId,
      secretHash,
      name: body.name,
      roles: body.roles,
      actorId: body.actor ?? `apikey:${body.name}`,
      createdBy: context.actor.id,
    });
    // A secret in a response: no cache on the way may keep it (RFC 9111 §5.2.2.5).
    response.setHeader('cache-control', 'no-store');
    return { ...view(created), apiKey };
  }

  @Allow(...OPERATORS)
  @Get()
  @ApiOperation({ summary: 'Every API key, revoked ones included (never a secret)' })
  @ApiAnswer(200, keyListSchema, 'Every key, newest first')
  async list(): Promise<z.infer<typeof keyListSchema>> {
    return { keys: (await this.store().list()).map(view) };
  }

  @Allow(...OPERATORS)
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API key (ops): refused from the next request on; revoking again is a no-op',
  })
  @ApiNoContent('Revoked (or already revoked)')
  async revoke(@Param('id') id: string, @Ctx() context: RequestContext): Promise<void> {
    const store = this.store();
    const revoked = KEY_ID.test(id) ? await store.revoke(id, context.actor.id) : null;
    if (revoked === null) throw new NotFoundException('no API key with that id');
  }

  private store(): ApiKeyStore {
    if (this.apiKeys !== null) return this.apiKeys;
    throw new HttpException(
      {
        statusCode: 501,
        error: 'Not Implemented',
        message:
          'API keys are not supported on kurrentdb yet: use the postgres or pglite event store',
        code: 'api_keys_unsupported',
      },
      501,
    );
  }
}
