/**
 * From a source's rows to the importer's unit of work: leads, each with its facts
 * in business-time order, in the order the source first names them (so every run
 * of the same source walks the same sequence and a checkpoint "N leads done"
 * means the same leads each time). A bad row that names its lead refuses the
 * whole lead (a row naming several refuses each); one that names none is refused alone.
 */
import type { ImportFact, ImportSource, RowRef } from './import-fact';
import { inBusinessTimeOrder, type LeadFacts } from './lead-facts.decider';

export interface RefusedRow extends RowRef {
  readonly leadId: string | null;
  readonly reason: string;
}

export interface PlannedLead extends LeadFacts {
  /** The first bad row of the lead (by line): the lead is refused whole. */
  readonly refusal: RefusedRow | null;
}

export interface ImportPlan {
  readonly leads: readonly PlannedLead[];
  /** Rows that name no lead (not JSON, no usable lead id). */
  readonly orphanRows: readonly RefusedRow[];
  readonly rows: number;
}

export function planImport(source: ImportSource): ImportPlan {
  const byLead = new Map<string, { facts: ImportFact[]; refusal: RefusedRow | null }>();
  const orphanRows: RefusedRow[] = [];
  const entry = (leadId: string) => {
    let found = byLead.get(leadId);
    if (found === undefined) {
      found = { facts: [], refusal: null };
      byLead.set(leadId, found);
    }
    return found;
  };
  for (const row of source.rows) {
    if (row.ok) {
      entry(row.fact.leadId).facts.push(row.fact);
      continue;
    }
    if (row.leadId === null) {
      orphanRows.push({ ...row.where, leadId: null, reason: row.reason });
      continue;
    }
    // A row naming several leads refuses each of them: imported without it, any could be half.
    for (const leadId of [row.leadId, ...(row.otherLeadIds ?? [])]) {
      const refused: RefusedRow = { ...row.where, leadId, reason: row.reason };
      const lead = entry(leadId);
      // Presets read several files; the first bad row is the earliest line of the first file.
      if (lead.refusal === null || isBefore(refused, lead.refusal)) lead.refusal = refused;
    }
  }
  const leads = [...byLead].map(([leadId, { facts, refusal }]) => ({
    leadId,
    facts: inBusinessTimeOrder(facts),
    refusal,
  }));
  return { leads, orphanRows, rows: source.rows.length };
}

const isBefore = (a: RowRef, b: RowRef): boolean =>
  a.file === b.file ? a.line < b.line : a.file < b.file;
