/**
 * `node dist-bench/bench/rule-facts-equivalence.js --run-dir DIR --out FILE [--against FILE]`:
 * every row of lead_rule_facts (FINAL) under every kept rule set — mql, mql_at, fit, intent and
 * score of every lead, with the event count and last position the row was computed from —
 * written as text, one row a line, sorted by set and lead. With `--against` (the file another
 * build wrote over the same history), the two are compared set by set and row by row; the first
 * differences are printed and the exit code is 1 if any row differs or is missing.
 *
 * How a change of the rules pass is proven to leave every row as it was (docs/performance.md):
 * from a worktree of the commit before, project a run directory (bench/rebuild.js) and run a
 * what-if in it (bench/whatif.js); from the commit after, the same in a fresh directory; dump
 * both and compare. The active set is then computed by each build's own catch-up and rebuild,
 * the draft by each build's replay. Run it while no API holds the directory (chDB opens one
 * data directory per process).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeAnalyticsClient, createAnalyticsClient } from '@tandem/analytics';

const { values } = parseArgs({
  options: {
    'run-dir': { type: 'string' },
    out: { type: 'string' },
    against: { type: 'string' },
    database: { type: 'string', default: 'tandem' },
  },
  strict: true,
});

async function dump(runDir: string, database: string): Promise<string> {
  const client = await createAnalyticsClient({
    mode: 'embedded',
    path: path.join(runDir, 'chdb'),
  });
  try {
    const result = await client.query({
      query: `
        SELECT rules_version, definition_hash, lead_id, mql, mql_at, fit_score, intent_score,
               score, event_count, last_position
        FROM {db:Identifier}.lead_rule_facts FINAL
        ORDER BY rules_version, definition_hash, lead_id`,
      query_params: { db: database },
      format: 'TabSeparated',
    });
    return await result.text();
  } finally {
    await closeAnalyticsClient(client);
  }
}

/** Rows by set ("version hash"), each row keyed by lead id. */
function bySet(text: string): Map<string, Map<string, string>> {
  const sets = new Map<string, Map<string, string>>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [version, hash, lead] = line.split('\t');
    const key = `${version} ${hash}`;
    let rows = sets.get(key);
    if (rows === undefined) sets.set(key, (rows = new Map<string, string>()));
    rows.set(lead ?? '', line);
  }
  return sets;
}

function compare(ours: string, theirs: string): boolean {
  const a = bySet(ours);
  const b = bySet(theirs);
  let same = true;
  console.log('| rule set (version hash) | rows here | rows there | equal | differ | missing |');
  console.log('|---|---|---|---|---|---|');
  const examples: string[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const here = a.get(key) ?? new Map<string, string>();
    const there = b.get(key) ?? new Map<string, string>();
    let equal = 0;
    let differ = 0;
    let missing = 0;
    for (const [lead, row] of here) {
      const other = there.get(lead);
      if (other === undefined) missing++;
      else if (other === row) equal++;
      else {
        differ++;
        if (examples.length < 10) examples.push(`here:  ${row}\nthere: ${other}`);
      }
    }
    for (const lead of there.keys()) if (!here.has(lead)) missing++;
    if (differ > 0 || missing > 0) same = false;
    console.log(`| ${key} | ${here.size} | ${there.size} | ${equal} | ${differ} | ${missing} |`);
  }
  for (const example of examples) console.log(example);
  return same;
}

async function main(): Promise<void> {
  const runDir = values['run-dir'];
  const out = values.out;
  if (runDir === undefined || out === undefined) {
    throw new Error('usage: --run-dir DIR --out FILE [--against FILE]');
  }
  const text = await dump(runDir, values.database ?? 'tandem');
  writeFileSync(out, text);
  console.log(`${out}: ${text.split('\n').length - 1} rows`);
  if (values.against !== undefined) {
    const same = compare(text, readFileSync(values.against, 'utf8'));
    console.log(same ? 'every row equal' : 'ROWS DIFFER');
    if (!same) process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
