/**
 * The messages between the import's writer (main thread) and its decider (a worker
 * thread), and how a decided block crosses: as structured-clone data, with each lead's
 * facts as JSON text that the writer parses only for the rare lead that exists already.
 * It must never carry a function or a class instance across (they do not survive a clone).
 */
import type { DecisionInput, LeadDecision } from './lead-facts.decider';
import type { DecidedBlock, DoneLeads } from './import-blocks';
import type { PlannedLead, RefusedRow } from './import-plan';
import type { ImportPreset } from './import-presets';
import type { SurvivorInStore } from './import-merges';

/** Blocks the decider may run ahead of the writer: one being written, one ready. */
export const AHEAD_BLOCKS = 2;

export interface DeciderInput {
  readonly files: readonly string[];
  readonly preset: ImportPreset;
  readonly mapping: string | null;
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

interface WireLead {
  readonly leadId: string;
  readonly fresh: LeadDecision;
  readonly survivorsInStore: readonly SurvivorInStore[];
  readonly facts: string;
}

export interface WireBlock {
  readonly leadsDone: number;
  readonly recheck: boolean;
  readonly leads: readonly WireLead[];
  readonly refused: readonly RefusedRow[];
  readonly fileRefusalsCorrection?: bigint;
}

export type ToWriter =
  | {
      readonly kind: 'planned';
      readonly name: string;
      readonly hash: string;
      readonly rows: number;
      readonly leadsTotal: number;
      readonly orphanRows: readonly RefusedRow[];
      readonly notes: readonly string[];
    }
  | { readonly kind: 'block'; readonly block: WireBlock }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly error: WireError };

export type FromWriter =
  | {
      readonly kind: 'decide';
      readonly from: number;
      readonly decision: DecisionInput;
      readonly blockEvents: number;
      readonly done: DoneLeads;
    }
  | { readonly kind: 'taken' };

export function toWire(block: DecidedBlock): WireBlock {
  return {
    leadsDone: block.leadsDone,
    recheck: block.recheck,
    refused: block.refused,
    ...correctionOf(block),
    leads: block.leads.map((lead) => ({
      leadId: lead.leadId,
      fresh: lead.fresh,
      survivorsInStore: lead.survivorsInStore,
      facts: JSON.stringify(lead.facts()),
    })),
  };
}

export function fromWire(block: WireBlock): DecidedBlock {
  return {
    leadsDone: block.leadsDone,
    recheck: block.recheck,
    refused: block.refused,
    ...correctionOf(block),
    leads: block.leads.map(({ leadId, fresh, survivorsInStore, facts }) => ({
      leadId,
      fresh,
      survivorsInStore,
      facts: () => JSON.parse(facts) as PlannedLead,
    })),
  };
}

/** The digest correction a block carries, if any (a bigint survives the structured clone). */
const correctionOf = (block: DecidedBlock | WireBlock): { fileRefusalsCorrection?: bigint } =>
  block.fileRefusalsCorrection === undefined
    ? {}
    : { fileRefusalsCorrection: block.fileRefusalsCorrection };

export function wireError(error: unknown): WireError {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };
}
