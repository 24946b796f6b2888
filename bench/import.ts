/**
 * `npm run bench:import [-- --facts N] [--stores postgres,pglite] [--block-events N]
 * [--seed S] [--again] [--refused-rows N] [--json FILE]`: how fast `tandem import` brings a history in. It writes a
 * seeded canonical history of N facts (default 1,000,000; every fact passes the default
 * dictionary, so each is one event), then runs the built CLI (`dist/apps/cli/src/main.js
 * import`, as a user would) into a fresh schema of the local PostgreSQL and into a fresh
 * PGlite directory, and prints events/s beside the target (≥ 20,000 events/s). The rate is
 * the CLI's whole run — process start, reading and deciding the file, appending — over
 * the events appended. The empty store is created first, untimed, as the API's first start
 * would (on PGlite that is initdb, seconds of WASM that no import size changes); its time is
 * printed beside. It drops only the schema and directories it created.
 * With `--again`, the store imported into is then given the same file a second time (a re-run:
 * the checkpoint says every lead is done) and the file re-exported (the same lines behind a `//`
 * line: other bytes, so every lead is found in the store and compared), each timed alone.
 * `--refused-rows N` adds N rows the import refuses on every run (a touch dated `last Tuesday`,
 * each naming a lead of its own), as most real exports hold a few.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { loadConfig } from '@tandem/config';
import { createEventStore } from '@tandem/event-store';
import { writeCanonicalHistory } from '../apps/cli/src/import/testing/canonical-history';
import { BenchReport } from './bench.report';

const TARGET_EVENTS_PER_SECOND = 20_000;
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist/apps/cli/src/main.js');
const SCHEMA = 'tandem_bench_import';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    facts: { type: 'string', default: '1000000' },
    stores: { type: 'string', default: 'postgres,pglite' },
    'block-events': { type: 'string', default: '5000' },
    seed: { type: 'string', default: '11' },
    again: { type: 'boolean', default: false },
    'refused-rows': { type: 'string', default: '0' },
    'postgres-url': {
      type: 'string',
      default: process.env.TANDEM_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    json: { type: 'string' },
  },
  strict: true,
});
const facts = Number(values.facts);
const stores = values.stores.split(',');
const postgresUrl = values['postgres-url'];
const refusedRows = Number(values['refused-rows']);

interface CliReport {
  readonly importedEvents: number;
  readonly importedLeads: number;
  readonly refused: readonly unknown[];
  readonly seconds: number;
}

/** Runs the built CLI's import; resolves with its report and the process's wall time. */
function runImport(env: Record<string, string>, file: string) {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [CLI, 'import', file, '--json', '--block-events', values['block-events']],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise<{ report: CliReport; wallSeconds: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Exit 1 is a run that refused rows: the caller checks they are the ones it planted.
      if (code !== 0 && code !== 1) reject(new Error(`tandem import exited ${code}`));
      else resolve({ report: JSON.parse(stdout) as CliReport, wallSeconds });
    });
  });
}

/** The store as the CLI will open it (same configuration), created and closed again. */
async function createEmptyStore(env: Record<string, string>): Promise<number> {
  const started = process.hrtime.bigint();
  const store = await createEventStore(loadConfig({ ...process.env, ...env }).eventStore);
  await store.close();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function dropSchema(): Promise<void> {
  const client = new Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const report = new BenchReport('bench:import — tandem import of a canonical history');
  const work = await mkdtemp(path.join(tmpdir(), 'tandem-bench-import-'));
  try {
    const file = path.join(work, 'history.jsonl');
    const written = await writeCanonicalHistory(file, facts, Number(values.seed));
    const refusedLines = Array.from({ length: refusedRows }, (_, i) =>
      JSON.stringify({
        leadId: `bench:refused-${i}`,
        type: 'RecordTouchpoint',
        occurredAt: 'last Tuesday',
        data: { kind: 'page_view', channel: 'web' },
      }),
    );
    if (refusedLines.length > 0) await appendFile(file, `${refusedLines.join('\n')}\n`);
    const reexport = path.join(work, 'history-reexport.jsonl');
    if (values.again) await writeFile(reexport, `// re-exported\n${await readFile(file, 'utf8')}`);
    report.note('history', `${written.facts} facts, ${written.leads} leads`);
    report.note('refused rows', `${refusedRows} (refused on every run)`);
    report.note('block', `${values['block-events']} events per bulk append`);
    for (const store of stores) {
      let env: Record<string, string>;
      let cleanup: () => Promise<void>;
      if (store === 'postgres') {
        await dropSchema();
        env = {
          TANDEM_EVENT_STORE: 'postgres',
          TANDEM_POSTGRES_URL: postgresUrl,
          TANDEM_POSTGRES_SCHEMA: SCHEMA,
        };
        cleanup = dropSchema;
      } else if (store === 'pglite') {
        const dataDir = await mkdtemp(path.join(work, 'pglite-'));
        env = { TANDEM_EVENT_STORE: 'pglite', TANDEM_DATA_DIR: dataDir };
        cleanup = () => rm(dataDir, { recursive: true, force: true });
      } else {
        throw new Error(`--stores: unknown store ${store} (postgres, pglite)`);
      }
      try {
        const creation = await createEmptyStore(env);
        report.note(`${store} store`, `created empty in ${creation.toFixed(1)} s (not timed)`);
        console.log(`importing into ${store} …`);
        const { report: run, wallSeconds } = await runImport(env, file);
        const refusedAsPlanted = (refused: number) => {
          if (refused !== refusedRows) throw new Error(`${refused} rows refused`);
        };
        refusedAsPlanted(run.refused.length);
        report.add({
          name: `import into ${store}`,
          value: run.importedEvents / wallSeconds,
          unit: 'events/s',
          target: { atLeast: TARGET_EVENTS_PER_SECOND },
          note: `${run.importedEvents} events in ${wallSeconds.toFixed(1)} s (process wall time)`,
        });
        if (values.again) {
          for (const [name, again] of [
            ['re-run of the same file', file],
            ['re-export (other bytes)', reexport],
          ] as const) {
            const rerun = await runImport(env, again);
            refusedAsPlanted(rerun.report.refused.length);
            if (rerun.report.importedEvents !== 0) throw new Error(`${name} appended events`);
            report.add({
              name: `${name} into ${store}`,
              value: rerun.wallSeconds,
              unit: 's',
              target: null,
              note: `${run.importedLeads} leads found done (process wall time)`,
            });
          }
        }
      } finally {
        await cleanup();
      }
    }
    report.print();
    report.writeJson(values.json ?? null);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
