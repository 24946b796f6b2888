import { join } from 'node:path';
import { InvalidDatabaseNameError } from './analytics.database';
import { loadMigrationFiles, MigrationError, renderMigrationSql } from './analytics.migrations';
import { resolveSqlDirectory, SqlDirectoryNotFoundError } from './sql-directory';

describe('renderMigrationSql', () => {
  it('puts the validated, back-quoted database name where {db:Identifier} stands', () => {
    expect(
      renderMigrationSql(
        'CREATE VIEW {db:Identifier}.v AS SELECT 1 FROM {db:Identifier}.t;\n',
        'tandem_test',
      ),
    ).toBe('CREATE VIEW `tandem_test`.v AS SELECT 1 FROM `tandem_test`.t');
  });

  it('refuses any other parameter, which ClickHouse would not bind in a view', () => {
    expect(() =>
      renderMigrationSql('SELECT {from:DateTime64(3)} FROM {db:Identifier}.t', 'tandem'),
    ).toThrow(MigrationError);
  });

  it('refuses a database name that would need quoting', () => {
    for (const name of ['Tandem', 'tandem-test', 'x`; DROP DATABASE y', '1st', '']) {
      expect(() => renderMigrationSql('SELECT 1', name)).toThrow(InvalidDatabaseNameError);
    }
  });
});

describe('the migration files', () => {
  it('are numbered, in order, one statement each, and use only {db:Identifier}', async () => {
    const files = await loadMigrationFiles(resolveSqlDirectory());

    expect(files.map(({ version, name }) => [version, name])).toEqual([
      [1, '0001_create_lead_events.sql'],
      [2, '0002_create_projection_checkpoint.sql'],
      [3, '0003_create_lead_facts.sql'],
      [4, '0004_create_campaign_spend.sql'],
      [5, '0005_create_targets.sql'],
      [6, '0006_create_rule_sets.sql'],
      [7, '0007_create_lead_rule_facts.sql'],
      [8, '0008_create_active_rules.sql'],
      [9, '0009_create_lead_state.sql'],
      [10, '0010_create_lead_state_mv.sql'],
      [11, '0011_backfill_lead_state.sql'],
      [12, '0012_create_event_log_staging.sql'],
      [13, '0013_add_lead_state_sales_sourced_at.sql'],
      [14, '0014_create_lead_state_path_mv.sql'],
      [15, '0015_drop_touchpoint_content.sql'],
      [16, '0016_create_projection_dead_letters.sql'],
      [17, '0017_drop_lead_facts.sql'],
      [18, '0018_create_visitor_touches.sql'],
      [19, '0019_create_lead_funnel_snapshots.sql'],
      [20, '0020_create_lead_funnel_snapshot_markers.sql'],
      [25, '0025_create_lead_event_summary.sql'],
      [26, '0026_create_lead_event_summary_mv.sql'],
      [27, '0027_backfill_lead_event_summary.sql'],
      [28, '0028_create_lead_funnel_rollups.sql'],
      [29, '0029_create_lead_funnel_rollup_markers.sql'],
      [30, '0030_create_lead_attribution_credits.sql'],
      [31, '0031_create_lead_attribution_credit_markers.sql'],
      [32, '0032_create_lead_event_audits.sql'],
      [33, '0033_create_lead_event_audit_markers.sql'],
      [34, '0034_create_event_log_staging_b.sql'],
      [35, '0035_drop_capture_utm_content.sql'],
      [36, '0036_drop_lead_state_utm_content.sql'],
      [37, '0037_drop_snapshot_utm_content.sql'],
      [38, '0038_add_snapshot_marker_fingerprint.sql'],
      [39, '0039_add_rule_set_facts_version.sql'],
      [40, '0040_create_rule_facts_processes.sql'],
    ]);
    for (const file of files) {
      const code = renderMigrationSql(file.sql, 'tandem').replace(/--.*$/gm, '');
      expect(code).not.toContain(';');
      expect(file.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe('resolveSqlDirectory', () => {
  const root = join(__dirname, '..', '..', '..', '..');

  it('finds sql/ next to src/ when running from source', () => {
    expect(resolveSqlDirectory(undefined, __dirname)).toBe(join(__dirname, '..', '..', 'sql'));
  });

  it('finds libs/analytics/sql from the compiled dist/ tree', () => {
    expect(resolveSqlDirectory(undefined, join(root, 'dist', 'libs', 'analytics', 'src'))).toBe(
      join(root, 'libs', 'analytics', 'sql'),
    );
  });

  it('names what it searched when the files are missing', () => {
    expect(() => resolveSqlDirectory(join(root, 'no-such-dir'))).toThrow(SqlDirectoryNotFoundError);
  });
});
