/**
 * The access rule of a route, declared on the route itself: `@Allow(...roles)`,
 * `@AllowCommand('WinDeal')` (the roles the domain lets issue that command, so a write's
 * route and its command never disagree), or `@Public(reason)` for the few routes that carry
 * no data (liveness, the dashboard's static shell). A route with none of them is refused to
 * everyone by the AccessGuard, and the role-matrix test fails for it.
 *
 * It must never grant anything by itself: the guard enforces, this only declares.
 */
import { SetMetadata } from '@nestjs/common';
import { type CommandType, type Role, rolesAllowedTo } from '@tandem/domain';

export const ACCESS_RULE = 'tandem:access-rule';

/**
 * The groups the matrix is made of (README, "Who may do what"). Aggregate views and the
 * dictionary hold no personal data: every role reads them. Timelines hold contact details
 * and notes: only the teams that work the lead, and ops (erasure, merges) read them. Each
 * team reads its own lens; analysts read every view, and nothing personal.
 */
export const VIEW_READERS: readonly Role[] = ['marketing', 'sales', 'ops', 'analyst', 'system'];
export const MARKETING_LENS_READERS: readonly Role[] = ['marketing', 'ops', 'analyst', 'system'];
export const SALES_LENS_READERS: readonly Role[] = ['sales', 'ops', 'analyst', 'system'];
export const PERSONAL_DATA_READERS: readonly Role[] = ['marketing', 'sales', 'ops'];
export const OPERATORS: readonly Role[] = ['ops'];

export type AccessRule =
  | { readonly kind: 'roles'; readonly roles: readonly Role[] }
  | { readonly kind: 'public'; readonly reason: string };

export const Allow = (...roles: readonly Role[]) =>
  SetMetadata<string, AccessRule>(ACCESS_RULE, { kind: 'roles', roles });

export const AllowCommand = (command: CommandType) =>
  SetMetadata<string, AccessRule>(ACCESS_RULE, {
    kind: 'roles',
    roles: rolesAllowedTo(command),
  });

export const Public = (reason: string) =>
  SetMetadata<string, AccessRule>(ACCESS_RULE, { kind: 'public', reason });
