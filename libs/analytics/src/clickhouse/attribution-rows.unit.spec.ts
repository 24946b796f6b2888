import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultFunnelDefinition } from '@tandem/domain';
import { newRuleSet } from '../rules/rule-sets';
import {
  attributionParams,
  everyModelParams,
} from '../views/attribution-credits/attribution-credits';
import { resolveSqlDirectory } from './sql-directory';
import {
  ATTRIBUTION_ROWS_HALVES,
  ATTRIBUTION_ROWS_MARKERS,
  attributionRowsHalf,
  attributionRowsOfEveryModel,
  queryParameters,
} from './view-sql';

const rowsFile = () =>
  readFile(join(resolveSqlDirectory(), 'views', 'marketing-attribution.rows.sql'), 'utf8');

const names = (sql: string) => queryParameters(sql).map(({ name }) => name);
const words = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/** The file's CTEs, `name AS (` at the WITH's indentation, each with its body. */
const ctes = (sql: string) => {
  const heads = [...sql.matchAll(/^ {4}([a-z_]+) AS\n {4}\(/gm)];
  return heads.map((head, index) => ({
    name: head[1] ?? '',
    body: sql.slice(head.index, heads[index + 1]?.index ?? sql.length),
  }));
};

describe('marketing attribution rows, as ClickHouse plans them', () => {
  it("joins the visitors' touches where one CTE names them, and names that CTE once", async () => {
    const rows = (await rowsFile()).replace(/--.*$/gm, '');
    // ClickHouse inlines a CTE wherever it is named: a second name of the CTE that joins the
    // captures to visitor_touches (FINAL) and groups them joined and grouped them twice over.
    const visitors = ctes(rows).filter(({ body }) => body.includes('.visitor_touches'));
    expect(visitors.map(({ name }) => name)).toEqual(['stitched_by_id']);
    for (const { name, body } of visitors) {
      const named = rows.replace(body, '').match(new RegExp(`\\b${name}\\b`, 'g')) ?? [];
      expect({ name, named: named.length }).toEqual({ name, named: 1 });
    }
  });
});

describe('marketing attribution rows for a build of the kept credits', () => {
  it('ends with both halves after its marker, and takes either alone', async () => {
    const rows = await rowsFile();
    const marker = ATTRIBUTION_ROWS_MARKERS.halves;
    // What the marker stands before is the union of the halves, and nothing else: a third
    // half, or a LIMIT, would not be written by a build and must fail here first.
    expect(words(rows.slice(rows.indexOf(marker) + marker.length))).toBe(
      ATTRIBUTION_ROWS_HALVES.map((half) => `SELECT * FROM ${half}`).join(' UNION ALL '),
    );
    for (const half of ATTRIBUTION_ROWS_HALVES) {
      const alone = attributionRowsHalf(rows, half);
      expect(alone.startsWith(rows.slice(0, rows.indexOf(marker)))).toBe(true);
      expect(alone).toMatch(new RegExp(`SELECT \\* FROM ${half}\\n$`));
      expect(alone).not.toContain('UNION ALL\nSELECT * FROM');
    }
    expect(() => attributionRowsHalf(rows.replace(marker, ''), 'credit_rows')).toThrow(TypeError);
  });

  it('binds every model as arrays where the file binds one model', async () => {
    const rows = await rowsFile();
    const sql = attributionRowsOfEveryModel(rows);
    const rules = newRuleSet(defaultFunnelDefinition, 'published', 'ready');
    const oneModel = Object.keys(attributionParams(rules, 'linear'));
    const arrays = Object.keys(everyModelParams(rules));
    // Whatever else the credit half binds, it binds the arrays and no one-model parameter (a
    // parameter added to attributionParams and to the file but not to the composition fails).
    const creditHalf = names(attributionRowsHalf(rows, 'credit_rows'));
    expect(new Set(names(sql))).toEqual(
      new Set([...creditHalf.filter((name) => !oneModel.includes(name)), ...arrays]),
    );
    expect(queryParameters(sql).find(({ name }) => name === 'models')?.type).toBe('Array(String)');
    expect(queryParameters(sql).find(({ name }) => name === 'half_lives_ms')?.type).toBe(
      'Array(UInt64)',
    );
    // Every marker of the credit half is used, and none is left.
    const { halves, ...everyModelMarkers } = ATTRIBUTION_ROWS_MARKERS;
    expect(sql).toContain(halves);
    for (const marker of Object.values(everyModelMarkers)) expect(sql).not.toContain(marker);
    expect(sql).toMatch(
      /FROM counted\n {8}ARRAY JOIN \{models:Array\(String\)\} AS attribution_model/,
    );
  });

  it('carries the model through every step after the join that names its columns', async () => {
    const rows = attributionRowsHalf(await rowsFile(), 'credit_rows');
    const { everyModelJoin, everyModelCarried } = ATTRIBUTION_ROWS_MARKERS;
    // The steps from the join to the credit rows (touched_rows, the other half's, reads the
    // cohort only). Steps are the CTEs (`name AS\n    (`); one that lists its columns instead
    // of `*` must carry the model, and no step before the join may (it has no model there).
    const touched = rows.indexOf('\n    touched_rows AS\n');
    expect(touched).toBeGreaterThan(rows.indexOf(everyModelJoin));
    const afterJoin = rows.slice(rows.indexOf(everyModelJoin), touched);
    const steps = afterJoin.split(/\n {4}[a-z_]+ AS\n {4}\(\n/).slice(1);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const listed = !/^\s*SELECT\s+\*,/.test(step);
      expect(step.includes(everyModelCarried)).toBe(listed);
    }
    expect(rows.slice(0, rows.indexOf(everyModelJoin))).not.toContain(everyModelCarried);
  });

  it('throws, naming the marker, when one is gone', async () => {
    const rows = await rowsFile();
    for (const marker of [
      ATTRIBUTION_ROWS_MARKERS.everyModelColumns,
      ATTRIBUTION_ROWS_MARKERS.everyModelJoin,
    ]) {
      expect(() => attributionRowsOfEveryModel(rows.replace(marker, ''))).toThrow(/not found once/);
    }
    // Reformatting around the markers changes nothing.
    const reformatted = rows.replace('FROM counted\n', 'FROM counted   \n');
    expect(() => attributionRowsOfEveryModel(reformatted)).not.toThrow();
  });
});
