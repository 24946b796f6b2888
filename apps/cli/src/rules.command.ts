/**
 * `tandem rules publish <file>` and `tandem rules list`: the shared dictionary
 * from the ops command line. A draft is validated here first, so a bad file is
 * refused with every offending field named before anything is sent; the API
 * validates again and appends the FunnelDefinitionPublished event.
 */
import { readFile } from 'node:fs/promises';
import { InvalidDefinitionError, parseFunnelDefinition } from '@tandem/domain';
import { type ApiClient, ApiError } from './api-client';

export async function publishRules(
  api: ApiClient,
  file: string,
  print: (line: string) => void = console.log,
): Promise<number> {
  let draft: unknown;
  try {
    draft = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    print(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  try {
    parseFunnelDefinition(draft);
  } catch (error) {
    if (!(error instanceof InvalidDefinitionError)) throw error;
    print(`${file} is not a valid funnel definition:`);
    for (const issue of error.issues) print(`  ${issue.path}: ${issue.message}`);
    return 2;
  }
  try {
    const published = await api.post<{ version: number }>(
      '/definitions',
      draft,
      'ops',
      'tandem-cli',
    );
    print(`published funnel definition version ${published.version}; new decisions use it now`);
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      const body = error.body as { message?: string } | null;
      print(`refused (${error.status}): ${body?.message ?? 'no reason given'}`);
      return 1;
    }
    throw error;
  }
}

export async function listRules(api: ApiClient, print: (line: string) => void = console.log) {
  const { active, versions } = await api.get<{
    active: number | null;
    versions: { version: number; name: string; publishedAt: string; publishedBy: string }[];
  }>('/definitions');
  for (const v of versions) {
    print(
      `${v.version === active ? '*' : ' '} v${v.version}  ${v.publishedAt}  ${v.publishedBy}  ${v.name}`,
    );
  }
  return 0;
}
