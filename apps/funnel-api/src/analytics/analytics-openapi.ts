/**
 * OpenAPI for the /analytics views, generated from the view's declaration: the parameters from
 * the zod schema that validates the query (so the documented parameters are the accepted ones),
 * the 200 answer from its row declaration (JSON rows and the CSV media type, columns in order).
 */
import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
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
  /** The row's columns in CSV order, and the JSON Schema of one row (its declaration's). */
  readonly columns?: readonly string[];
  readonly rowSchema?: Record<string, unknown>;
}

/** The JSON of a page of rows (`present` in analytics-views.ts). */
const pageOf = (row: Record<string, unknown>) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: row },
    total: { type: 'integer', minimum: 0, description: 'Rows matching the query before paging' },
    limit: { type: 'integer', minimum: 1 },
    offset: { type: 'integer', minimum: 0 },
  },
  required: ['items', 'total', 'limit', 'offset'],
  additionalProperties: false,
});

/** The 200 answer of a view: its rows as JSON (a page, or the bare array) and as CSV. */
function viewAnswer(doc: ViewDoc) {
  if (doc.rowSchema === undefined || doc.columns === undefined) return [];
  const json = doc.plainArrayUnlessPaged
    ? { oneOf: [{ type: 'array', items: doc.rowSchema }, pageOf(doc.rowSchema)] }
    : pageOf(doc.rowSchema);
  return [
    ApiResponse({
      status: 200,
      description: 'The rows of the view, as JSON or CSV',
      content: {
        'application/json': { schema: json },
        'text/csv': {
          schema: {
            type: 'string',
            description:
              `A header row, then one line per row of the page; columns in this order: ` +
              `${doc.columns.join(', ')} (each money or count map flattened to one column per ` +
              'key, e.g. `wonRevenue.EUR`).',
          },
        },
      },
    }),
  ];
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
    ...viewAnswer(doc),
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
