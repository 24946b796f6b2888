/** The line `tandem migrate` prints: what ran, what had run, and the analyst views it made. */
import { migrationSummary } from './migrate.command';

it('names the applied migrations and the analyst views', () => {
  expect(
    migrationSummary({
      database: 'tandem',
      applied: ['0017_drop_lead_facts.sql'],
      alreadyApplied: ['0001_create_lead_events.sql', '0002_create_projection_checkpoint.sql'],
      views: ['lead_funnel', 'marketing_lens'],
    }),
  ).toBe(
    'ClickHouse tandem: applied 1 (0017_drop_lead_facts.sql), 2 already applied; ' +
      '2 analyst views (lead_funnel, marketing_lens)',
  );
});
