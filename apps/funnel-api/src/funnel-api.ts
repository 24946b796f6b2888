/** Creates the configured Nest application (used by main, the demo and the tests). */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { TandemConfig } from '@tandem/config';
import { AppModule } from './app.module';

export async function createFunnelApi(config: TandemConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forConfig(config), {
    logger: config.logLevel === 'debug' ? ['log', 'error', 'warn', 'debug'] : ['error', 'warn'],
    bodyParser: true,
  });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tandem funnel API')
      .setDescription(
        'Commands append lead-lifecycle events; queries read the funnel views. ' +
          'Every write needs `x-tandem-role` (marketing | sales | ops | system) and may carry ' +
          '`x-tandem-actor` and `x-correlation-id`.',
      )
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  await app.init();
  return app;
}
