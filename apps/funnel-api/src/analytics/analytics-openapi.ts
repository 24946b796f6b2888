/**
 * OpenAPI for the /analytics views, generated from the same zod schemas that validate the
 * query, so the documented parameters are the accepted ones.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';

const formats =
  'JSON by default; CSV with `?format=csv` or `Accept: text/csv` (RFC 4180, CRLF, header row, ' +
  'UTF-8). In CSV every money / count map is flattened to one column per key — `wonRevenue.EUR`, ' +
  '`rejectionReasons.no_budget` — with the keys of all matching rows (so every page has the same ' +
  'header); an empty field is null or "none in that key"; money is the exact decimal string. ' +
  "A text cell starting with =, +, -, @, tab or CR is prefixed with ' and quoted (CSV injection); " +
  'number columns are written as they are.';
const paging =
  'Paginated: JSON `{ items, total, limit, offset }`; CSV is the page with a header row and the ' +
  'match count in `X-Total-Count`. `limit` defaults to 100 (max 1000), `offset` to 0.';
const filtering =
  'channel, campaign, owner, team and account are exact-match filters applied to the returned ' +
  'rows in the API (the report SQL has no such parameter), before paging; `total` counts ' +
  'matches. The capture window, model, grain and asOf are bound as ClickHouse query ' +
  'parameters. An unknown parameter, or a filter the view has no column for, is a 400.';

interface ViewDoc {
  readonly summary: string;
  readonly description?: string;
  /** The four original endpoints return a bare JSON array when no limit/offset is given. */
  readonly plainArrayUnlessPaged?: boolean;
}

export function ApiAnalyticsView(schema: z.ZodType, doc: ViewDoc) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { description?: string }>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  const legacy = doc.plainArrayUnlessPaged
    ? ' Backward compatible: without `limit` or `offset` the JSON is the bare array of all ' +
      'matching rows.'
    : '';
  return applyDecorators(
    ApiOperation({
      summary: doc.summary,
      description: [doc.description, formats, paging + legacy, filtering]
        .filter((part) => part !== undefined)
        .join('\n\n'),
    }),
    ApiProduces('application/json', 'text/csv'),
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: required.has(name),
        description: property.description ?? '',
        schema: property as object,
      }),
    ),
  );
}
