/**
 * JSON or CSV: `?format=` wins; otherwise the Accept header decides, JSON unless it prefers
 * `text/csv` (a higher q than application/json, and at least the q of any wildcard). Pure.
 */

import { parseAccept } from '../http/accept-header';

export const responseFormats = ['json', 'csv'] as const;
export type ResponseFormat = (typeof responseFormats)[number];

export function chooseFormat(format: ResponseFormat | undefined, accept?: string): ResponseFormat {
  if (format !== undefined) return format;
  if (accept === undefined || accept.trim() === '') return 'json';
  const ranges = parseAccept(accept);
  const best = (types: readonly string[]) =>
    Math.max(0, ...ranges.filter((range) => types.includes(range.type)).map((range) => range.q));
  const csv = best(['text/csv']);
  const json = best(['application/json']);
  const wildcard = best(['*/*', 'application/*']);
  return csv > 0 && csv > json && csv >= wildcard ? 'csv' : 'json';
}
