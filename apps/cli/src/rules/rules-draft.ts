/**
 * Reads a funnel definition draft from a file and validates it as the dictionary's decider
 * does before publishing (the schema and the publish-time checks: repeated codes, text length
 * and storability, blank labels), so a bad file is refused with every offending field named
 * before anything is sent. The API validates again: this is a courtesy, not the guard.
 */
import { readFile } from 'node:fs/promises';
import { InvalidDefinitionError, parseDefinitionToPublish } from '@tandem/domain';

export type DraftOutcome = { readonly ok: true; readonly draft: unknown } | { readonly ok: false };

/** The draft as written in the file (sent as is), or `ok: false` after saying why not. */
export async function readDraft(
  file: string,
  print: (line: string) => void,
  readText: (file: string) => Promise<string> = readTextFile,
): Promise<DraftOutcome> {
  let draft: unknown;
  try {
    draft = JSON.parse(await readText(file));
  } catch (error) {
    print(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false };
  }
  try {
    parseDefinitionToPublish(draft);
  } catch (error) {
    if (!(error instanceof InvalidDefinitionError)) throw error;
    print(`${file} is not a valid funnel definition:`);
    for (const issue of error.issues) print(`  ${issue.path}: ${issue.message}`);
    return { ok: false };
  }
  return { ok: true, draft };
}

export const readTextFile = (file: string): Promise<string> => readFile(file, 'utf8');
