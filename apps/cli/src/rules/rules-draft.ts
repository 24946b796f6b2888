/**
 * Reads a funnel definition draft from a file and validates it as the dictionary's decider
 * does before publishing (the schema and the publish-time checks: repeated codes, text length
 * and storability, blank labels), so a bad file is refused with every offending field named
 * before anything is sent. The API validates again, but not the file's text: the draft is
 * sent re-serialized, so a key the file names twice must be refused here (JSON.parse kept the
 * last one; an editor or a reviewer reading the file may see the first).
 */
import { readFile } from 'node:fs/promises';
import { DUPLICATE_KEY_MESSAGE, duplicateJsonKeyOf } from '@tandem/contracts';
import { InvalidDefinitionError, parseDefinitionToPublish } from '@tandem/domain';

export type DraftOutcome = { readonly ok: true; readonly draft: unknown } | { readonly ok: false };

/** The draft as written in the file (sent as is), or `ok: false` after saying why not. */
export async function readDraft(
  file: string,
  print: (line: string) => void,
  readText: (file: string) => Promise<string> = readTextFile,
): Promise<DraftOutcome> {
  let draft: unknown;
  let text: string;
  try {
    text = await readText(file);
    draft = JSON.parse(text);
  } catch (error) {
    print(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false };
  }
  const duplicate = duplicateJsonKeyOf(text);
  if (duplicate !== null) {
    print(`${file} is not a valid funnel definition:`);
    print(`  ${duplicate.field}: ${DUPLICATE_KEY_MESSAGE}`);
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
