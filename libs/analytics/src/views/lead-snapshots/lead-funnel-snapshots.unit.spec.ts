/**
 * How a snapshot's write shares chDB with view reads (the engine runs one parameterized
 * statement at a time): its ranges wait while a read is in flight, at most `yieldMs`; and when
 * a view starts one in the background at all (`minLeads`). A fake client that answers by
 * statement and logs each one; what the SQL computes is the int spec's.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition } from '@tandem/domain';
import { newRuleSet } from '../../rules/rule-sets';
import { LeadFunnelSnapshots } from './lead-funnel-snapshots';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A client whose statements each take one turn of the event loop, logged in order. `state`:
 * how many leads lead_state holds, and whether a marked snapshot exists.
 */
function fakeClient(log: string[], state = { leads: 5, marked: true }) {
  const rows = (query: string): unknown[] => {
    if (query.includes('SELECT DISTINCT lead_id')) {
      log.push('count leads');
      return [{ leads: String(state.leads) }];
    }
    if (query.includes('mergeTreeIndex')) {
      return [
        ['lead-a', 10],
        ['lead-c', 10],
        ['lead-e', 10],
      ];
    }
    if (query.includes('has_rules')) {
      return [{ events: '90', rules: '90', has_events: 1, has_rules: 1 }];
    }
    if (query.includes('usable')) {
      return state.marked
        ? [{ id: '7', position: '90', leads: '5', taken_at_ms: '0', usable: 1 }]
        : [];
    }
    return [];
  };
  const client = {
    query: async ({ query }: { query: string }) => {
      await tick();
      return { json: async () => rows(query) };
    },
    command: async ({ query, query_params }: { query: string; query_params: object }) => {
      await tick();
      const bounds = query_params as { from_lead?: string; to_lead?: string };
      if (query.includes('{snapshots:Identifier}\n          SELECT')) {
        log.push(`range ${bounds.from_lead ?? '-'}..${bounds.to_lead ?? '-'}`);
      }
      return {};
    },
  };
  return client as unknown as ClickHouseClient;
}

const rules = newRuleSet(defaultFunnelDefinition, 'published', 'ready');

it('copies the ranges of the primary index, every lead in exactly one', async () => {
  const log: string[] = [];
  const snapshots = new LeadFunnelSnapshots(fakeClient(log), async () => 'SELECT 1', {
    chunkRows: 10,
  });
  expect(await snapshots.take(rules)).toMatchObject({ id: '7', position: '90' });
  expect(log).toEqual(['range -..lead-c', 'range lead-c..lead-e', 'range lead-e..-']);
});

it("lets a view's reads go first: no range starts while one is in flight", async () => {
  const log: string[] = [];
  const snapshots = new LeadFunnelSnapshots(fakeClient(log), async () => 'SELECT 1', {
    chunkRows: 10,
    yieldMs: 60_000,
  });
  const writing = snapshots.take(rules);
  // A read of three statements (say the rule set, the snapshot's marker, the view), begun
  // while the snapshot is on its way.
  await tick();
  await snapshots.reading(async () => {
    for (const statement of ['read 1', 'read 2', 'read 3']) {
      log.push(statement);
      await tick();
      await tick();
    }
  });
  await writing;
  const reads = log.flatMap((entry, index) => (entry.startsWith('read') ? [index] : []));
  expect(reads).toEqual([reads[0], reads[0]! + 1, reads[0]! + 2]);
  expect(log.filter((entry) => entry.startsWith('range'))).toHaveLength(3);
});

it('does not wait for reads longer than yieldMs', async () => {
  const log: string[] = [];
  const snapshots = new LeadFunnelSnapshots(fakeClient(log), async () => 'SELECT 1', {
    chunkRows: 10,
    yieldMs: 20,
  });
  let release = () => {};
  const endless = snapshots.reading(() => new Promise<void>((resolve) => (release = resolve)));
  expect(await snapshots.take(rules)).not.toBeNull();
  expect(log.filter((entry) => entry.startsWith('range'))).toHaveLength(3);
  release();
  await endless;
});

it('holds every background statement while a read is in flight, and lets them all go after', async () => {
  const snapshots = new LeadFunnelSnapshots(fakeClient([]), async () => 'SELECT 1', {
    yieldMs: 60_000,
  });
  let release = () => {};
  const read = snapshots.reading(() => new Promise<void>((resolve) => (release = resolve)));
  const started: string[] = [];
  // A snapshot's range, a day rollup's and the attribution credits' statements, say.
  const waiting = ['range', 'rollup', 'credits'].map((name) =>
    snapshots.readersQuiet().then(() => started.push(name)),
  );
  await tick();
  await tick();
  expect(started).toEqual([]);
  release();
  await read;
  await Promise.all(waiting);
  expect(started.sort()).toEqual(['credits', 'range', 'rollup']);
});

describe('a view that finds no snapshot', () => {
  const ranges = (log: string[]) => log.filter((entry) => entry.startsWith('range'));

  it('starts none while the state holds fewer than minLeads leads, and is read from the state', async () => {
    const log: string[] = [];
    const snapshots = new LeadFunnelSnapshots(
      fakeClient(log, { leads: 29, marked: false }),
      async () => 'SELECT 1',
      { chunkRows: 10, minLeads: 30 },
    );
    expect(await snapshots.current(rules)).toBeNull();
    await snapshots.settled();
    expect(log).toEqual(['count leads']);
  });

  it('starts one in the background once the state holds minLeads leads', async () => {
    const log: string[] = [];
    const snapshots = new LeadFunnelSnapshots(
      fakeClient(log, { leads: 30, marked: false }),
      async () => 'SELECT 1',
      { chunkRows: 10, minLeads: 30 },
    );
    expect(await snapshots.current(rules)).toBeNull();
    await snapshots.settled();
    expect(log[0]).toBe('count leads');
    expect(ranges(log)).toHaveLength(3);
  });

  it('looks at the state at most once per minIntervalMs', async () => {
    const log: string[] = [];
    const snapshots = new LeadFunnelSnapshots(
      fakeClient(log, { leads: 29, marked: false }),
      async () => 'SELECT 1',
      { chunkRows: 10, minLeads: 30, minIntervalMs: 60_000 },
    );
    for (let i = 0; i < 3; i++) {
      expect(await snapshots.current(rules)).toBeNull();
      await snapshots.settled();
    }
    expect(log).toEqual(['count leads']);
  });
});

it("starts the projector's snapshot at the head whatever a view looked at moments before", async () => {
  const log: string[] = [];
  const state = { leads: 29, marked: false };
  const snapshots = new LeadFunnelSnapshots(fakeClient(log, state), async () => 'SELECT 1', {
    chunkRows: 10,
    minLeads: 30,
    minIntervalMs: 60_000,
  });
  // A view during the catch-up: too few leads yet.
  await snapshots.current(rules);
  await snapshots.settled();
  state.leads = 30;
  // Another view: within the interval, it does not look again.
  await snapshots.current(rules);
  await snapshots.settled();
  expect(log).toEqual(['count leads']);
  // The projector at the head: due now.
  await snapshots.current(rules, { dueNow: true });
  await snapshots.settled();
  expect(log.filter((entry) => entry === 'count leads')).toHaveLength(2);
  expect(log.filter((entry) => entry.startsWith('range'))).toHaveLength(3);
});
