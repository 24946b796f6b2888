/**
 * How a report file of sql/views becomes one runnable statement: where it says the lead_funnel
 * marker, the per-lead funnel (_lead-funnel.sql) goes in parentheses, and where that says the
 * lead_folds marker, one of the two per-lead folds (_lead-state.sql, or _lead-fold-as-of.sql
 * for "as of"). One composition for the API (AnalyticsQueries) and for the views analysts query
 * in ClickHouse (analyst-views.ts), so both read the same single per-lead fold.
 *
 * It must never substitute anything but these fixed fragments: values stay bound parameters.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LEAD_FUNNEL_MARKER = '{{lead_funnel}}';
export const LEAD_FOLDS_MARKER = '{{lead_folds}}';
/** Where a page file (`<view>.page.sql`) takes the rows of its view. */
export const PAGE_ROWS_MARKER = '{{page_rows}}';
/**
 * Where a view file takes its unformatted rows (`<view>.rows.sql`): its page is then cut from
 * those rows and the view formats only the page.
 */
export const VIEW_ROWS_MARKER = '{{view_rows}}';

/**
 * Where the changed-leads fragment (_lead-funnel-changed.sql) takes the per-lead funnel composed
 * from the kept state.
 */
export const STATE_FUNNEL_MARKER = '{{state_funnel}}';

/**
 * Where a trend or targets rows file read from a rollup (`<view>.rollup.sql`) takes the day
 * rollup of the funnel's snapshot (_funnel-rollup.sql); where that takes the changed leads'
 * correction (_funnel-rollup-changes.sql, or nothing); and where the correction takes the
 * moments (_funnel-rollup-moments.sql) of those leads' snapshot rows and of their state rows.
 */
export const FUNNEL_ROLLUP_MARKER = '{{funnel_rollup}}';
export const ROLLUP_CHANGES_MARKER = '{{rollup_changes}}';
export const SNAPSHOT_MOMENTS_MARKER = '{{snapshot_moments}}';
export const STATE_MOMENTS_MARKER = '{{state_moments}}';

/**
 * Where marketing attribution's rows file (marketing-attribution.rows.sql) cuts its leads to a
 * few (_attribution-lead-cut.sql), or to none when nothing is put there; and where the rows
 * read from its kept credits (marketing-attribution.kept.sql) take the rows of the leads changed
 * since (the rows file cut to them, or nothing).
 */
export const LEAD_CUT_MARKER = '{{lead_cut}}';
export const ATTRIBUTION_CHANGES_MARKER = '{{attribution_changes}}';

/**
 * Where the rule-set audit (rule-set-audit.sql) takes the event witness's rows: every lead's
 * (_lead-event-audit.sql),
 * or the rows kept at a snapshot's position (_lead-event-audit-kept.sql), which take the leads
 * changed since where they say audit_changes (_lead-event-audit-changes.sql, or nothing when
 * none changed), which takes the witness's rows of those leads where it says lead_event_audit;
 * and where both cut their leads to those (_lead-event-audit-changed.sql), or to none when
 * nothing is put there.
 */
export const EVENT_AUDIT_MARKER = '{{event_audit}}';
export const AUDIT_CHANGES_MARKER = '{{audit_changes}}';
export const LEAD_EVENT_AUDIT_MARKER = '{{lead_event_audit}}';
export const AUDITED_LEADS_MARKER = '{{audited_leads}}';

/**
 * Where the lens witnesses' correction (lens-totals.changes.sql) takes each lens
 * (marketing-lens.sql, sales-lens.sql) over the changed leads' snapshot rows (taken out) and
 * over their rows now (put back).
 */
export const LENS_CHANGES_MARKERS = {
  marketing: { takenOut: '{{marketing_taken_out}}', putBack: '{{marketing_put_back}}' },
  sales: { takenOut: '{{sales_taken_out}}', putBack: '{{sales_put_back}}' },
} as const;

/** Which per-lead fold a query reads: the maintained state, or the raw events cut at as_of. */
export type LeadFold = '_lead-state' | '_lead-fold-as-of';
export type ViewFragment =
  | '_lead-funnel'
  | '_lead-funnel-snapshot'
  | '_lead-funnel-changed'
  | '_funnel-rollup'
  | '_funnel-rollup-changes'
  | '_funnel-rollup-moments'
  | '_funnel-rollup-snapshot-leads'
  | '_attribution-lead-cut'
  | '_lead-event-audit'
  | '_lead-event-audit-kept'
  | '_lead-event-audit-changes'
  | '_lead-event-audit-changed'
  | LeadFold;

/** The per-lead funnel with its fold in place: a SELECT of one row per lead. */
export function composeLeadFunnel(funnel: string, folds: string): string {
  return funnel.replace(LEAD_FOLDS_MARKER, () => `(\n${folds}\n)`);
}

/** A view file with the per-lead funnel in place; a file without the marker is returned as is. */
export function composeViewSql(view: string, funnel: string, folds: string): string {
  if (!view.includes(LEAD_FUNNEL_MARKER)) return view;
  return view.replace(LEAD_FUNNEL_MARKER, () => `(\n${composeLeadFunnel(funnel, folds)}\n)`);
}

/**
 * The per-lead funnel read from a snapshot (_lead-funnel-snapshot.sql) and, when leads changed
 * since it, those leads from the kept state (_lead-funnel-changed.sql with the funnel composed
 * from the state in place): a SELECT of the same rows and columns as
 * composeLeadFunnel(funnel, state). `changed` null: no lead changed, the snapshot alone.
 */
export function composeSnapshotFunnel(
  snapshot: string,
  changed: string | null,
  funnel: string,
  state: string,
): string {
  if (changed === null) return snapshot;
  return `${snapshot}\nUNION ALL\n${composeChangedFunnel(changed, funnel, state)}`;
}

/** The changed leads' per-lead funnel from the kept state (_lead-funnel-changed.sql composed). */
export function composeChangedFunnel(changed: string, funnel: string, state: string): string {
  return changed.replace(STATE_FUNNEL_MARKER, () => `(\n${composeLeadFunnel(funnel, state)}\n)`);
}

/** The fragments a rows file read from a snapshot's day rollup is composed of. */
export interface RollupFragments {
  /** _funnel-rollup.sql */
  readonly rollup: string;
  /** _funnel-rollup-moments.sql */
  readonly moments: string;
  /**
   * The correction for the leads changed since the snapshot, null when none changed:
   * _funnel-rollup-changes.sql, the snapshot rows of those leads
   * (_funnel-rollup-snapshot-leads.sql) and their funnel from the state (composeChangedFunnel).
   */
  readonly changes: {
    readonly sql: string;
    readonly snapshotLeads: string;
    readonly stateLeads: string;
  } | null;
}

/** The day moments (_funnel-rollup-moments.sql) of a per-lead funnel SELECT. */
export function composeRollupMoments(moments: string, funnel: string): string {
  return moments.replace(LEAD_FUNNEL_MARKER, () => `(\n${funnel}\n)`);
}

/** A `<view>.rollup.sql` rows file with the snapshot's rollup, corrected for changes, in place. */
export function composeRollupRows(rows: string, fragments: RollupFragments): string {
  const { rollup, moments, changes } = fragments;
  const corrected = rollup.replace(ROLLUP_CHANGES_MARKER, () =>
    changes === null
      ? ''
      : changes.sql
          .replace(
            SNAPSHOT_MOMENTS_MARKER,
            () => `(\n${composeRollupMoments(moments, changes.snapshotLeads)}\n)`,
          )
          .replace(
            STATE_MOMENTS_MARKER,
            () => `(\n${composeRollupMoments(moments, changes.stateLeads)}\n)`,
          ),
  );
  return rows.replace(FUNNEL_ROLLUP_MARKER, () => `(\n${corrected}\n)`);
}

/** A view file with the snapshot-read funnel in place; a file without the marker is returned as is. */
export function composeViewSqlFromSnapshot(
  view: string,
  snapshot: string,
  changed: string | null,
  funnel: string,
  state: string,
): string {
  if (!view.includes(LEAD_FUNNEL_MARKER)) return view;
  return view.replace(
    LEAD_FUNNEL_MARKER,
    () => `(\n${composeSnapshotFunnel(snapshot, changed, funnel, state)}\n)`,
  );
}

/** Whether a view file reads a rows file (`<view>.rows.sql`) at the view_rows marker. */
export function readsViewRows(view: string): boolean {
  return view.includes(VIEW_ROWS_MARKER);
}

/**
 * A view file with its rows file in place (before the view's own fragments go in), every lead's
 * rows (no lead cut).
 */
export function composeViewRows(view: string, rows: string): string {
  return view.replace(VIEW_ROWS_MARKER, () => `(\n${cutLeads(rows, '')}\n)`);
}

/** A rows file with its lead_cut markers replaced by `cut` (a fixed fragment, or nothing). */
export function cutLeads(rows: string, cut: string): string {
  return rows.split(LEAD_CUT_MARKER).join(cut);
}

/**
 * Marketing attribution's rows read from its kept credits (marketing-attribution.kept.sql), with
 * the rows of the changed leads in place (marketing-attribution.rows.sql cut by
 * _attribution-lead-cut.sql), or nothing when `changes` is null (no lead changed).
 */
export function composeKeptAttributionRows(
  kept: string,
  changes: { readonly rows: string; readonly cut: string } | null,
): string {
  return kept.replace(ATTRIBUTION_CHANGES_MARKER, () =>
    changes === null
      ? ''
      : `UNION ALL\nSELECT lead_id, captured_at, channel, campaign, leads, won_code, pipeline_code, won_credit, pipeline_credit\nFROM (\n${cutLeads(changes.rows, changes.cut)}\n)`,
  );
}

/**
 * Where marketing-attribution.rows.sql is composed for a build of its kept credits, each an SQL
 * comment in the file (so the views read it as it stands): where its final SELECT of both halves
 * starts (`halves`; a build writes each half by a statement of its own, so that each computes
 * only its half: a filter on `leads` over the union still computes both — docs/performance.md,
 * "Attribution in the window after a start or a rebuild"), and where the credit half takes every
 * model at once (attributionRowsOfEveryModel): the models' columns and their join where the
 * milestones are found, and the model carried by each later step that names its columns.
 */
export const ATTRIBUTION_ROWS_MARKERS = {
  halves: '-- [attribution_halves]\n',
  everyModelColumns: '/* [every_model_columns] */',
  everyModelJoin: '/* [every_model_join] */',
  everyModelCarried: '/* [every_model_carried] */',
} as const;

/** The two halves of marketing-attribution.rows.sql, as its final SELECT unites them. */
export const ATTRIBUTION_ROWS_HALVES = ['credit_rows', 'touched_rows'] as const;
export type AttributionRowsHalf = (typeof ATTRIBUTION_ROWS_HALVES)[number];

/**
 * `sql` with `marker` replaced by `by`: exactly once, or (with `every`) at least once; else
 * throws, naming the marker (attribution-rows.unit.spec.ts composes the shipped file).
 */
function placeAt(sql: string, marker: string, by: string, every = false): string {
  const parts = sql.split(marker);
  if (parts.length < 2 || (!every && parts.length > 2)) {
    throw new TypeError(`marketing-attribution.rows.sql: ${JSON.stringify(marker)} not found once`);
  }
  return parts.join(by);
}

/** marketing-attribution.rows.sql with its final SELECT reading one of its halves alone. */
export function attributionRowsHalf(rows: string, half: AttributionRowsHalf): string {
  const marker = ATTRIBUTION_ROWS_MARKERS.halves;
  const at = rows.indexOf(marker);
  if (at < 0 || rows.indexOf(marker, at + 1) >= 0) {
    throw new TypeError(`marketing-attribution.rows.sql: ${JSON.stringify(marker)} not found once`);
  }
  return `${rows.slice(0, at + marker.length)}SELECT * FROM ${half}\n`;
}

/**
 * The one-model parameters of marketing-attribution.rows.sql and the columns that take their
 * place when every model is computed at once (attributionRowsOfEveryModel).
 */
const MODEL_PARAMETERS = [
  ['{model:String}', 'attribution_model', 'models', 'Array(String)'],
  ['{weight_first:UInt32}', 'attribution_weight_first', 'weights_first', 'Array(UInt32)'],
  [
    '{weight_lead_creation:UInt32}',
    'attribution_weight_lead_creation',
    'weights_lead_creation',
    'Array(UInt32)',
  ],
  [
    '{weight_opportunity_creation:UInt32}',
    'attribution_weight_opportunity_creation',
    'weights_opportunity_creation',
    'Array(UInt32)',
  ],
  [
    '{weight_closed_won:UInt32}',
    'attribution_weight_closed_won',
    'weights_closed_won',
    'Array(UInt32)',
  ],
  ['{weight_others:UInt32}', 'attribution_weight_others', 'weights_others', 'Array(UInt32)'],
  ['{half_life_ms:UInt64}', 'attribution_half_life_ms', 'half_lives_ms', 'Array(UInt64)'],
] as const;

/**
 * The array parameters attributionRowsOfEveryModel binds, one element per model, in the same
 * order: the models' names, and numbers (the engine binds a JS string in an array as a quoted
 * string, which an Array(UInt32) does not read).
 */
export type EveryModelParams = { readonly models: readonly string[] } & Record<
  Exclude<(typeof MODEL_PARAMETERS)[number][2], 'models'>,
  readonly number[]
>;

/**
 * marketing-attribution.rows.sql's credit rows (its credit_rows half) for several models in one
 * statement, each row with its `attribution_model`: the counted paths are joined with the models
 * (array parameters, EveryModelParams) where the file says every_model_join, and each one-model
 * parameter is read from that join instead. The cohort, the stitched touches and the paths are
 * then computed once instead of once per model (what a build of the kept credits writes: ~3x
 * less CPU than seven statements at 1M). The rows of a model are exactly those the file gives
 * bound to it. Composed at the file's markers only (ATTRIBUTION_ROWS_MARKERS): reformatting or
 * reworking the file around them changes nothing here; a marker gone throws, and
 * attribution-rows.unit.spec.ts composes the shipped file, so that shows in CI, not in a build.
 */
export function attributionRowsOfEveryModel(rows: string): string {
  const markers = ATTRIBUTION_ROWS_MARKERS;
  const columns = MODEL_PARAMETERS.map(([, column]) => column);
  const join = MODEL_PARAMETERS.map(
    ([, column, array, type]) => `{${array}:${type}} AS ${column}`,
  ).join(', ');
  let sql = attributionRowsHalf(rows, 'credit_rows');
  // An ARRAY JOIN's names are not in `*`: the models' columns are named where it is read.
  sql = placeAt(sql, markers.everyModelColumns, `${columns.join(', ')},`);
  sql = placeAt(sql, markers.everyModelJoin, `ARRAY JOIN ${join}`);
  sql = placeAt(sql, markers.everyModelCarried, 'attribution_model,', true);
  // Wherever the file binds a one-model parameter, the joined model's column.
  for (const [parameter, column] of MODEL_PARAMETERS) sql = sql.split(parameter).join(column);
  return sql;
}

/** The event witness's rows (or its kept rows) with the audited_leads markers replaced by `cut`. */
export function cutAuditedLeads(sql: string, cut: string): string {
  return sql.split(AUDITED_LEADS_MARKER).join(cut);
}

/** What the kept rows of the event witness take: the changed leads' fragments, or none. */
export interface KeptEventAuditFragments {
  /** _lead-event-audit-kept.sql */
  readonly rows: string;
  /**
   * _lead-event-audit-changes.sql and its cut (_lead-event-audit-changed.sql); null when no
   * lead changed since the build's position.
   */
  readonly changes: { readonly sql: string; readonly changed: string } | null;
}

/**
 * The rule-set audit with the event witness's rows in place: every lead's (`audit`:
 * _lead-event-audit.sql, no lead cut) when `kept` is null,
 * else the kept rows (_lead-event-audit-kept.sql) with the changed leads' kept rows taken out
 * and their rows put back (`kept.changes`, the cut of both), or the kept rows alone.
 */
export function composeEventAudit(
  view: string,
  audit: string,
  kept: KeptEventAuditFragments | null,
): string {
  const cut = cutAuditedLeads;
  const changes = kept?.changes ?? null;
  const rows =
    kept === null
      ? cut(audit, '')
      : kept.rows.replace(AUDIT_CHANGES_MARKER, () =>
          changes === null
            ? ''
            : cut(changes.sql, changes.changed).replace(
                LEAD_EVENT_AUDIT_MARKER,
                () => `(\n${cut(audit, changes.changed)}\n)`,
              ),
        );
  return view.replace(EVENT_AUDIT_MARKER, () => `(\n${rows}\n)`);
}

/**
 * The lens witnesses' correction (lens-totals.changes.sql) with each lens view file composed over
 * `takenOut` (the changed leads' snapshot rows: _funnel-rollup-snapshot-leads.sql) and over
 * `putBack` (their funnel now: composeChangedFunnel), both SELECTs of the funnel's columns.
 */
export function composeLensTotalsChanges(
  changes: string,
  lenses: { readonly marketing: string; readonly sales: string },
  funnels: { readonly takenOut: string; readonly putBack: string },
): string {
  let sql = changes;
  for (const lens of ['marketing', 'sales'] as const) {
    for (const side of ['takenOut', 'putBack'] as const) {
      const view = lenses[lens].replace(LEAD_FUNNEL_MARKER, () => `(\n${funnels[side]}\n)`);
      sql = sql.replace(LENS_CHANGES_MARKERS[lens][side], () => `(\n${view}\n)`);
    }
  }
  return sql;
}

/**
 * A page file in place with its view (before the view's own fragments go in): the filters, order
 * and LIMIT / OFFSET the API pages that view by. A view with a rows file has the page cut from
 * those rows, in place of them, so it formats only the page; any other view goes in the page.
 */
export function composePageSql(page: string, view: string, rows?: string): string {
  if (rows !== undefined && readsViewRows(view)) {
    return composeViewRows(
      view,
      page.replace(PAGE_ROWS_MARKER, () => `(\n${rows}\n)`),
    );
  }
  return page.replace(PAGE_ROWS_MARKER, () => `(\n${view}\n)`);
}

/** Reads one file of sql/views by its stem (`marketing-lens`, `_lead-funnel`, …). */
export function readViewFile(sqlDir: string, name: string): Promise<string> {
  return readFile(join(sqlDir, 'views', `${name}.sql`), 'utf8');
}

export interface QueryParameter {
  readonly name: string;
  readonly type: string;
}

/**
 * The `{name:Type}` parameters a composed statement binds, in order of first use: what an
 * analyst passes to the view in ClickHouse, and what the docs must name.
 */
export function queryParameters(sql: string): QueryParameter[] {
  const seen = new Map<string, string>();
  for (const match of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^}]+?)\s*\}/g)) {
    const [, name, type] = match;
    if (name !== undefined && type !== undefined && !seen.has(name)) seen.set(name, type);
  }
  return [...seen].map(([name, type]) => ({ name, type }));
}
