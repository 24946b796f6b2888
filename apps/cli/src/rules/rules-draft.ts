/**
 * Reads a funnel definition draft from a file and validates it as the dictionary's decider
 * does before publishing (the schema and the publish-time checks: repeated codes, text length
 * and storability, blank labels), so a bad file is refused with every offending field named
 * before anything is sent. The API validates again, but not the file's text: the draft is
 * sent re-serialized, so whatever JSON.parse read other than the file wrote must be refused
 * here (notReadAsSentOf, as the API's body parser refuses it): a key the file names twice
 * (JSON.parse kept the last one; an editor or a reviewer reading the file may see the first),
 * or a number it rounded (`65.00000000000000001` would be sent as 65, `1e400` as null, since
 * JSON.stringify writes Infinity so): the file's text and what is published would differ.
 */
import { readFile } from 'node:fs/promises';
import { notReadAsSentOf } from '@tandem/contracts';
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
    // A byte order mark opening the file is the encoding's (Windows editors write one), not
    // the draft's: JSON.parse refuses it, so it is dropped, as the CSV reader drops one.
    text = (await readText(file)).replace(/^\uFEFF/, '');
    draft = JSON.parse(text);
  } catch (error) {
    print(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false };
  }
  const refused = notReadAsSentOf(text);
  if (refused !== null) {
    print(`${file} is not a valid funnel definition:`);
    print(`  ${refused.field}: ${refused.message}`);
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
