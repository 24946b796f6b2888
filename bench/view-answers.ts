/**
 * `node dist-bench/bench/view-answers.js --run-dir DIR --out FILE [--compare FILE]
 * [--only attribution,reconciliation] [--repeat N] [--what-if]`: the answers of the attribution
 * models and the reconciliation, written one request per line, so two builds can be compared
 * byte for byte on the same projected data (run the old build on one copy of a run directory
 * and the new build on another; a view's SQL is free to change, its answers are not).
 *
 * In-process, no API: opens the run directory's chDB (`<run-dir>/chdb`), applies this build's
 * migrations (a copy of a kept run directory gets the new tables and their backfill), then asks
 * each request through AnalyticsQueries / ReconciliationRepository as the API would. Prints the
 * time of each request (first call, then the median of `--repeat` more): a profile of the
 * statements, not the benchmark of record (bench:query is).
 *
 * `--what-if` first replays a shadow rule set (the shipped definition as version 2 with
 * mql.threshold 65 and other attribution weights) unless the directory already holds it, and
 * asks every model under it too. It must never be pointed at a directory it should not write:
 * migrations and the replay write into `--run-dir`.
 */
// The lib's declaration of chDB's connection module: bench/ compiles the lib's sources too, and
// a declaration file is not a module to import.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../libs/analytics/src/clickhouse/chdb-connection.d.ts" />
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { attributionModels, defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import {
  AnalyticsQueries,
  ReconciliationRepository,
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
  newRuleSet,
  readRuleSet,
  replayRuleSet,
  ruleSetKey,
  type RuleSet,
  type ViewOptions,
} from '@tandem/analytics';

interface Request {
  readonly name: string;
  readonly ask: () => Promise<unknown>;
}

const whatIfDraft: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  mql: { ...defaultFunnelDefinition.mql, threshold: 65 },
  attribution: {
    ...defaultFunnelDefinition.attribution,
    // Milestones with no share at all (a path of milestones only is then credited linearly),
    // and a shorter half-life.
    weights: {
      uShaped: { firstTouch: 0, leadCreation: 0, others: 100 },
      wShaped: { firstTouch: 50, leadCreation: 0, opportunityCreation: 50, others: 0 },
      fullPath: {
        firstTouch: 10,
        leadCreation: 20,
        opportunityCreation: 30,
        closedWon: 33.33,
        others: 6.67,
      },
    },
    timeDecay: { halfLifeDays: 2.5 },
  },
};

function attributionRequests(
  queries: AnalyticsQueries,
  sets: readonly RuleSet[],
  keep: (scope: string) => boolean,
): Request[] {
  const scopes: [string, Omit<ViewOptions, 'rules'>][] = [
    ['all', {}],
    ['window', { capturedFrom: '2025-03-01T00:00:00Z', capturedTo: '2025-09-15T12:30:00+02:00' }],
    ['from', { capturedFrom: '2026-01-01T00:00:00.001Z' }],
    ['asOf', { asOf: '2025-06-30T23:59:59.999Z' }],
    ['asOf+window', { asOf: '2026-02-01T00:00:00Z', capturedFrom: '2025-10-01T00:00:00Z' }],
    ['empty', { capturedFrom: '2030-01-01T00:00:00Z' }],
  ];
  const requests: Request[] = [];
  for (const set of sets) {
    for (const model of attributionModels) {
      for (const [scopeName, scope] of scopes) {
        // The slow asOf fold once per set and model is enough; every scope under the active set.
        if (set !== sets[0] && scopeName.startsWith('asOf')) continue;
        if (!keep(scopeName)) continue;
        requests.push({
          name: `attribution v${set.rulesVersion}/${set.definitionHash.slice(0, 8)} ${model} ${scopeName}`,
          ask: () => queries.marketingAttribution(model, { ...scope, rules: set }),
        });
      }
    }
  }
  return requests;
}

function reconciliationRequests(
  queries: AnalyticsQueries,
  reconciliation: ReconciliationRepository,
  sets: readonly RuleSet[],
): Request[] {
  return [
    { name: 'event totals', ask: () => queries.eventTotals() },
    ...sets.flatMap((set) => [
      {
        name: `reconcile lenses v${set.rulesVersion}/${set.definitionHash.slice(0, 8)}`,
        ask: () => queries.reconcile({ rules: set }),
      },
      {
        name: `stage counts v${set.rulesVersion}/${set.definitionHash.slice(0, 8)}`,
        ask: () => queries.ruleSetStageCounts(set),
      },
    ]),
    {
      name: 'reconciliation (active set, as the API asks it)',
      ask: () => reconciliation.reconcile(),
    },
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      out: { type: 'string' },
      compare: { type: 'string' },
      only: { type: 'string', default: 'attribution,reconciliation' },
      // Attribution scopes to ask (all, window, from, asOf, asOf+window, empty); default every one.
      scopes: { type: 'string' },
      repeat: { type: 'string', default: '0' },
      'what-if': { type: 'boolean', default: false },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const only = new Set(values.only.split(','));
  const scopes = values.scopes === undefined ? null : new Set(values.scopes.split(','));
  const repeat = Number(values.repeat);

  const client = await createAnalyticsClient({ mode: 'embedded', path: join(runDir, 'chdb') });
  try {
    const migrated = await migrate(client, { database });
    if (migrated.applied.length > 0)
      console.log(`migrations applied: ${migrated.applied.join(', ')}`);
    const queries = new AnalyticsQueries(client, { database });
    const reconciliation = new ReconciliationRepository(client, { database });
    const active = await queries.ruleSet();
    const sets: RuleSet[] = [active];
    if (values['what-if']) {
      const draft = newRuleSet(whatIfDraft, 'shadow', 'pending');
      const kept = await readRuleSet(client, ruleSetKey(whatIfDraft), { database });
      const started = performance.now();
      sets.push(
        kept?.status === 'ready'
          ? kept
          : await replayRuleSet(client, draft, { database, owner: 'view-answers' }),
      );
      if (kept?.status !== 'ready') {
        console.log(`what-if replayed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    }
    const requests = [
      ...(only.has('attribution')
        ? attributionRequests(queries, sets, (scope) => scopes === null || scopes.has(scope))
        : []),
      ...(only.has('reconciliation') ? reconciliationRequests(queries, reconciliation, sets) : []),
    ];
    const lines: string[] = [];
    for (const request of requests) {
      const started = performance.now();
      const answer = await request.ask();
      const first = performance.now() - started;
      const times: number[] = [];
      for (let call = 0; call < repeat; call++) {
        const again = performance.now();
        const repeated = await request.ask();
        times.push(performance.now() - again);
        if (JSON.stringify(repeated) !== JSON.stringify(answer)) {
          throw new Error(`${request.name}: a repeated call answered differently`);
        }
      }
      times.sort((a, b) => a - b);
      const median = times.length === 0 ? '' : ` median ${times[times.length >> 1]!.toFixed(0)} ms`;
      console.log(`${request.name}: first ${first.toFixed(0)} ms${median}`);
      lines.push(JSON.stringify({ request: request.name, answer }));
    }
    const text = `${lines.join('\n')}\n`;
    if (values.out !== undefined) writeFileSync(values.out, text);
    if (values.compare !== undefined) {
      // By request name: a run with --only compares its requests with theirs in a full file.
      const expected = new Map(
        readFileSync(values.compare, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => [(JSON.parse(line) as { request: string }).request, line]),
      );
      const compared = lines.filter((line) =>
        expected.has((JSON.parse(line) as { request: string }).request),
      );
      const differing = compared.filter((line) => {
        const { request } = JSON.parse(line) as { request: string };
        return expected.get(request) !== line;
      });
      const absent = lines.length - compared.length;
      if (absent > 0) console.log(`${absent} answers not in ${values.compare}: not compared`);
      if (differing.length > 0 || compared.length === 0) {
        console.log(`DIFFERENT: ${differing.length} of ${compared.length} answers`);
        for (const line of differing.slice(0, 5)) console.log(`  ${line.slice(0, 300)}`);
        process.exitCode = 2;
      } else {
        console.log(`identical: ${compared.length} answers`);
      }
    }
  } finally {
    await closeAnalyticsClient(client);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
