/**
 * The canonical import format (docs/import.md): JSON Lines, one lead-lifecycle fact
 * per line — `{ "leadId", "type", "occurredAt", "data", "accountId"? }` where
 * `type` is a lead command name and `data` its body as the API takes it. Blank
 * lines and lines starting with `//` are skipped. This module reads and shapes
 * lines only (UTF-8, utf8-text.ts); whether a fact may happen is decided later, per lead.
 */
import { createHash } from 'node:crypto';
import {
  businessTimeSchema,
  type NotReadAsSent,
  notReadAsSentOf,
  topLevelValuesOf,
} from '@tandem/contracts';
import { isPlainObject, parseLeadId } from '@tandem/domain';
import { z } from 'zod';
import { importableCommandTypes } from './import-commands';
import { futureTimeProblem } from './import-time';
import type { ImportFact, ImportSource, RowRef, SourceRow } from './import-fact';
import { utf8Lines } from './utf8-text';

/**
 * Strict: a field the format does not have (a misspelt `accountID`) is refused, naming it,
 * and so is an account on a line that is not a capture; either would be dropped unread.
 */
const lineSchema = z
  .strictObject({
    leadId: z.string(),
    type: z.enum(importableCommandTypes as [string, ...string[]]),
    occurredAt: businessTimeSchema.superRefine((value, context) => {
      // Not in the future, as the API's commandTimeSchema holds it, said with the clock's time.
      const future = futureTimeProblem(value, true);
      if (future !== null)
        context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${future}` });
    }),
    // Not z.record, which drops a `__proto__` key without a word: the command's strict check
    // (import-commands.ts) names it, as the API does.
    data: z
      .custom<Record<string, unknown>>(isPlainObject, 'Invalid input: expected an object')
      .default({}),
    accountId: z.string().trim().min(1).max(500).optional(),
  })
  .refine((line) => line.accountId === undefined || line.type === 'CaptureLead', {
    path: ['accountId'],
    message: "only a CaptureLead line names the lead's account",
  });

/** Reads a canonical JSONL file; a line that is not a fact becomes a refused row. */
export async function readCanonicalJsonl(file: string): Promise<ImportSource> {
  const hash = createHash('sha256');
  const rows: SourceRow[] = [];
  let line = 0;
  for await (const text of utf8Lines(file, (chunk) => hash.update(chunk))) {
    line += 1;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('//')) continue;
    rows.push(parseCanonicalLine(trimmed, { file, line }));
  }
  return { hash: hash.digest('hex'), name: file, rows };
}

/**
 * Why a line is not JSON, without its text: V8's message quotes the line around the fault
 * (`Unexpected token 'e', ..."l":erin@shred"... is not valid JSON`), and a report is kept
 * and passed around long after the people in the file asked to be erased. The column is
 * enough to find the fault in the file.
 */
function notJson(error: Error): string {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  return position === undefined
    ? 'not JSON'
    : `not JSON: syntax error at column ${Number(position) + 1}`;
}

/**
 * An issue's message, but for an `occurredAt` that is not an ISO-8601 time with a zone, the
 * commonest first-day fault (a zone-less `2025-01-06T09:12:00`, a date alone), which zod calls
 * `Invalid ISO datetime` without saying that the zone is what it lacks.
 */
function said(issue: z.core.$ZodIssue, json: unknown): string {
  if (issue.path.join('.') !== 'occurredAt' || issue.code !== 'invalid_format')
    return issue.message;
  const value = (json as { occurredAt?: unknown }).occurredAt;
  return `${JSON.stringify(value)} is not an ISO-8601 time with a zone (2025-01-06T09:12:00Z, 2025-01-06T10:12:00+01:00)`;
}

export function parseCanonicalLine(text: string, where: RowRef): SourceRow {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, where, leadId: null, reason: notJson(error as Error) };
  }
  const lead = parseLeadId((json as { leadId?: unknown } | null)?.leadId);
  const leadId = lead.ok ? lead.leadId : null;
  // JSON.parse kept the last of two keys and read each number as the nearest double: a line
  // that repeats a key or whose number it rounded is refused, not imported, as the API does.
  const refused = notReadAsSentOf(text);
  if (refused !== null && refused.field === 'leadId') return namingTwoLeads(text, where, refused);
  if (refused !== null) {
    const reason = `not a fact: ${refused.field}: ${refused.message}`;
    return { ok: false, where, leadId, reason };
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues
      .map(
        (issue) => `${issue.path.length ? issue.path.join('.') : '(line)'}: ${said(issue, json)}`,
      )
      .join('; ');
    return { ok: false, where, leadId, reason: `not a fact: ${fields}` };
  }
  if (!lead.ok) return { ok: false, where, leadId: null, reason: `leadId ${lead.problem}` };
  const { type, occurredAt, data, accountId } = parsed.data;
  return {
    ok: true,
    fact: {
      leadId: lead.leadId,
      type: type as ImportFact['type'],
      occurredAt,
      data,
      accountId: accountId ?? null,
      where,
    },
  };
}

/**
 * A line naming `leadId` twice: JSON.parse kept the last, another reader of the file the first,
 * so which lead the line is of cannot be told. Refusing it alone left both leads imported
 * without it, each maybe missing a fact of its own: half-imported. So every lead the line
 * names (as far as its id reads) is refused whole, each pointing at this line.
 */
function namingTwoLeads(text: string, where: RowRef, refused: NotReadAsSent): SourceRow {
  const named = topLevelValuesOf(text, 'leadId').map((value) => parseLeadId(value));
  const leads = [...new Set(named.flatMap((lead) => (lead.ok ? [lead.leadId] : [])))];
  const [leadId = null, ...otherLeadIds] = leads;
  const which =
    leads.length > 1
      ? `: the line names ${leads.join(' and ')}, which are refused whole, each`
      : ', so the line names no one lead';
  const reason = `not a fact: leadId: ${refused.message}${which}`;
  return { ok: false, where, leadId, reason, ...(otherLeadIds.length ? { otherLeadIds } : {}) };
}
