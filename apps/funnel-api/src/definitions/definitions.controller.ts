/**
 * HTTP for the shared dictionary: list versions (and which one is active), read
 * one, publish the next. Publishing does not put a version in force; activation
 * does (ActivateFunnelDefinition).
 */
import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { funnelDefinitionSchema } from '@tandem/domain';
import type { Response } from 'express';
import { z } from 'zod';
import { rulesVersionInUrl } from '../analytics/analytics-query.schemas';
import { Allow, AllowCommand, VIEW_READERS } from '../auth/access.decorators';
import { requestBodySchema } from '../http/request-body-schema';
import { ZodPathPipe } from '../http/zod-path.pipe';
import { Ctx, type RequestContext } from '../http/request-context';
import { ActiveDefinition } from './active-definition.service';
import { ApiAnswer } from '../http/api-answer.decorator';
import {
  definitionListSchema,
  publicationResultSchema,
  publishedDefinitionSchema,
} from './definitions.responses';
import { PublishFunnelDefinition } from './publish-funnel-definition.handler';

/**
 * `:version` as every other bad parameter is refused: a 400 `invalid_request` naming it. It is
 * spelled as the views' `rulesVersion` is (rulesVersionInUrl), so 0, -1, 01 or a version past
 * any a definition may have never reach the handler as a 404.
 */
const versionPipe = new ZodPathPipe('version', rulesVersionInUrl('A published rules version'));

/**
 * The body publishing takes: the definition's schema with every object closed
 * (`additionalProperties: false`), as parseDefinitionToPublish refuses a field it does not know.
 */
const publishBodySchema = requestBodySchema(funnelDefinitionSchema);

@ApiTags('definitions')
@Controller('definitions')
export class DefinitionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly definitions: ActiveDefinition,
  ) {}

  @Allow(...VIEW_READERS)
  @Get()
  @ApiAnswer(200, definitionListSchema, 'Every published version, and the one in force')
  async list(): Promise<z.infer<typeof definitionListSchema>> {
    const { versions, active, activation } = await this.definitions.refresh();
    return {
      active: active?.version ?? null,
      activationId: activation?.eventId ?? null,
      versions: versions.map(
        ({ version, publishedAt, publishedBy, definition, definitionHash }) => ({
          version,
          name: definition.name,
          definitionHash,
          publishedAt,
          publishedBy,
        }),
      ),
    };
  }

  @Allow(...VIEW_READERS)
  @Get(':version')
  @ApiAnswer(200, publishedDefinitionSchema, 'The published version, whole')
  async get(@Param('version', versionPipe) version: number) {
    const found = (await this.definitions.all()).find((entry) => entry.version === version);
    if (!found) throw new NotFoundException(`funnel definition version ${version} does not exist`);
    return found;
  }

  @AllowCommand('PublishFunnelDefinition')
  @Post()
  @HttpCode(201)
  @ApiBody({ schema: publishBodySchema })
  @ApiAnswer(201, publicationResultSchema, 'Published; `Location` is the version')
  async publish(
    @Body() draft: unknown,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ) {
    const published = await this.commands.execute(new PublishFunnelDefinition(draft, context));
    response.setHeader('location', `/definitions/${published.version}`);
    return published;
  }
}
