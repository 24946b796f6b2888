/**
 * The built `tandem import` as a child process, killable mid-run, and the events an import
 * left per lead stream in a comparable form: the SIGKILL specs run the one and compare the
 * other with a clean import's. Test code only (needs `npm run build`).
 */
import { leadStreamId } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { type CliRun, runTandemCli } from '../../testing/tandem-cli';

export type { CliRun };

/** Runs the built `tandem import`; with `killWhen`, SIGKILLs it once its stderr matches. */
export function runImportCli(
  env: Record<string, string>,
  args: readonly string[],
  killWhen?: (stderr: string) => boolean,
): Promise<CliRun> {
  return runTandemCli(['import', ...args], { ...process.env, ...env }, killWhen);
}

/**
 * Personal data is sealed per store with its own keys (issue 12), so two stores hold the
 * same fact as different ciphertexts: compare that a field is sealed, not its bytes.
 */
const sealedAsMarker = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_key, field: unknown) =>
      typeof field === 'object' && field !== null && '$pii' in field ? '<sealed>' : field,
    ),
  );

/**
 * The events of the given leads, stream by stream, without what differs between two runs
 * (global positions, recording times, sealed bytes). Read per stream: the global log of a
 * PostgreSQL server shows a commit only once every older transaction on the server has
 * ended, and other suites share this server.
 */
export async function importedLeadEvents(store: EventStore, leadIds: readonly string[]) {
  const events = [];
  for (const leadId of leadIds) {
    for (const {
      streamId,
      streamRevision,
      eventId,
      type,
      data,
      metadata,
    } of await store.readStream(leadStreamId(leadId))) {
      events.push({
        streamId,
        streamRevision,
        eventId,
        type,
        data: sealedAsMarker(data),
        metadata,
      });
    }
  }
  return events;
}
