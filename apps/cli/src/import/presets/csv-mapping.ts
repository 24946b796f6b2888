/**
 * `--preset mapped --mapping <file.json>`: any CSV export, described by a mapping file
 * instead of code. The mapping names the lead id column (and the source system), then
 * the facts a row may hold — each with the column of its business time (a row holds the
 * fact when that cell is not empty) and its body built from columns, constants and value
 * maps (stages, rejection and loss reasons). A value a map lacks refuses the row's lead,
 * naming the file, line and column. docs/import.md shows the format; a mapping that does
 * not fit it is a usage error naming the field, and so is one JSON.parse would read other
 * than it is written (notReadAsSentOf, as the API and the JSON Lines reader refuse it): a
 * key named twice in one object (`"Won": "won", "Won": "lost"` in a map, where JSON.parse
 * keeps the last and a person reading the file may see the first) or a number it rounds (a
 * constant `65.00000000000000001` would be imported as 65).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { notReadAsSentOf } from '@tandem/contracts';
import { parseLeadId } from '@tandem/domain';
import { z } from 'zod';
import { UsageError } from '../../usage-error';
import { describe } from '../import-commands';
import { importableCommandTypes } from '../import-commands';
import type { ImportFact, ImportSource, RowRef, SourceRow } from '../import-fact';
import { decimal, hiddenCharacterCell, readCsv, readTime, type Row, text, yesNo } from './csv-rows';

/**
 * A column the mapping names, read without the spaces around it, as the CSV's header is
 * (readCsv): a mapping copied from a header cell `MQL at ` names the column `MQL at`.
 */
const columnName = z.string().trim().min(1);

/** A body field: a column (optionally mapped or read as a number), or a constant. */
const valueSchema = z.union([
  z.object({ value: z.unknown() }).strict(),
  z
    .object({
      column: columnName,
      map: z.record(z.string(), z.string()).optional(),
      number: z.boolean().optional(),
      boolean: z.boolean().optional(),
    })
    .strict(),
]);

const mappingSchema = z
  .object({
    leadId: z.object({ column: columnName, system: z.string().min(1).optional() }).strict(),
    accountId: z.object({ column: columnName }).strict().optional(),
    facts: z
      .array(
        z
          .object({
            type: z.enum(importableCommandTypes as [string, ...string[]]),
            when: columnName,
            data: z.record(z.string(), valueSchema).default({}),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type CsvMapping = z.infer<typeof mappingSchema>;

export async function readMapping(file: string): Promise<{ mapping: CsvMapping; hash: string }> {
  const bytes = await readFile(file);
  // A byte order mark opening the file is the encoding's (Windows editors write one), not the
  // mapping's: JSON.parse refuses it, so it is dropped, as the CSV reader drops one. The hash
  // stays the file's bytes'.
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const refused = notReadAsSentOf(text);
  if (refused !== null)
    throw new UsageError(`${file}: not a mapping: ${refused.field}: ${refused.message}`);
  const parsed = mappingSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${file}: not a mapping: ${describe(parsed.error)}`);
  return { mapping: parsed.data, hash: createHash('sha256').update(bytes).digest('hex') };
}

export async function readMappedCsv(
  files: readonly string[],
  mappingFile: string,
): Promise<ImportSource> {
  const { mapping, hash: mappingHash } = await readMapping(mappingFile);
  const hash = createHash('sha256').update(`mapped\n${mappingHash}\n`);
  const rows: SourceRow[] = [];
  for (const file of files) {
    const csv = await readCsv(file);
    hash.update(`${csv.hash}\n`);
    const absent =
      csv.rows.length === 0
        ? undefined
        : columnsOf(mapping).find((column) => !csv.header.includes(column));
    if (absent !== undefined) {
      // A typo in a column name would read every cell of it as empty: the field, or the whole
      // fact (a `when` column), left out of every lead without a word.
      throw new UsageError(
        `${file}: the mapping names column ${JSON.stringify(absent)}, which the header does not have`,
      );
    }
    for (const { row, where } of csv.rows) rows.push(...mapRow(mapping, row, where));
  }
  return { hash: hash.digest('hex'), name: files.join(' + '), rows };
}

/** Every column the mapping reads: the lead id's, the account's, each fact's time and fields. */
function columnsOf(mapping: CsvMapping): string[] {
  return [
    mapping.leadId.column,
    ...(mapping.accountId === undefined ? [] : [mapping.accountId.column]),
    ...mapping.facts.flatMap((fact) => [
      fact.when,
      ...Object.values(fact.data).flatMap((source) => ('column' in source ? [source.column] : [])),
    ]),
  ];
}

function mapRow(mapping: CsvMapping, row: Row, where: RowRef): SourceRow[] {
  const raw = text(row[mapping.leadId.column]) ?? '';
  const id = parseLeadId(
    mapping.leadId.system === undefined ? raw : `${mapping.leadId.system}:${raw}`,
  );
  if (!id.ok) {
    return [
      { ok: false, where, leadId: null, reason: `${mapping.leadId.column}: lead id ${id.problem}` },
    ];
  }
  const leadId = id.leadId;
  const hidden = hiddenCharacterCell(row, columnsOf(mapping));
  if (hidden !== null) return [{ ok: false, where, leadId, reason: hidden }];
  const accountId = mapping.accountId === undefined ? null : text(row[mapping.accountId.column]);
  const out: SourceRow[] = [];
  for (const spec of mapping.facts) {
    const cell = text(row[spec.when]);
    if (cell === null) continue;
    const read = readTime(cell);
    if (!read.ok) {
      out.push({
        ok: false,
        where,
        leadId,
        reason: `${spec.when}: ${JSON.stringify(cell)} ${read.problem}`,
      });
      continue;
    }
    const occurredAt = read.at;
    const data: Record<string, unknown> = {};
    let refusal: string | null = null;
    for (const [field, source] of Object.entries(spec.data)) {
      const value = valueOf(source, row);
      if (!value.ok) {
        refusal = `${spec.type}.${field}: ${value.reason}`;
        break;
      }
      if (value.value !== undefined) setPath(data, field, value.value);
    }
    if (refusal !== null) {
      out.push({ ok: false, where, leadId, reason: refusal });
      continue;
    }
    // A profile is what its columns say: a row whose profile cells are all empty holds none,
    // as a row with an empty `when` cell holds no fact (an empty profile is refused, and would
    // refuse the whole lead). The HubSpot and Salesforce presets skip it the same way.
    if (spec.type === 'ProfileLead' && Object.keys(data).length === 0) continue;
    const fact: ImportFact = {
      leadId,
      type: spec.type as ImportFact['type'],
      occurredAt,
      data,
      accountId: spec.type === 'CaptureLead' ? accountId : null,
      where,
    };
    out.push({ ok: true, fact });
  }
  return out;
}

type Value = { ok: true; value: unknown } | { ok: false; reason: string };

function valueOf(source: z.infer<typeof valueSchema>, row: Row): Value {
  if ('value' in source) return { ok: true, value: source.value };
  const cell = text(row[source.column]);
  if (cell === null) return { ok: true, value: undefined };
  if (source.map !== undefined) {
    const mapped = source.map[cell];
    return mapped === undefined
      ? { ok: false, reason: `${source.column} ${JSON.stringify(cell)} is not in the mapping` }
      : { ok: true, value: mapped };
  }
  if (source.number === true) {
    const number = decimal(cell);
    return number !== null
      ? { ok: true, value: number }
      : { ok: false, reason: `${source.column} ${JSON.stringify(cell)} is not a number` };
  }
  if (source.boolean === true) {
    const flag = yesNo(cell);
    return flag === undefined
      ? { ok: false, reason: `${source.column} ${JSON.stringify(cell)} is not a yes/no value` }
      : { ok: true, value: flag };
  }
  return { ok: true, value: cell };
}

/** `contact.email` → data.contact.email. */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[keys.at(-1) ?? dotted] = value;
}
