/**
 * `node dist-bench/bench/views-equivalence.js --run-dir DIR --out FILE [--against FILE]
 * [--what-if THRESHOLD] [--rounds N]`: the
 * exact bodies of every /analytics view that reads the per-lead funnel, under every kept rule set
 * (the active one and any what-if), with capture windows, paging, row filters, time zones and
 * fiscal years, "now" and `asOf`, written as JSON { request: body }. With `--against` (the file
 * another build wrote over the same data), every body is compared byte for byte and each
 * difference printed from its first differing character; the exit code is 1 if any differs.
 * `--what-if T` first replays a draft (the shipped dictionary as version 2 with mql.threshold T)
 * when the run directory keeps no other ready set, so the what-if is compared too.
 * `--rounds N` (default 2) asks every request N times: a later call may read what an earlier one
 * started in the background (a snapshot, then its day rollup), and must answer the same bytes.
 *
 * How a change of the read path is proven equal (docs/performance.md): run it from a worktree of
 * the commit before on a copy of a projected run directory, then from the commit after on
 * another copy, with `--against` the first file. Black box: it starts the built API of the
 * worktree it runs from and speaks HTTP only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { attributionModels, defaultFunnelDefinition } from '@tandem/domain';
import { ApiProcess, identityHeaders } from './bench.api-process';
import { parseBenchArgs } from './bench.options';

const TIMEOUT_MS = 4 * 3600_000;

interface RulesList {
  readonly sets: readonly { rulesVersion: number; definitionHash: string; status: string }[];
}

const join = (path: string, ...parts: string[]) => {
  const query = parts.filter((part) => part !== '').join('&');
  return query === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${query}`;
};

/** Every request compared, under one rule set selection (`rules`: '' for the active set). */
function requests(rules: string): string[] {
  const window = 'capturedFrom=2025-03-01T00:00:00Z&capturedTo=2025-09-01T00:00:00Z';
  const rome = 'timeZone=Europe/Rome&fiscalStartMonth=4';
  const asOf = 'asOf=2025-12-31T23:00:00Z';
  const paths = [
    '/analytics/funnel',
    join('/analytics/funnel', window),
    join('/analytics/funnel', asOf),
    '/analytics/funnel/time-in-stage',
    join('/analytics/funnel/time-in-stage', window),
    '/analytics/funnel/cohorts?grain=week',
    join('/analytics/funnel/cohorts?grain=month', rome),
    join('/analytics/funnel/cohorts?grain=month', asOf),
    '/analytics/funnel/trend?grain=month',
    join('/analytics/funnel/trend?grain=quarter', rome),
    join('/analytics/funnel/trend?grain=week', window),
    '/analytics/funnel/leads?stage=won',
    '/analytics/funnel/leads?stage=won&offset=50000&limit=1000',
    '/analytics/funnel/leads?stage=won&offset=999999',
    '/analytics/funnel/leads?stage=captured&offset=400000',
    join('/analytics/funnel/leads?stage=mql&limit=500', window),
    '/analytics/funnel/leads?stage=sql&channel=webinar&limit=300',
    join('/analytics/funnel/leads?stage=won&grain=month&period=2025-06-01', rome),
    join('/analytics/funnel/leads?stage=accepted&limit=200', asOf),
    '/analytics/marketing',
    join('/analytics/marketing', window),
    join('/analytics/marketing', asOf),
    ...attributionModels.map((model) => `/analytics/marketing/attribution?model=${model}`),
    join('/analytics/marketing/attribution?model=w_shaped', window),
    '/analytics/sales',
    join('/analytics/sales', asOf),
    '/analytics/sales/performance',
    join('/analytics/sales/performance', window),
    '/analytics/alignment?asOf=2030-01-01T00:00:00Z',
    '/analytics/accounts',
    '/analytics/accounts?offset=20000&limit=500',
    '/analytics/accounts?offset=999999',
    join('/analytics/accounts?limit=100', window),
    '/analytics/targets',
    join('/analytics/targets', rome),
    join('/analytics/targets', asOf),
    '/analytics/reconciliation',
  ];
  return paths.map((path) => join(path, rules));
}

/** Replays the shipped dictionary as version 2 with another MQL threshold, until done. */
async function replayDraft(api: ApiProcess, threshold: number): Promise<void> {
  const draft = {
    ...defaultFunnelDefinition,
    version: 2,
    mql: { ...defaultFunnelDefinition.mql, threshold },
  };
  let view = (await api.post('/ops/rules/replays', { draft })) as { id: string; status: string };
  while (view.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    view = (await api.get(`/ops/rules/replays/${view.id}`)) as { id: string; status: string };
  }
  if (view.status !== 'done') throw new Error(`the what-if ended ${view.status}`);
}

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    out: { type: 'string' },
    against: { type: 'string' },
    'what-if': { type: 'string' },
    rounds: { type: 'string', default: '2' },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error('--rounds must be a positive integer');
  if (values.out === undefined) throw new Error('--out FILE is required');
  if (options.runDir === null) throw new Error('--run-dir DIR is required (a projected copy)');
  const api = await ApiProcess.start(options);
  const bodies: Record<string, string> = {};
  try {
    await api.projectorCaughtUp(TIMEOUT_MS);
    await api.activeRuleSetReady(TIMEOUT_MS);
    let kept = (await api.get('/ops/rules')) as RulesList;
    if (values['what-if'] !== undefined && kept.sets.length < 2) {
      await replayDraft(api, Number(values['what-if']));
      kept = (await api.get('/ops/rules')) as RulesList;
    }
    const selections = [
      '',
      ...kept.sets
        .filter((set) => set.status === 'ready')
        .map((set) => `rulesVersion=${set.rulesVersion}&definitionHash=${set.definitionHash}`),
    ];
    // Twice or more: a view's first call may have started a snapshot (then a rollup of it) that
    // a later one reads.
    for (let round = 1; round <= rounds; round++) {
      for (const rules of selections) {
        for (const request of requests(rules)) {
          const response = await fetch(`${api.url}${request}`, {
            headers: identityHeaders('ops', 'views-equivalence'),
          });
          const body = `${response.status} ${response.headers.get('link') ?? ''}\n${await response.text()}`;
          if (round === 1) bodies[request] = body;
          else if (bodies[request] !== body) {
            bodies[`${request} (${round === 2 ? 'second call' : `call ${round}`})`] = body;
          }
        }
      }
    }
  } finally {
    await api.stop();
  }
  writeFileSync(values.out, JSON.stringify(bodies, null, 1));
  console.log(`${Object.keys(bodies).length} answers written to ${values.out}`);
  if (values.against === undefined) return;
  const expected = JSON.parse(readFileSync(values.against, 'utf8')) as Record<string, string>;
  let differences = 0;
  for (const key of [...new Set([...Object.keys(expected), ...Object.keys(bodies)])].sort()) {
    const want = expected[key];
    const got = bodies[key];
    if (want === got) continue;
    differences += 1;
    if (want === undefined || got === undefined) {
      console.log(`${key}: only in ${want === undefined ? 'this run' : values.against}`);
      continue;
    }
    let at = 0;
    while (at < want.length && at < got.length && want[at] === got[at]) at++;
    const around = (text: string) => text.slice(Math.max(0, at - 80), at + 80);
    console.log(
      `${key}: first difference at ${at}\n  against: …${around(want)}…\n  this:    …${around(got)}…`,
    );
  }
  console.log(
    differences === 0
      ? `identical: ${Object.keys(bodies).length} answers`
      : `${differences} of ${Object.keys(bodies).length} answers differ`,
  );
  if (differences > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
