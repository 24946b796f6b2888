/**
 * `tandem import <file…>`: brings a history into the event store. Unlike the other
 * ops commands it talks to the store directly, configured like the API
 * (TANDEM_EVENT_STORE, TANDEM_POSTGRES_URL, TANDEM_DATA_DIR … via libs/config): a
 * history of millions of facts must not travel as millions of HTTP requests.
 * With the embedded store (PGlite) the API must be stopped first — PGlite is one
 * process's database; on PostgreSQL the API may keep running (appends serialise in
 * the store, the projector follows the log). Progress goes to stderr, the report
 * to stdout (one JSON document with --json). The built CLI reads and decides the source
 * on a worker thread (import-decider.thread.ts) while this thread seals and appends.
 */
import * as path from 'node:path';
import { type EventStoreConfig, loadConfig } from '@tandem/config';
import { createEventStore, type EventStore } from '@tandem/event-store';
import { asJson, type CliIo } from '../cli-io';
import { ExitCode } from '../cli-failure';
import { definitionInForce } from './definition-in-force';
import { IMPORT_ACTOR_PREFIX } from './existing-lead';
import { type DecidedBlock, decideBlocks, type DoneLeads } from './import-blocks';
import {
  deciderThreadAvailable,
  type PlannedSource,
  startImportDecider,
} from './import-decider.thread';
import type { RowRef } from './import-fact';
import type { ImportPreset } from './import-presets';
import { readImportSource } from './import-sources';
import { planImport } from './import-plan';
import { type ImportOutcome, writeImport } from './import-runner';
import type { DecisionInput } from './lead-facts.decider';

export interface ImportOptions {
  readonly json: boolean;
  readonly preset: ImportPreset;
  readonly mapping: string | null;
  readonly blockEvents: number;
  /** Least time between two progress lines: 1 s on a terminal, 0 (every block) in a log. */
  readonly progressEveryMs: number;
}

export interface ImportReport extends ImportOutcome {
  readonly source: string;
  readonly sourceHash: string;
  readonly preset: ImportPreset;
  readonly store: string;
  readonly rulesVersion: number;
  readonly rows: number;
  readonly eventsPerSecond: number;
}

/** The import job's name: the actor of every event it appends. */
export const importActor = (source: string) =>
  ({
    kind: 'system',
    id: `${IMPORT_ACTOR_PREFIX}${path.basename(source)}`,
    role: 'system',
  }) as const;

export async function importCommand(
  files: readonly string[],
  options: ImportOptions,
  io: CliIo,
): Promise<number> {
  const config = loadConfig();
  const deciding = await planOnWorkerOrHere(files, options);
  const { source } = deciding;
  for (const note of source.notes) io.warn(`import: ${note}`);
  let store: EventStore;
  try {
    store = await createEventStore(config.eventStore);
  } catch (error) {
    await deciding.stop();
    io.warn(
      `tandem: cannot open the event store (${describeStore(config.eventStore)}): ${(error as Error).message}`,
    );
    return ExitCode.apiUnavailable;
  }
  try {
    const { version, definition } = await definitionInForce(store);
    io.warn(
      `import: ${source.name}: ${source.rows} rows, ${source.leadsTotal} leads, rules v${version}`,
    );
    let lastShown = 0;
    const decision = {
      definition,
      actor: importActor(source.name),
      correlationId: `import-${source.hash.slice(0, 32)}`,
    };
    const outcome = await writeImport({
      store,
      sourceHash: source.hash,
      leadsTotal: source.leadsTotal,
      orphanRows: source.orphanRows,
      decision,
      decideFrom: (from, done) => deciding.blocksFrom(from, decision, options.blockEvents, done),
      onProgress: (progress) => {
        const shown = io.now();
        if (
          shown - lastShown < options.progressEveryMs &&
          progress.leadsDone < progress.leadsTotal
        ) {
          return;
        }
        lastShown = shown;
        io.warn(
          `import: ${progress.leadsDone.toLocaleString('en')}/${progress.leadsTotal.toLocaleString('en')} leads · ` +
            `${progress.eventsAppended.toLocaleString('en')} events · ${rate(progress.eventsAppended, progress.seconds).toLocaleString('en')} events/s`,
        );
      },
      now: io.now,
    });
    const report: ImportReport = {
      source: source.name,
      sourceHash: source.hash,
      preset: options.preset,
      store: config.eventStore.kind,
      rulesVersion: version,
      rows: source.rows,
      ...outcome,
      eventsPerSecond: rate(outcome.importedEvents, outcome.seconds),
    };
    io.print(options.json ? asJson(report) : importSummary(report));
    // A change not applied is a row not imported as the file gives it: exit 1, as a refusal; so
    // is a lead in the store before, whose facts from the file are not applied either.
    return report.refused.length === 0 && report.changed.length === 0 && report.inStore.length === 0
      ? ExitCode.ok
      : ExitCode.failed;
  } finally {
    await deciding.stop();
    await store.close();
  }
}

/** Where the store is, without secrets (a connection string may hold a password). */
const describeStore = (store: EventStoreConfig): string =>
  store.kind === 'pglite'
    ? `pglite at ${store.dataDir}`
    : store.kind === 'postgres'
      ? 'postgres at TANDEM_POSTGRES_URL'
      : 'kurrentdb at KURRENTDB_URL';

const rate = (events: number, seconds: number) =>
  seconds > 0 ? Math.round(events / seconds) : events;

/** The human report: one line of counts, then each refused row as `file:line` (rowAt). */
export function importSummary(report: ImportReport): string {
  const before =
    report.resumedAfterLeads === report.leadsTotal &&
    report.leadsTotal > 0 &&
    report.importedEvents === 0;
  const lines = before
    ? [`${report.source}: imported before (all ${report.leadsTotal} leads): nothing added`]
    : [
        `${report.source}: imported ${report.importedLeads} leads (${report.importedEvents} events) ` +
          `under rules v${report.rulesVersion} in ${report.seconds.toFixed(1)} s ` +
          `(${report.eventsPerSecond} events/s)`,
      ];
  if (report.resumedAfterLeads > 0 && !before) {
    lines.push(`resumed after ${report.resumedAfterLeads} of ${report.leadsTotal} leads`);
  }
  if (report.alreadyImportedLeads > 0 && !before) {
    lines.push(`${report.alreadyImportedLeads} leads were already imported: nothing added`);
  }
  if (report.refused.length > 0) {
    lines.push(
      `${report.refused.length} rows refused (${report.refusedLeads} leads not imported, none in part):`,
    );
    for (const row of report.refused) {
      const lead = row.leadId === null ? '' : ` lead ${row.leadId}:`;
      lines.push(`  ${rowAt(row)}${lead} ${row.reason}`);
    }
  }
  if (report.inStore.length > 0) {
    lines.push(
      `${report.inStoreLeads} leads were in the store before this import (captured through the ` +
        "API, or by another import): the file's facts for them not applied:",
    );
    for (const row of report.inStore) {
      const channel = row.channel === null ? '' : ` (channel ${row.channel})`;
      lines.push(
        `  ${rowAt(row)} lead ${row.leadId}: captured ${row.capturedAt} by ${row.capturedBy}` +
          `${channel}; the file's ${row.facts} facts for it not applied`,
      );
    }
  }
  if (report.changed.length > 0) {
    lines.push(
      `${report.changedLeads} leads changed since imported: not applied (the store keeps what was ` +
        'imported; docs/import.md, "A fact changed since imported"):',
    );
    for (const row of report.changed) {
      lines.push(`  ${rowAt(row)} lead ${row.leadId}: ${row.type}: ${row.fields.join(', ')}`);
    }
  }
  return lines.join('\n');
}

/**
 * `file:line`, the line a row starts on (where an editor or a spreadsheet shows it), and the
 * lines it spans when a quoted cell runs over more: `contacts.csv:2 (lines 2–4)`.
 */
const rowAt = (row: RowRef): string =>
  row.lastLine === undefined
    ? `${row.file}:${row.line}`
    : `${row.file}:${row.line} (lines ${row.line}–${row.lastLine})`;

/** Where the blocks come from: the source's plan, decided on a worker thread or here. */
interface Deciding {
  readonly source: PlannedSource;
  readonly blocksFrom: (
    from: number,
    decision: DecisionInput,
    blockEvents: number,
    done: DoneLeads,
  ) => Iterable<DecidedBlock> | AsyncIterable<DecidedBlock>;
  readonly stop: () => Promise<void>;
}

/**
 * The source read, planned and decided on a worker thread (the built CLI), or in this
 * thread when run from source: the same blocks either way (import-blocks.ts).
 */
async function planOnWorkerOrHere(
  files: readonly string[],
  options: ImportOptions,
): Promise<Deciding> {
  const input = { files, preset: options.preset, mapping: options.mapping };
  if (deciderThreadAvailable()) {
    const { planned, blocksFrom, stop } = await startImportDecider(input);
    return { source: planned, blocksFrom, stop };
  }
  const read = await readImportSource(files, options.preset, options.mapping);
  const plan = planImport(read);
  return {
    source: {
      name: read.name,
      hash: read.hash,
      rows: plan.rows,
      leadsTotal: plan.leads.length,
      orphanRows: plan.orphanRows,
      notes: read.notes ?? [],
    },
    blocksFrom: (from, decision, blockEvents, done) =>
      decideBlocks(plan.leads, from, decision, blockEvents, done),
    stop: () => Promise.resolve(),
  };
}
