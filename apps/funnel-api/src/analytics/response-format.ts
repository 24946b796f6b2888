/**
 * JSON or CSV: `?format=` wins; otherwise the Accept header decides, JSON unless it prefers
 * `text/csv` (a higher q than application/json, and at least the q of any wildcard). Pure.
 */

export const responseFormats = ['json', 'csv'] as const;
export type ResponseFormat = (typeof responseFormats)[number];

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim());
      const qParam = params.find((param) => /^q=/i.test(param));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((range) => range.type !== '');
}

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
