/**
 * Every route of every controller Nest registered, read from the app's module container — not
 * from a list kept in a test — with the status it answers on success (its @HttpCode, or Nest's
 * default: 201 for POST, 200 otherwise). Tests that must cover every route (the role matrix,
 * the OpenAPI document) start from here, so a new route is covered the day it is added.
 */
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';

export interface RegisteredRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** As declared: `/leads/:leadId/timeline`. */
  readonly pattern: string;
  readonly successStatus: number;
}

export function registeredRoutes(app: INestApplication): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
        if (path === undefined) continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
        const verb =
          method === RequestMethod.GET
            ? 'GET'
            : method === RequestMethod.POST
              ? 'POST'
              : method === RequestMethod.DELETE
                ? 'DELETE'
                : null;
        if (verb === null) throw new Error(`${controller.name}.${name}: unexpected HTTP method`);
        const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
        for (const each of Array.isArray(path) ? path : [path]) {
          const joined = `/${[base, String(each)].filter((part) => part && part !== '/').join('/')}`;
          routes.push({
            method: verb,
            pattern: joined.replace(/\/+/g, '/'),
            successStatus: code ?? (verb === 'POST' ? 201 : 200),
          });
        }
      }
    }
  }
  return routes;
}
