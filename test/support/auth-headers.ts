/**
 * The request headers that make a test's request come from a given role and actor. Every
 * test builds its identity here and nowhere else, so the way Tandem authenticates callers
 * can change in one place. Today: the trusted headers; issue 12 replaces them with a
 * bearer token signed by the test key the fixtures configure.
 */
import type { Role } from '@tandem/domain';

export async function asRole(
  role: Role,
  actor = `${role}@test.tandem`,
): Promise<Record<string, string>> {
  return Promise.resolve({ 'x-tandem-role': role, 'x-tandem-actor': actor });
}
