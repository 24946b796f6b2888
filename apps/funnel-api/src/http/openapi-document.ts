/**
 * The OpenAPI 3.1 document served at /docs-json (and as Swagger UI at /docs). Nest's scanner
 * gives the operations with their zod-generated request schemas (JSON Schema 2020-12, which
 * is 3.1's dialect); this adds what the scanner cannot know: each route's security
 * requirement from its access rule (access.decorators.ts: public routes get none), the
 * problem-details error answers a route can give (their schemas generated from the zod
 * schemas in problem-details.ts), the Location and Link headers, and the Idempotency-Key a
 * command takes (ADR 0007), read from the same metadata the idempotency interceptor reads.
 *
 * It must never invent a rule: security comes from the same metadata the AccessGuard
 * enforces, so the document cannot promise access the guard refuses.
 */
import type { INestApplication } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
  SecurityRequirementObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { ACCESS_RULE, type AccessRule } from '../auth/access.decorators';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency/idempotency-key.header';
import { IDEMPOTENT_REPLAYED_HEADER } from './idempotency/idempotency.interceptor';
import { SKIP_IDEMPOTENCY } from './idempotency/skip-idempotency.decorator';
import { fieldProblemSchema, PROBLEM_CONTENT_TYPE, problemSchema } from './problem-details';

export const OPENAPI_VERSION = '3.1.0';

/** Both credentials travel as `Authorization: Bearer`; the scheme names tell them apart. */
const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      "A JWT of the configured identity provider, or of the embedded key (`tandem token --role ops --actor you@example.com`); roles and actor come from the token's claims.",
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'tdk_<id>_<secret>',
    description:
      'A service API key (stored hashed, scoped to roles, revocable), sent as the bearer token.',
  },
} as const;

/** Either credential is enough: two alternatives, as OpenAPI spells "or". */
const AUTHENTICATED: readonly SecurityRequirementObject[] = [{ bearer: [] }, { apiKey: [] }];

interface Route {
  readonly method: string;
  /** OpenAPI spelling: `/leads/{leadId}/timeline`. */
  readonly path: string;
  readonly rule: AccessRule | undefined;
  readonly status: number | undefined;
  /** A POST the idempotency interceptor handles (not marked @SkipIdempotency()). */
  readonly idempotent: boolean;
}

/** The header every command takes (ADR 0007); the interceptor is what honours it. */
const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A key naming this request (e.g. a UUID; bare or as a quoted string): sent again with the same ' +
    'body, the first answer comes back (`Idempotent-Replayed: true`) and nothing is appended; with ' +
    'another body **422** `idempotency_key_reused`; while the first runs **409** ' +
    '`idempotency_key_in_flight`. Kept TANDEM_IDEMPOTENCY_TTL_HOURS (24 h). Ids the server mints ' +
    'derive from it, so a retry after that is refused or answered as done, never recorded twice: ' +
    'a key names one request for good, never reuse it for another.',
  schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
};

/** The error answers, documented once under components.responses. */
const ERROR_RESPONSES: Readonly<Record<string, string>> = {
  '400': 'The request does not validate: `errors[]` names each offending value',
  '401': 'No or invalid credentials (with `WWW-Authenticate: Bearer`)',
  '403': "The caller's roles may not call this route (with `WWW-Authenticate`)",
  '404': 'The resource (lead, definition version, rule set, replay) does not exist',
  '409':
    'A conflict: a stale `expectedRevision`, a touchpoint id already recorded with other facts, a lead already captured (`leadId`), a request already recorded under its Idempotency-Key (`already_recorded`, `eventId`), a spend id recorded with other facts (`spend_conflict`, `spendId`, `eventId`), an API key name an active key holds (`api_key_exists`, `keyId`), a keyed request still in flight, a run already in progress, a set not ready',
  '413': 'The request body exceeds TANDEM_BODY_LIMIT',
  '415': 'The request body is not `application/json` (UTF-8), or its Content-Encoding is unknown',
  '422':
    'The domain refuses the command (lifecycle or rule violation), or the Idempotency-Key was used with another body',
  '429': 'Too many writes by this caller, or on this lead (with `Retry-After`)',
  '500': 'An unexpected error; the server log has the details',
};

export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const base = new DocumentBuilder()
    .setOpenAPIVersion(OPENAPI_VERSION)
    .setTitle('Tandem funnel API')
    .setDescription(
      'Commands append lead-lifecycle events; queries read the funnel views. Every route but ' +
        'the public ones (liveness, readiness, the dashboard shell) needs ' +
        '`Authorization: Bearer <token>` (a JWT or an API key); the role in it decides what it ' +
        'may call. Errors are RFC 9457 `application/problem+json`. May carry `x-correlation-id`.',
    )
    .setVersion('1')
    .build();
  const document = SwaggerModule.createDocument(app, {
    ...base,
    components: { ...base.components, securitySchemes: { ...SECURITY_SCHEMES } },
  });
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...problemSchemas() },
    responses: {
      ...document.components?.responses,
      ...Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, description]) => [
          `Problem${status}`,
          problemResponse(description),
        ]),
      ),
    },
  };
  for (const route of routesOf(app)) {
    const operation = document.paths[route.path]?.[route.method as 'get'];
    if (operation !== undefined) describeRoute(operation, route);
  }
  return document;
}

/** Problem and FieldProblem from their zod schemas, referring to each other as components. */
function problemSchemas(): Record<string, SchemaObject> {
  const registry = z.registry<{ id: string }>();
  registry.add(fieldProblemSchema, { id: 'FieldProblem' });
  registry.add(problemSchema, { id: 'Problem' });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
  });
  // `$id` with a fragment is not a valid 2020-12 identifier, and the dialect is the document's.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $id: _id, $schema: _schema, ...schema }]) => [
      id,
      schema as SchemaObject,
    ]),
  );
}

function problemResponse(description: string): ResponseObject {
  return {
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** Security, the error answers this route can give, and the headers of its success. */
function describeRoute(operation: OperationObject, route: Route): void {
  const isPublic = route.rule?.kind === 'public';
  operation.security = isPublic ? [] : AUTHENTICATED.map((requirement) => ({ ...requirement }));
  if (route.rule?.kind === 'roles') {
    operation.description = [operation.description, `Roles: ${route.rule.roles.join(', ')}.`]
      .filter((part) => part !== undefined && part !== '')
      .join('\n\n');
  }
  const parameters = operation.parameters ?? [];
  const named = parameters.filter((parameter): parameter is ParameterObject => 'in' in parameter);
  const hasPath = named.some((parameter) => parameter.in === 'path');
  const hasQuery = named.some((parameter) => parameter.in === 'query');
  const isWrite = route.method === 'post';
  const errors = new Set<string>(['500']);
  if (!isPublic) errors.add('401').add('403');
  if (isWrite || hasPath || hasQuery) errors.add('400');
  if (hasPath || route.path.startsWith('/analytics') || isWrite) errors.add('404');
  // A view named under a rule set not built yet (rulesVersion) is a 409 not_ready, as compare's.
  if (isWrite || route.path.startsWith('/analytics')) errors.add('409');
  if (isWrite) errors.add('413').add('415').add('422').add('429');

  const responses = (operation.responses ??= {});
  const success = String(route.status ?? (isWrite ? 201 : 200));
  const answer = (responses[success] ?? { description: '' }) as ResponseObject;
  if (answer.description === '') answer.description = isWrite ? 'Done' : 'The answer';
  if (named.some((parameter) => parameter.in === 'query' && parameter.name === 'limit')) {
    answer.headers = {
      ...answer.headers,
      Link: {
        description:
          'RFC 8288 links to the first, previous and next pages (when paged: `limit` or `offset` given, or a view that always pages)',
        schema: { type: 'string' },
      },
    };
  }
  if (route.idempotent) {
    operation.parameters = [...parameters, { ...IDEMPOTENCY_KEY }];
    answer.headers = {
      ...answer.headers,
      [IDEMPOTENT_REPLAYED_HEADER]: {
        description: '`true` when this is the stored answer of an earlier request with the key',
        schema: { type: 'string', enum: ['true'] },
      },
    };
  }
  responses[success] = answer;
  // Every 201 and 202 the route can give, its default or not (activation's 202), says where.
  for (const status of ['201', '202'] as const) {
    const created = responses[status] as ResponseObject | undefined;
    if (created === undefined) continue;
    created.headers = {
      ...created.headers,
      Location: {
        description:
          status === '201' ? 'The created resource' : 'Where to follow the accepted work',
        schema: { type: 'string' },
      },
    };
  }
  for (const status of [...errors].sort()) {
    responses[status] ??= { $ref: `#/components/responses/Problem${status}` };
  }
}

/** Every route Nest registered, read from its module container with its access rule. */
function routesOf(app: INestApplication): Route[] {
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const classRule = Reflect.getMetadata(ACCESS_RULE, controller) as AccessRule | undefined;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
        // Every route here has one path; a handler on several would need a loop.
        if (typeof path !== 'string') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
        const joined = `/${[base, path]
          .map((part) => part.replace(/^\/+|\/+$/g, ''))
          .filter((part) => part !== '')
          .join('/')}`;
        routes.push({
          method: RequestMethod[method].toLowerCase(),
          path: joined.replace(/:(\w+)/g, '{$1}'),
          // The handler's rule overrides the class's, as the AccessGuard reads them.
          rule: (Reflect.getMetadata(ACCESS_RULE, handler) as AccessRule | undefined) ?? classRule,
          status: Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined,
          idempotent:
            method === RequestMethod.POST &&
            Reflect.getMetadata(SKIP_IDEMPOTENCY, handler) !== true &&
            Reflect.getMetadata(SKIP_IDEMPOTENCY, controller) !== true,
        });
      }
    }
  }
  return routes;
}
