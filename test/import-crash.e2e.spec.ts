/**
 * Exact under crashes, for an import whose file reaches across leads (issue 10, item 4): the
 * built `tandem import` (its decider on a worker thread) SIGKILLed at randomized moments, three
 * times, on a file with merges — into leads the file captures earlier or later in the plan
 * (chains among them), into leads only the store holds, live or erased, into none — rows
 * repeated verbatim, touchpoint ids sent twice and bad rows; then run again to the end, as a
 * user would, and once more. Then:
 * - the store holds exactly what one uninterrupted import of the file into a store prepared the
 *   same way holds, stream by stream, the survivors' records of merges (DuplicateMergedIn)
 *   included;
 * - the finishing run names every row the uninterrupted run refused, with its exit code: a
 *   resumed run used to report only the rows after its checkpoint and exit 0 ("every row
 *   imported") when the killed run had refused rows it never got to print;
 * - the finished file run again adds nothing and still names them.
 * On PostgreSQL; ops-crash.e2e.spec.ts kills an import beside the API and compares the views,
 * import-merges.int.spec.ts walks every kill point in process. TANDEM_CRASH_SEED=<seed>
 * replays the file and the schedule.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { readCanonicalJsonl } from '../apps/cli/src/import/canonical-jsonl.source';
import { planImport } from '../apps/cli/src/import/import-plan';
import type { ImportOutcome } from '../apps/cli/src/import/import-runner';
import { writeCanonicalHistory } from '../apps/cli/src/import/testing/canonical-history';
import { eraseLead } from '../apps/cli/src/import/testing/erase-lead';
import { importedLeadEvents, runImportCli } from '../apps/cli/src/import/testing/import-cli';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';
import { crashLog, crashSeed } from './support/crash-api';
import { crashLeg, postgresCrashStore, withCrashStore } from './support/crash-stores';

jest.setTimeout(600_000);

const seed = crashSeed('import-crash');

/** Facts in the generated history (about 350 leads), written in blocks of about 60 events. */
const FACTS = 3_000;
const BLOCK_EVENTS = 60;
/** Leads only the store holds: the last one erased before the import. */
const STORED = ['crm:s1', 'crm:s2', 'crm:s3', 'crm:s4'];
const ERASED = 'crm:s4';

const HOUR = 3_600_000;

interface Line {
  leadId: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * The generated history, reaching across leads: about a fifth of its leads merged (into a lead
 * of the file, a stored one, the erased one, or none), some rows repeated verbatim, some touches
 * sent twice under one id, a few rows that are not facts.
 */
async function crossingHistory(file: string, rng: SeededRandom): Promise<void> {
  await writeCanonicalHistory(file, FACTS, 1 + (seed % 1000));
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  const facts = lines.map((line) => JSON.parse(line) as Line);
  const lastAt = new Map<string, number>();
  for (const fact of facts) {
    lastAt.set(fact.leadId, Math.max(lastAt.get(fact.leadId) ?? 0, Date.parse(fact.occurredAt)));
  }
  const leadIds = [...lastAt.keys()];
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rng.next() * values.length)] as T;
  const at = (ms: number) => new Date(ms).toISOString();
  const extra: string[] = [];
  for (const [index, leadId] of leadIds.entries()) {
    const last = lastAt.get(leadId) ?? 0;
    const roll = rng.next();
    if (roll < 0.2) {
      const kind = rng.next();
      const intoLeadId =
        kind < 0.6
          ? pick(leadIds)
          : kind < 0.85
            ? pick(STORED.slice(0, 3))
            : kind < 0.93
              ? ERASED
              : 'crm:never-captured';
      extra.push(
        JSON.stringify({
          leadId,
          type: 'MergeLead',
          occurredAt: at(last + HOUR),
          data: { intoLeadId },
        }),
      );
    } else if (roll < 0.26) {
      for (const hours of [2, 3]) {
        extra.push(
          JSON.stringify({
            leadId,
            type: 'RecordTouchpoint',
            occurredAt: at(last + hours * HOUR),
            data: { touchpointId: `tp-${index}`, kind: 'webinar', channel: 'web', campaign: null },
          }),
        );
      }
    } else if (roll < 0.28) {
      extra.push(
        JSON.stringify({
          leadId,
          type: 'RecordTouchpoint',
          occurredAt: at(last + HOUR),
          data: { kind: 42 },
        }),
      );
    }
  }
  const repeated = lines.filter(() => rng.next() < 0.03);
  await writeFile(file, `${[...lines, ...extra, ...repeated].join('\n')}\n`);
}

const capture = (leadId: string) =>
  JSON.stringify({
    leadId,
    type: 'CaptureLead',
    occurredAt: '2023-06-01T10:00:00Z',
    data: {
      contact: { name: 'Stored', email: `${leadId.replace(':', '.')}@example.com` },
      company: { name: 'Stored Co' },
      source: { channel: 'organic' },
      productInterest: null,
      timeframe: null,
      consent: { marketing: false },
    },
  });

const kind = postgresCrashStore('import_crash');

describe('SIGKILL during an import with merges, repeats and refusals on PostgreSQL', () => {
  const { maybe, path, freshStore } = crashLeg(kind, 'import-crash');

  /** A store holding the leads only it knows (imported from another file), one erased since. */
  async function preparedStore(name: string): Promise<Record<string, string>> {
    const env = freshStore(name);
    const stored = await runImportCli(env, [path('stored.jsonl')]);
    expect({ code: stored.code, stderr: stored.stderr }).toMatchObject({ code: 0 });
    await withCrashStore(env, (store) => eraseLead(store, ERASED));
    return env;
  }

  const refusals = (report: ImportOutcome) =>
    report.refused.map(({ line, leadId, reason }) => ({ line, leadId, reason }));

  maybe('a killed import run again ends as one never killed, refusals named', async () => {
    const rng = new SeededRandom(seed);
    const { log, kills, took, print } = crashLog();
    try {
      await writeFile(path('stored.jsonl'), `${STORED.map(capture).join('\n')}\n`);
      const file = path('history.jsonl');
      await crossingHistory(file, rng);
      const leadIds = [
        ...planImport(await readCanonicalJsonl(file)).leads.map((lead) => lead.leadId),
        ...STORED.filter((leadId) => leadId !== ERASED),
      ];
      const args = [file, '--block-events', String(BLOCK_EVENTS), '--json'];

      const cleanEnv = await preparedStore('clean');
      const clean = await runImportCli(cleanEnv, args);
      const expected = JSON.parse(clean.stdout) as ImportOutcome;
      // The file is meant to refuse rows, and to merge many leads all the same.
      expect(expected.refused.length).toBeGreaterThan(5);
      expect(clean.code).toBe(1);
      const events = await withCrashStore(cleanEnv, (store) => importedLeadEvents(store, leadIds));
      const merged = events.filter((event) => event.type === 'LeadMerged').length;
      expect(merged).toBeGreaterThan(10);
      log.push(
        `clean: ${events.length} events, ${merged} merges, ${expected.refused.length} rows refused`,
      );
      took('the file and a clean import');

      const env = await preparedStore('crashed');
      const blocks = Math.ceil(FACTS / BLOCK_EVENTS);
      for (let run = 1; run <= 3; run++) {
        // After a random number of its blocks: the writer is then in the next block's appends.
        const after = 1 + Math.floor(rng.next() * blocks * 0.4);
        const killed = await runImportCli(
          env,
          args,
          (stderr) => (stderr.match(/import: [\d,]+\/[\d,]+ leads/g)?.length ?? 0) >= after,
        );
        kills.push([
          killed.signal === 'SIGKILL',
          `run ${run} after ${after} of ~${blocks} blocks: ${killed.signal ?? `exit ${killed.code}`}`,
        ]);
      }
      const resumed = await runImportCli(env, args);
      const report = JSON.parse(resumed.stdout) as ImportOutcome;
      log.push(`resumed after ${report.resumedAfterLeads} of ${report.leadsTotal} leads`);
      expect(report.resumedAfterLeads).toBeGreaterThan(0);
      expect({ code: resumed.code, refused: refusals(report) }).toEqual({
        code: clean.code,
        refused: refusals(expected),
      });
      expect(await withCrashStore(env, (store) => importedLeadEvents(store, leadIds))).toEqual(
        events,
      );

      const again = await runImportCli(env, args);
      const twice = JSON.parse(again.stdout) as ImportOutcome;
      expect({ code: again.code, refused: refusals(twice), added: twice.importedEvents }).toEqual({
        code: clean.code,
        refused: refusals(expected),
        added: 0,
      });
      expect(await withCrashStore(env, (store) => importedLeadEvents(store, leadIds))).toEqual(
        events,
      );
      took('three killed runs, the run to the end and one more');
      expect(kills.filter(([busy]) => busy).length).toBeGreaterThanOrEqual(2);
    } finally {
      print('PostgreSQL:');
    }
  });
});
