/**
 * The HTTP shapes the CLI reads from /ops/rules and /analytics/rules/compare:
 * replays that build a rule set's views, applies, and the what-if report.
 * Types only — they mirror the API's responses and must never hold logic.
 */
import type { ApiClient } from '../api-client';

/** The part of ApiClient the rules commands use, so unit tests can pass a fake. */
export type RulesApi = Pick<ApiClient, 'get' | 'post'>;

export interface ReplayView {
  readonly id: string;
  readonly rulesVersion: number;
  readonly definitionHash: string;
  readonly kind: 'shadow' | 'published';
  readonly status: 'running' | 'done' | 'failed';
  readonly resumed: boolean;
  readonly eventsDone: number;
  readonly eventsTotal: number;
  readonly eventsPerSecond: number | null;
  readonly etaSeconds: number | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

export interface RuleSetRef {
  readonly rulesVersion: number;
  readonly definitionHash: string;
}

export interface RuleSetsView {
  readonly active: RuleSetRef | null;
  readonly sets: readonly (RuleSetRef & {
    readonly name: string;
    readonly kind: 'shadow' | 'published';
    readonly status: 'pending' | 'building' | 'ready';
    readonly eventsDone: number;
    readonly eventsTotal: number;
    /** null: no replay ever built it (the live projection keeps it from an empty history). */
    readonly updatedAt: string | null;
  })[];
}

/** GET /definitions: the versions published, the one in force and the activation behind it. */
export interface DefinitionsView {
  readonly active: number | null;
  /** The activation in force (its event id); an apply may insist on it. */
  readonly activationId: string | null;
  readonly versions: readonly {
    version: number;
    name: string;
    publishedAt: string;
    publishedBy: string;
  }[];
}

export interface Activation {
  readonly active: RuleSetRef;
  readonly previous: RuleSetRef | null;
}

/** An apply (replay if needed, then activation) as POST/GET /ops/rules/applies answer it. */
export interface ApplyView extends RuleSetRef {
  readonly id: string;
  readonly status: 'replaying' | 'activating' | 'done' | 'failed';
  readonly replay: ReplayView | null;
  readonly activation: Activation | null;
  readonly error: string | null;
}

export interface StageCounts {
  readonly leads: number;
  readonly mqls: number;
  readonly sqls: number;
  readonly opportunities: number;
  readonly won: number;
}

/** Amounts are exact decimal strings keyed by currency. */
export interface Attributed {
  readonly model: string;
  readonly pipeline: Readonly<Record<string, string>>;
  readonly revenue: Readonly<Record<string, string>>;
}

export interface WhatIfReport {
  readonly base: RuleSetRef & { readonly name: string };
  readonly candidate: RuleSetRef & { readonly name: string };
  readonly stages: readonly { stage: string; base: number; candidate: number }[];
  readonly byChannel: readonly {
    channel: string;
    campaign: string;
    base: StageCounts;
    candidate: StageCounts;
  }[];
  readonly mqlToSql: { readonly base: number | null; readonly candidate: number | null };
  readonly attribution: { readonly base: Attributed; readonly candidate: Attributed };
  readonly changedLeads: {
    readonly count: number;
    readonly becameMql: number;
    readonly lostMql: number;
    readonly sample: readonly {
      leadId: string;
      base: boolean;
      candidate: boolean;
      baseScore: number | null;
      candidateScore: number | null;
    }[];
  };
}
