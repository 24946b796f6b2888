/**
 * Writes the committed JSON Schemas: libs/contracts/schemas/<Type>.v<N>.schema.json
 * for every event type at its current version, index.json and the AsyncAPI 3.0 document
 * asyncapi.json (asyncapi.ts), formatted as
 * Prettier would (so `format:check` and the drift spec agree). Run with
 * `npm run contracts:schemas`; an optional argument names another directory.
 *
 * It must never delete a file: schemas of older versions stay, because the topic
 * carries events as they were recorded and consumers in other languages still
 * need them. Dev tool only (Prettier is a dev dependency); not exported.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import { format } from 'prettier/standalone';
import { asyncApiDocument } from './asyncapi';
import { eventJsonSchemaIndex, eventJsonSchemas } from './json-schemas';

export const INDEX_FILE = 'index.json';
export const ASYNCAPI_FILE = 'asyncapi.json';

/** The repository's Prettier settings that matter for JSON (see .prettierrc). */
const prettierJson = { parser: 'json', plugins: [babel, estree], printWidth: 100 };

/** File name → exact file content, in a stable order. */
export async function renderSchemaFiles(): Promise<Map<string, string>> {
  const schemas = eventJsonSchemas();
  const files = new Map<string, string>();
  for (const { file, schema } of schemas) {
    files.set(file, await format(JSON.stringify(schema, null, 2), prettierJson));
  }
  const index = JSON.stringify(eventJsonSchemaIndex(schemas), null, 2);
  files.set(INDEX_FILE, await format(index, prettierJson));
  files.set(ASYNCAPI_FILE, await format(JSON.stringify(asyncApiDocument(), null, 2), prettierJson));
  return files;
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? 'libs/contracts/schemas');
  await mkdir(dir, { recursive: true });
  const files = await renderSchemaFiles();
  for (const [file, content] of files) await writeFile(path.join(dir, file), content);
  process.stdout.write(`wrote ${files.size} files to ${path.relative(process.cwd(), dir)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
