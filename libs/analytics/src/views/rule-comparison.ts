/**
 * A what-if: the same history under two rule sets, side by side. Every number comes from the
 * same views the teams read (computed under each set), so what the comparison promises is what
 * the dashboards will show after `tandem rules apply`.
 */
import type { AnalyticsQueries } from './analytics.queries';
import type { MoneyByCurrency } from './analytics.rows';
import type { ChangedLeads } from './analytics.rows';
import { sumDecimals } from './exact-decimal';
import type { RuleSet } from '../rules/rule-sets';

export interface StageCounts {
  readonly leads: number;
  readonly mqls: number;
  readonly sqls: number;
  readonly opportunities: number;
  readonly won: number;
}

export interface Attributed {
  /** The set's default attribution model. */
  readonly model: string;
  readonly pipeline: MoneyByCurrency;
  readonly revenue: MoneyByCurrency;
}

export interface RuleSetSummary {
  readonly rulesVersion: number;
  readonly definitionHash: string;
  readonly name: string;
}

export interface WhatIfReport {
  readonly base: RuleSetSummary;
  readonly candidate: RuleSetSummary;
  /** Funnel order. */
  readonly stages: readonly {
    readonly stage: string;
    readonly base: number;
    readonly candidate: number;
  }[];
  /** By channel then campaign; a pair absent under one set counts 0 there. */
  readonly byChannel: readonly {
    readonly channel: string;
    readonly campaign: string;
    readonly base: StageCounts;
    readonly candidate: StageCounts;
  }[];
  readonly mqlToSql: { readonly base: number | null; readonly candidate: number | null };
  readonly attribution: { readonly base: Attributed; readonly candidate: Attributed };
  readonly changedLeads: ChangedLeads;
}

const summary = (set: RuleSet): RuleSetSummary => ({
  rulesVersion: set.rulesVersion,
  definitionHash: set.definitionHash,
  name: set.name,
});

// Code-unit order, like ClickHouse's ORDER BY on String: locale-independent.
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const noCounts: StageCounts = { leads: 0, mqls: 0, sqls: 0, opportunities: 0, won: 0 };

function totalByCurrency(rows: readonly MoneyByCurrency[]): MoneyByCurrency {
  const amounts = new Map<string, string[]>();
  for (const row of rows) {
    for (const [currency, amount] of Object.entries(row)) {
      amounts.set(currency, [...(amounts.get(currency) ?? []), amount]);
    }
  }
  return Object.fromEntries(
    [...amounts.keys()].sort().map((currency) => [currency, sumDecimals(amounts.get(currency)!)]),
  );
}

async function attributed(queries: AnalyticsQueries, set: RuleSet): Promise<Attributed> {
  const rows = await queries.marketingAttribution(set.attributionModel, { rules: set });
  return {
    model: set.attributionModel,
    pipeline: totalByCurrency(rows.map((row) => row.pipeline)),
    revenue: totalByCurrency(rows.map((row) => row.wonRevenue)),
  };
}

/** Compares two kept rule sets over the whole history. */
export async function compareRuleSets(
  queries: AnalyticsQueries,
  base: RuleSet,
  candidate: RuleSet,
  sampleSize = 10,
): Promise<WhatIfReport> {
  const [baseFunnel, candidateFunnel, baseLens, candidateLens] = await Promise.all([
    queries.sharedFunnel({ rules: base }),
    queries.sharedFunnel({ rules: candidate }),
    queries.marketingLens({ rules: base }),
    queries.marketingLens({ rules: candidate }),
  ]);
  const [baseConversion, candidateConversion, baseAttributed, candidateAttributed, changed] =
    await Promise.all([
      queries.mqlConversion({ rules: base }),
      queries.mqlConversion({ rules: candidate }),
      attributed(queries, base),
      attributed(queries, candidate),
      queries.changedLeads(base, candidate, sampleSize),
    ]);

  const channels = new Map<
    string,
    { channel: string; campaign: string; base: StageCounts; candidate: StageCounts }
  >();
  const key = (channel: string, campaign: string) => JSON.stringify([channel, campaign]);
  for (const [side, rows] of [
    ['base', baseLens],
    ['candidate', candidateLens],
  ] as const) {
    for (const row of rows) {
      const entry = channels.get(key(row.channel, row.campaign)) ?? {
        channel: row.channel,
        campaign: row.campaign,
        base: noCounts,
        candidate: noCounts,
      };
      entry[side] = {
        leads: row.leads,
        mqls: row.mqls,
        sqls: row.sqls,
        opportunities: row.opportunities,
        won: row.won,
      };
      channels.set(key(row.channel, row.campaign), entry);
    }
  }
  // The marketing path only: a lead's path is a recorded fact, so the sales-sourced path's
  // counts are the same under every rule set (ADR 0008).
  const marketing = (rows: typeof baseFunnel) => rows.filter((row) => row.path === 'marketing');
  const candidateByStage = new Map(marketing(candidateFunnel).map((row) => [row.stage, row.leads]));
  return {
    base: summary(base),
    candidate: summary(candidate),
    stages: marketing(baseFunnel).map((row) => ({
      stage: row.stage,
      base: row.leads,
      candidate: candidateByStage.get(row.stage) ?? 0,
    })),
    byChannel: [...channels.values()].sort(
      (a, b) => compareText(a.channel, b.channel) || compareText(a.campaign, b.campaign),
    ),
    mqlToSql: { base: baseConversion.conversion, candidate: candidateConversion.conversion },
    attribution: { base: baseAttributed, candidate: candidateAttributed },
    changedLeads: changed,
  };
}
