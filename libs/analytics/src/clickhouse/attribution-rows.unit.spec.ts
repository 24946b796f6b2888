import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSqlDirectory } from './sql-directory';
import { attributionRowsHalf, attributionRowsOfEveryModel, queryParameters } from './view-sql';

const rowsFile = () =>
  readFile(join(resolveSqlDirectory(), 'views', 'marketing-attribution.rows.sql'), 'utf8');

describe('marketing attribution rows for a build of the kept credits', () => {
  it('takes one half of the shipped rows file, and refuses a file of another shape', async () => {
    const rows = await rowsFile();
    expect(attributionRowsHalf(rows, 'touched_rows')).toMatch(/SELECT \* FROM touched_rows\n$/);
    expect(attributionRowsHalf(rows, 'touched_rows')).not.toContain('UNION ALL\nSELECT * FROM');
    expect(() => attributionRowsHalf(`${rows}\nLIMIT 1`, 'credit_rows')).toThrow(TypeError);
  });

  it('binds every model as arrays in place of the one-model parameters', async () => {
    const sql = attributionRowsOfEveryModel(await rowsFile());
    const bound = new Map(queryParameters(sql).map(({ name, type }) => [name, type]));
    expect(bound.get('models')).toBe('Array(String)');
    expect(bound.get('weights_first')).toBe('Array(UInt32)');
    expect(bound.get('half_lives_ms')).toBe('Array(UInt64)');
    for (const oneModel of ['model', 'weight_first', 'weight_others', 'half_life_ms']) {
      expect(bound.has(oneModel)).toBe(false);
    }
    expect(sql).toContain(
      '            lead_id,\n            captured_at,\n            attribution_model,\n',
    );
    expect(sql).toMatch(
      /FROM counted\n {8}ARRAY JOIN \{models:Array\(String\)\} AS attribution_model/,
    );
  });

  it('throws when a line it rewrites is gone', async () => {
    const rows = (await rowsFile()).replace('FROM counted\n', 'FROM counted AS c\n');
    expect(() => attributionRowsOfEveryModel(rows)).toThrow(/not found once/);
  });
});
