/**
 * What every import source (the canonical JSONL file, the HubSpot and Salesforce
 * presets, a mapped CSV) turns its rows into: one lead-lifecycle fact per row,
 * named by its file and line so a refusal can point at it. Sources only parse and
 * map; deciding whether a fact may happen is the Lead decider's job (lead-facts.decider.ts).
 */
import type { LeadCommandType } from '@tandem/domain';

/**
 * Where a row came from: the file as given on the command line and the 1-based line it starts
 * on; `lastLine` when it runs over more lines (a CSV record with a quoted cell holding line
 * breaks), the line it ends on.
 */
export interface RowRef {
  readonly file: string;
  readonly line: number;
  readonly lastLine?: number;
}

export interface ImportFact {
  /** Canonical lead id (`parseLeadId` of libs/domain: UUID or `<system>:<id>`). */
  readonly leadId: string;
  /** A lead command name: CaptureLead, RecordTouchpoint, QualifyLeadAsMql … */
  readonly type: LeadCommandType;
  /** Business time, ISO-8601 with an offset. */
  readonly occurredAt: string;
  /** The command's body, as the API would take it (validated when decided). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Only meaningful on CaptureLead: the account (ABM) the lead belongs to. */
  readonly accountId: string | null;
  readonly where: RowRef;
}

/** A source's outcome per row: a fact, or why the row cannot be one. */
export type SourceRow =
  | { readonly ok: true; readonly fact: ImportFact }
  | {
      readonly ok: false;
      readonly where: RowRef;
      /** Set when the row names its lead: the whole lead is refused then, never half of it. */
      readonly leadId: string | null;
      /**
       * The other leads the row names besides `leadId` (a line naming `leadId` twice, a deal of
       * several contacts): which one's it is cannot be told, so each is refused whole too.
       */
      readonly otherLeadIds?: readonly string[];
      readonly reason: string;
    };

/** What a source hands the importer: its rows, and a hash that identifies its content. */
export interface ImportSource {
  /** sha256 (hex) over the bytes of every input file, in the order read, and the mapping used. */
  readonly hash: string;
  /** Human-readable name of the input, for progress and the report. */
  readonly name: string;
  readonly rows: readonly SourceRow[];
  /** What the user is told once on stderr: the optional columns a partial export lacks. */
  readonly notes?: readonly string[];
}
