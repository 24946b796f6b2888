/**
 * Every analytics view of a running API, read over HTTP under every rule set it keeps, as the
 * exact response bytes per view, so that two APIs (one that crashed and recovered, one that
 * projected cleanly) can be compared view by view, and a difference shown where it starts.
 *
 * Only what a clean rebuild must reproduce is read: /ops/rules without its progress counters,
 * heartbeat and job ids (they tell when a replay ran, not what it computed), and every view at
 * a fixed business time where the view would otherwise use the clock.
 */
import { createHash } from 'node:crypto';
import { attributionModels } from '@tandem/domain';
import { asRole } from './auth-headers';

/** View path (with its query) → response body; paged views are every page, joined. */
export type ViewBodies = ReadonlyMap<string, string>;

interface KeptRules {
  readonly active: { rulesVersion: number; definitionHash: string } | null;
  readonly sets: readonly {
    rulesVersion: number;
    definitionHash: string;
    name: string;
    kind: string;
    status: string;
    replaying: string | null;
  }[];
}

const PAGE = 1000;
/** Alignment judges open hand-offs against asOf, the request time by default: pin it. */
const AS_OF = '2030-01-01T00:00:00Z';

async function get(baseUrl: string, path: string): Promise<string> {
  // ops reads every view and /ops/rules.
  const response = await fetch(`${baseUrl}${path}`, { headers: asRole('ops') });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${body}`);
  return body;
}

/** Every page of a paged view, as the raw bodies joined by newlines. */
async function allPages(baseUrl: string, path: string): Promise<string> {
  const pages: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const body = await get(
      baseUrl,
      `${path}${path.includes('?') ? '&' : '?'}limit=${PAGE}&offset=${offset}`,
    );
    pages.push(body);
    const { total } = JSON.parse(body) as { total: number };
    if (offset + PAGE >= total) return pages.join('\n');
  }
}

/** `path?a&b`, leaving out empty parts. */
const withQuery = (path: string, ...parts: string[]) => {
  const query = parts.filter((part) => part !== '').join('&');
  return query === '' ? path : `${path}?${query}`;
};

/**
 * The paths of every view under one rule set: `rules` is its query (empty for the active set),
 * `set` names it for the what-if comparison with version 1 (none for the active set).
 */
function viewPaths(rules: string, set: { rulesVersion: number; definitionHash: string } | null) {
  return {
    paged: [
      withQuery('/analytics/funnel', rules),
      withQuery('/analytics/funnel/time-in-stage', rules),
      withQuery('/analytics/funnel/cohorts', 'grain=week', rules),
      withQuery('/analytics/funnel/cohorts', 'grain=month', rules),
      withQuery('/analytics/marketing', rules),
      ...attributionModels.map((model) =>
        withQuery('/analytics/marketing/attribution', `model=${model}`, rules),
      ),
      withQuery('/analytics/sales', rules),
      withQuery('/analytics/sales/performance', rules),
      withQuery('/analytics/alignment', `asOf=${AS_OF}`, rules),
      withQuery('/analytics/accounts', rules),
      withQuery('/analytics/targets', `asOf=${AS_OF}`, rules),
    ],
    whole: [
      withQuery('/analytics/reconciliation', rules),
      ...(set === null
        ? []
        : [
            withQuery(
              '/analytics/rules/compare',
              'baseVersion=1',
              `candidateVersion=${set.rulesVersion}`,
              `candidateHash=${set.definitionHash}`,
              'sample=999',
            ),
          ]),
    ],
  };
}

/**
 * Reads every view under every kept rule set and under the default (the active set). The rule
 * sets must all be ready: the what-if comparison refuses partial ones.
 */
export async function readViews(baseUrl: string): Promise<ViewBodies> {
  const bodies = new Map<string, string>();
  const kept = JSON.parse(await get(baseUrl, '/ops/rules')) as KeptRules;
  const sets = kept.sets
    .map(({ rulesVersion, definitionHash, name, kind, status, replaying }) => ({
      rulesVersion,
      definitionHash,
      name,
      kind,
      status,
      replaying,
    }))
    .sort(
      (a, b) => a.rulesVersion - b.rulesVersion || a.definitionHash.localeCompare(b.definitionHash),
    );
  bodies.set('GET /ops/rules, what each set is', JSON.stringify({ active: kept.active, sets }));
  const scopes = [
    { rules: '', set: null },
    ...sets.map((set) => ({
      rules: `rulesVersion=${set.rulesVersion}&definitionHash=${set.definitionHash}`,
      set,
    })),
  ];
  for (const { rules, set } of scopes) {
    const paths = viewPaths(rules, set);
    for (const path of paths.paged) bodies.set(path, await allPages(baseUrl, path));
    for (const path of paths.whole) bodies.set(path, await get(baseUrl, path));
  }
  return bodies;
}

export function fingerprint(bodies: ViewBodies): string {
  const hash = createHash('sha256');
  for (const [path, body] of [...bodies].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(path).update('\0').update(body).update('\0');
  }
  return hash.digest('hex');
}

/**
 * One line per view that differs (or exists on one side only), with the first differing byte
 * and the text around it on both sides; empty when the two are identical.
 */
export function viewDifferences(expected: ViewBodies, actual: ViewBodies): string[] {
  const differences: string[] = [];
  const paths = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  for (const path of paths) {
    const want = expected.get(path);
    const got = actual.get(path);
    if (want === got) continue;
    if (want === undefined || got === undefined) {
      differences.push(`${path}: only in the ${want === undefined ? 'crashed' : 'clean'} one`);
      continue;
    }
    let at = 0;
    while (at < want.length && at < got.length && want[at] === got[at]) at++;
    const around = (text: string) =>
      text.slice(Math.max(0, at - 100), at + 100).replaceAll('\n', '⏎');
    differences.push(
      `${path}: first difference at character ${at} of ${want.length}/${got.length}\n` +
        `  clean:   …${around(want)}…\n  crashed: …${around(got)}…`,
    );
  }
  return differences;
}
