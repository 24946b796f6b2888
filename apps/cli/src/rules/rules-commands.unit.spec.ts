/**
 * The rules commands' flows against a scripted fake of the API: what is sent,
 * in which order, what reaches stdout and what stderr, and the exit codes. The
 * real API is exercised by test/rules-cli.int.spec.ts.
 */
import { defaultFunnelDefinition, type Role } from '@tandem/domain';
import { ApiError } from '../api-client';
import { describeReplay } from './replay-progress';
import { applyRules } from './rules-apply.command';
import type { ApplyView, ReplayView, RulesApi, RuleSetsView, WhatIfReport } from './rules-contract';
import { recordingCliIo } from '../testing/recording-io';
import type { RulesIo } from './rules-io';
import { listRules, publishRules } from './rules.command';
import { whatIfRules } from './rules-what-if.command';

/**
 * Answers each "METHOD path" from a script: a value, a function of the request
 * body (which may throw), or a list answered one entry per call.
 */
class FakeRulesApi implements RulesApi {
  readonly calls: { method: string; path: string; body?: unknown; role?: Role }[] = [];
  constructor(private readonly script: Record<string, unknown>) {}

  get<T>(path: string): Promise<T> {
    this.calls.push({ method: 'GET', path });
    return this.answer<T>(`GET ${path}`, undefined);
  }

  post<T>(path: string, body: unknown, role: Role): Promise<T> {
    this.calls.push({ method: 'POST', path, body, role });
    return this.answer<T>(`POST ${path}`, body);
  }

  private answer<T>(key: string, body: unknown): Promise<T> {
    const entry = this.script[key];
    if (entry === undefined) return Promise.reject(new Error(`unscripted call ${key}`));
    const next: unknown = Array.isArray(entry) ? (entry as unknown[]).shift() : entry;
    try {
      const value = typeof next === 'function' ? (next as (body: unknown) => unknown)(body) : next;
      return Promise.resolve(value as T);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** GET /definitions with version 2 in force, put there by activation act-2. */
const inForce = { active: 2, activationId: 'act-2', versions: [] };

const refuse = (status: number, body: unknown, path: string) => () => {
  throw new ApiError(status, body, path);
};

/** The CLI's recording io, plus the replay progress stream and the draft files to read. */
function recordingIo(files: Record<string, string> = {}) {
  const cli = recordingCliIo();
  const progress: string[] = [];
  const io: RulesIo = {
    ...cli.io,
    progress: { isTTY: false, write: (chunk: string) => progress.push(chunk) },
    readText: (file) =>
      file in files
        ? Promise.resolve(files[file]!)
        : Promise.reject(new Error('ENOENT: no such file')),
  };
  return { ...cli, io, progress };
}

const replay = (over: Partial<ReplayView>): ReplayView => ({
  id: 'rp-7',
  rulesVersion: 3,
  definitionHash: 'sha256:1a2b3c4d5e6f7a8b9999',
  kind: 'shadow',
  status: 'running',
  resumed: false,
  eventsDone: 0,
  eventsTotal: 16000,
  eventsPerSecond: null,
  etaSeconds: null,
  startedAt: '2026-03-01T10:00:00.000Z',
  finishedAt: null,
  error: null,
  ...over,
});
const running = (eventsDone: number) =>
  replay({ eventsDone, eventsPerSecond: 4000, etaSeconds: (16000 - eventsDone) / 4000 });
const done = replay({
  status: 'done',
  eventsDone: 16000,
  finishedAt: '2026-03-01T10:00:04.000Z',
});
const active = { rulesVersion: 2, definitionHash: 'sha256:aaaabbbbccccdddd0000' };
const noAmounts = { pipeline: {}, revenue: {} };
const sampleReport: WhatIfReport = {
  base: { ...active, name: 'Default B2B' },
  candidate: {
    rulesVersion: 3,
    definitionHash: 'sha256:1a2b3c4d5e6f7a8b9999',
    name: 'Stricter MQL',
  },
  stages: [{ stage: 'mql', base: 10, candidate: 8 }],
  byChannel: [],
  mqlToSql: { base: 0.5, candidate: 0.625 },
  attribution: {
    base: { model: 'linear', ...noAmounts },
    candidate: { model: 'linear', ...noAmounts },
  },
  changedLeads: { count: 0, becameMql: 0, lostMql: 0, sample: [] },
};
const draftFile = { 'draft.json': JSON.stringify({ ...defaultFunnelDefinition, version: 3 }) };

describe('tandem rules what-if', () => {
  const compare =
    'GET /analytics/rules/compare?baseVersion=2&baseHash=sha256%3Aaaaabbbbccccdddd0000' +
    '&candidateVersion=3&candidateHash=sha256%3A1a2b3c4d5e6f7a8b9999';

  it('refuses an invalid draft naming every bad field, before calling the API', async () => {
    const api = new FakeRulesApi({});
    const t = recordingIo({
      'bad.json': JSON.stringify({
        ...defaultFunnelDefinition,
        mql: { ...defaultFunnelDefinition.mql, threshold: 140 },
        sla: { acceptWithinHours: -1 },
      }),
    });
    expect(await whatIfRules(api, 'bad.json', { json: false }, t.io)).toBe(2);
    expect(t.err[0]).toBe('bad.json is not a valid funnel definition:');
    expect(t.err.join('\n')).toMatch(/mql\.threshold: /);
    expect(t.err.join('\n')).toMatch(/sla\.acceptWithinHours: /);
    expect(await whatIfRules(api, 'missing.json', { json: false }, t.io)).toBe(2);
    expect(t.err.at(-1)).toMatch(/^cannot read missing\.json: ENOENT/);
    expect(api.calls).toEqual([]);
    expect(t.out).toEqual([]);
  });

  it('replays the draft, follows it on stderr, then compares it with the active rules', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': running(0),
      'GET /ops/rules/replays/rp-7': [
        running(3000),
        running(6000),
        running(9000),
        running(12000),
        running(15000),
        done,
      ],
      'GET /ops/rules': { active, sets: [] },
      [compare]: sampleReport,
    });
    const t = recordingIo(draftFile);
    expect(await whatIfRules(api, 'draft.json', { json: false }, t.io)).toBe(0);
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /ops/rules/replays',
      ...Array<string>(6).fill('GET /ops/rules/replays/rp-7'),
      'GET /ops/rules',
      compare,
    ]);
    expect(api.calls[0]).toMatchObject({
      body: { draft: { ...defaultFunnelDefinition, version: 3 } },
      role: 'ops',
    });
    expect(t.sleeps).toEqual(Array<number>(6).fill(500));
    // Not a TTY: the first line, one every 2 s, and the last.
    expect(t.progress).toEqual([
      `${describeReplay(running(0))}\n`,
      `${describeReplay(running(12000))}\n`,
      `${describeReplay(done)}\n`,
    ]);
    expect(t.out[0]).toMatch(/^WHAT-IF: draft "Stricter MQL" \(v3/);
    expect(t.out).toContain(
      'FUNNEL, MARKETING PATH (leads that reached each stage; sales-sourced leads are the same under every set)',
    );
    expect(t.out.at(-1)).toBe(
      'this draft is not published: publish it with `tandem rules publish draft.json`, then `tandem rules apply <version>`',
    );
    expect(t.err).toEqual([]);
  });

  it('with --json prints exactly the report on stdout', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': done,
      'GET /ops/rules': { active, sets: [] },
      [compare]: sampleReport,
    });
    const t = recordingIo(draftFile);
    expect(await whatIfRules(api, 'draft.json', { json: true }, t.io)).toBe(0);
    expect(t.out).toHaveLength(1);
    expect(JSON.parse(t.out[0]!)).toEqual(sampleReport);
    expect(t.out[0]).toBe(JSON.stringify(sampleReport, null, 2));
    expect(t.progress).toEqual([]); // already built: nothing to follow
    expect(t.err.join('\n')).toMatch(/tandem rules publish draft\.json/);
  });

  it('prints the refusal when a replay of that rule set is already running', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': refuse(
        409,
        { status: 409, title: 'Conflict', detail: 'a replay of rules v3 is already running' },
        '/ops/rules/replays',
      ),
    });
    const t = recordingIo(draftFile);
    expect(await whatIfRules(api, 'draft.json', { json: false }, t.io)).toBe(1);
    expect(t.err).toEqual(['refused (409): a replay of rules v3 is already running']);
    expect(api.calls).toHaveLength(1);
    expect(t.out).toEqual([]);
  });

  it('names the fields the API rejects in a draft', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': refuse(
        422,
        {
          status: 422,
          detail: 'invalid draft',
          errors: [{ in: 'body', field: 'version', message: 'must be 4' }],
        },
        '/ops/rules/replays',
      ),
    });
    const t = recordingIo(draftFile);
    expect(await whatIfRules(api, 'draft.json', { json: false }, t.io)).toBe(1);
    expect(t.err).toEqual(['refused (422): invalid draft', '  version: must be 4']);
  });

  it('prints the error of a failed replay and compares nothing', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': running(0),
      'GET /ops/rules/replays/rp-7': replay({
        status: 'failed',
        eventsDone: 9000,
        error: 'ClickHouse is unreachable',
      }),
    });
    const t = recordingIo(draftFile);
    expect(await whatIfRules(api, 'draft.json', { json: false }, t.io)).toBe(1);
    expect(t.err).toEqual(['replay of rules v3 failed: ClickHouse is unreachable']);
    expect(t.progress.at(-1)).toMatch(/failed at 9,000\/16,000 events/);
    expect(api.calls.map((c) => c.path)).not.toContain('/ops/rules');
  });

  it('has nothing to compare with when no version is active', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': done,
      'GET /ops/rules': { active: null, sets: [] },
    });
    const t = recordingIo(draftFile);
    expect(await whatIfRules(api, 'draft.json', { json: false }, t.io)).toBe(1);
    expect(t.err[0]).toMatch(/no rules version is active/);
  });

  it('lets an outage surface as an error rather than a refusal', async () => {
    const api = new FakeRulesApi({
      'POST /ops/rules/replays': refuse(503, { message: 'down' }, '/ops/rules/replays'),
    });
    await expect(
      whatIfRules(api, 'draft.json', { json: false }, recordingIo(draftFile).io),
    ).rejects.toThrow(ApiError);
  });
});

describe('tandem rules apply', () => {
  const published = (over: Partial<ReplayView>) => replay({ kind: 'published', ...over });
  const applying = (over: Partial<ApplyView>): ApplyView => ({
    id: 'ap-1',
    rulesVersion: 3,
    definitionHash: done.definitionHash,
    status: 'replaying',
    replay: null,
    activation: null,
    error: null,
    ...over,
  });
  /** The API as apply sees it: GET /definitions names activation act-2 of version 2. */
  const applyApi = (script: Record<string, unknown>) =>
    new FakeRulesApi({ 'GET /definitions': inForce, ...script });
  const switched = {
    active: { rulesVersion: 3, definitionHash: done.definitionHash },
    previous: active,
  };

  it('asks the API to apply, follows its replay on stderr, then says how to go back', async () => {
    const api = applyApi({
      'POST /ops/rules/applies': applying({
        replay: published({ eventsDone: 100, resumed: true }),
      }),
      'GET /ops/rules/applies/ap-1': [
        applying({ replay: published({ eventsDone: 9000 }) }),
        applying({ status: 'activating', replay: published(done) }),
        applying({ status: 'done', replay: published(done), activation: switched }),
      ],
    });
    const t = recordingIo();
    expect(await applyRules(api, 3, t.io)).toBe(0);
    expect(api.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['GET', '/definitions', undefined],
      ['POST', '/ops/rules/applies', { version: 3, expectedActivationId: 'act-2' }],
      ['GET', '/ops/rules/applies/ap-1', undefined],
      ['GET', '/ops/rules/applies/ap-1', undefined],
      ['GET', '/ops/rules/applies/ap-1', undefined],
    ]);
    expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.role)).toEqual(['ops']);
    expect(t.progress[0]).toMatch(
      /^replay v3 \(sha 1a2b3c4d5e6f7a8b\): 100\/16,000 .*\(resumed\)\n$/,
    );
    expect(t.progress.filter((line) => /done in 4 s/.test(line))).toHaveLength(1);
    expect(t.progress.at(-1)).toMatch(/done in 4 s/);
    expect(t.out).toEqual([
      'rules version 3 is now active: every view and new decisions use it (was 2)',
      'to roll back: tandem rules apply 2',
    ]);
  });

  it('activates at once when the rule set is already built', async () => {
    const api = applyApi({
      'POST /ops/rules/applies': applying({
        status: 'done',
        activation: { active: { rulesVersion: 3, definitionHash: 'x' }, previous: null },
      }),
    });
    const t = recordingIo();
    expect(await applyRules(api, 3, t.io)).toBe(0);
    expect(t.sleeps).toEqual([]);
    expect(t.progress).toEqual([]);
    expect(t.out).toEqual([
      'rules version 3 is now active: every view and new decisions use it (was none)',
    ]);
  });

  it('says so when the version was already active', async () => {
    const api = applyApi({
      'POST /ops/rules/applies': applying({
        status: 'done',
        activation: { active, previous: active },
      }),
    });
    const t = recordingIo();
    expect(await applyRules(api, 2, t.io)).toBe(0);
    expect(t.out).toEqual(['rules version 2 was already active: nothing changed']);
  });

  it('prints the refusal for an unknown version or a rule set that is not ready', async () => {
    const unknown = applyApi({
      'POST /ops/rules/applies': refuse(
        404,
        { message: 'no rules version 9' },
        '/ops/rules/applies',
      ),
    });
    const t = recordingIo();
    expect(await applyRules(unknown, 9, t.io)).toBe(1);
    expect(t.err).toEqual(['refused (404): no rules version 9']);

    const notReady = applyApi({
      'POST /ops/rules/applies': refuse(
        409,
        { message: 'rule set v3 is not ready' },
        '/ops/rules/applies',
      ),
    });
    expect(await applyRules(notReady, 3, t.io)).toBe(1);
    expect(t.err.at(-1)).toBe('refused (409): rule set v3 is not ready');
    expect(t.out).toEqual([]);
  });

  it('lets an outage while following the apply surface as an error rather than a refusal', async () => {
    const api = applyApi({
      'POST /ops/rules/applies': applying({ replay: published({ eventsDone: 100 }) }),
      'GET /ops/rules/applies/ap-1': refuse(503, { message: 'down' }, '/ops/rules/applies/ap-1'),
    });
    const t = recordingIo();
    await expect(applyRules(api, 3, t.io)).rejects.toThrow(ApiError);
    expect(t.out).toEqual([]);
  });

  it('prints why an apply failed while it replayed, and activates nothing', async () => {
    const failed = published({ status: 'failed', eventsDone: 800, error: 'ClickHouse went away' });
    const api = applyApi({
      'POST /ops/rules/applies': applying({ replay: published({ eventsDone: 100 }) }),
      'GET /ops/rules/applies/ap-1': applying({
        status: 'failed',
        replay: failed,
        error: 'the replay of rules version 3 failed: ClickHouse went away',
      }),
    });
    const t = recordingIo();
    expect(await applyRules(api, 3, t.io)).toBe(1);
    expect(t.progress.at(-1)).toBe(`${describeReplay(failed)}\n`);
    expect(t.err).toEqual([
      'apply of rules v3 failed: the replay of rules version 3 failed: ClickHouse went away',
    ]);
    expect(t.out).toEqual([]);
  });

  it('with --force, reads nothing first and applies over whatever is in force', async () => {
    const api = applyApi({
      'POST /ops/rules/applies': applying({ status: 'done', activation: switched }),
    });
    const t = recordingIo();
    expect(await applyRules(api, 3, t.io, { force: true })).toBe(0);
    expect(api.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', '/ops/rules/applies', { version: 3 }],
    ]);
  });

  it('refuses to apply over an activation made since it read the one in force', async () => {
    const api = applyApi({
      'POST /ops/rules/applies': refuse(
        409,
        {
          code: 'activation_changed',
          detail: 'version 3 was not activated: the request expected activation act-2 in force',
        },
        '/ops/rules/applies',
      ),
    });
    const t = recordingIo();
    expect(await applyRules(api, 3, t.io)).toBe(1);
    expect(t.err).toEqual([
      'refused (409): version 3 was not activated: the request expected activation act-2 in force',
      'nothing changed: check tandem rules list, then run it again to apply over what is in force now (or --force)',
    ]);
    expect(t.out).toEqual([]);
  });
});

describe('tandem rules publish', () => {
  it('refuses what the API would refuse to publish, naming the field, before calling it', async () => {
    const api = new FakeRulesApi({ 'POST /definitions': { version: 3 } });
    const lines: string[] = [];
    const repeated = JSON.stringify({
      ...defaultFunnelDefinition,
      version: 3,
      sql: { criteria: ['budget', 'budget'], minimumMet: 1 },
    });
    expect(
      await publishRules(
        api,
        'draft.json',
        (line) => lines.push(line),
        () => Promise.resolve(repeated),
      ),
    ).toBe(2);
    expect(lines).toEqual([
      'draft.json is not a valid funnel definition:',
      '  sql.criteria: must not repeat a value',
    ]);
    expect(api.calls).toEqual([]);
  });

  it('refuses a draft with a field the definition does not have (a typo), naming it: exit 2', async () => {
    const api = new FakeRulesApi({ 'POST /definitions': { version: 3 } });
    const lines: string[] = [];
    const { mql, ...rest } = defaultFunnelDefinition;
    const typo = JSON.stringify({ ...rest, version: 3, mqll: mql });
    const read = () => Promise.resolve(typo);
    expect(await publishRules(api, 'draft.json', (line) => lines.push(line), read)).toBe(2);
    expect(lines).toEqual([
      'draft.json is not a valid funnel definition:',
      '  mqll: is not a field of the definition',
      expect.stringMatching(/^ {2}mql: /),
    ]);
    expect(api.calls).toEqual([]);
  });

  // The CLI sends the draft as JSON.parse read it, re-serialized: the API never sees the file's
  // text, so what JSON.parse read other than the file wrote is refused here (notReadAsSentOf).
  it.each([
    [
      // JSON.parse kept the last threshold and the CLI sent that one: the file said both.
      'naming a key twice',
      '"threshold":99,"threshold":$1',
      'is named more than once in its object (JSON names must be unique, RFC 7493)',
    ],
    [
      // JSON.parse read 65 and the CLI sent 65: the API refuses the file's text in a body.
      'whose number JSON.parse rounds',
      '"threshold":65.00000000000000001',
      'must be a number read exactly as sent: 65.00000000000000001 would be read as 65',
    ],
  ])('refuses a draft %s, naming its path: the API gets it re-serialized', async (_, said, why) => {
    const api = new FakeRulesApi({ 'POST /definitions': { version: 3 } });
    const lines: string[] = [];
    const text = JSON.stringify({ ...defaultFunnelDefinition, version: 3 }).replace(
      /"threshold":(\d+)/,
      said,
    );
    const read = () => Promise.resolve(text);
    expect(await publishRules(api, 'draft.json', (line) => lines.push(line), read)).toBe(2);
    expect(lines).toEqual([
      'draft.json is not a valid funnel definition:',
      `  mql.threshold: ${why}`,
    ]);
    expect(api.calls).toEqual([]);
  });

  it('reads a draft saved with a byte order mark (Windows editors write one) as the draft', async () => {
    const api = new FakeRulesApi({ 'POST /definitions': { version: 3 } });
    const lines: string[] = [];
    const text = JSON.stringify({ ...defaultFunnelDefinition, version: 3 });
    const read = () => Promise.resolve(`\uFEFF${text}`);
    expect(await publishRules(api, 'draft.json', (line) => lines.push(line), read)).toBe(0);
    expect(api.calls).toMatchObject([{ method: 'POST', body: JSON.parse(text) as unknown }]);
  });

  it('says that publishing puts nothing in force, and how to compare and switch', async () => {
    const api = new FakeRulesApi({ 'POST /definitions': { version: 3 } });
    const lines: string[] = [];
    const read = (file: string) => Promise.resolve(draftFile[file as 'draft.json']);
    expect(await publishRules(api, 'draft.json', (line) => lines.push(line), read)).toBe(0);
    expect(lines).toEqual([
      'published funnel definition version 3; nothing changes until you apply it: ' +
        'tandem rules what-if draft.json to compare, tandem rules apply 3 to switch',
    ]);
  });
});

describe('tandem rules list', () => {
  it('keeps the published versions and adds the rule sets, marking the active one', async () => {
    const sets: RuleSetsView['sets'] = [
      {
        ...active,
        name: 'Default B2B',
        kind: 'published',
        status: 'ready',
        eventsDone: 16000,
        eventsTotal: 16000,
        updatedAt: '2026-03-01T09:00:00Z',
      },
      {
        rulesVersion: 3,
        definitionHash: 'sha256:1a2b3c4d5e6f7a8b9999',
        name: 'Stricter MQL',
        kind: 'shadow',
        status: 'building',
        eventsDone: 8123,
        eventsTotal: 16000,
        updatedAt: '2026-03-01T10:00:00Z',
      },
      {
        rulesVersion: 4,
        definitionHash: 'sha256:5555666677778888',
        name: 'Kept live',
        kind: 'published',
        status: 'ready',
        eventsDone: 0,
        eventsTotal: 0,
        updatedAt: null,
      },
    ];
    const api = new FakeRulesApi({
      'GET /definitions': {
        active: 2,
        versions: [
          {
            version: 1,
            name: 'Default',
            publishedAt: '2026-01-01T00:00:00Z',
            publishedBy: 'system',
          },
          {
            version: 2,
            name: 'Default B2B',
            publishedAt: '2026-02-01T00:00:00Z',
            publishedBy: 'ops',
          },
        ],
      },
      'GET /ops/rules': { active, sets },
    });
    const lines: string[] = [];
    expect(await listRules(api, (line) => lines.push(line))).toBe(0);
    expect(lines.slice(0, 3)).toEqual([
      '  v1  2026-01-01T00:00:00Z  system  Default',
      '* v2  2026-02-01T00:00:00Z  ops  Default B2B',
      '',
    ]);
    expect(lines[3]).toBe('RULE SETS (* = active: every view and new decision uses it)');
    expect(lines[6]).toMatch(
      /^\*\s+v2\s+aaaabbbbccccdddd\s+published\s+ready\s+16,000\/16,000\s+2026-03-01T09:00:00Z\s+Default B2B$/,
    );
    expect(lines[7]).toMatch(
      /^\s+v3\s+1a2b3c4d5e6f7a8b\s+shadow\s+building\s+8,123\/16,000\s+.*Stricter MQL$/,
    );
    expect(lines[8]).toMatch(
      /^\s+v4\s+5555666677778888\s+published\s+ready\s+live\s+-\s+Kept live$/,
    );
  });
});

describe('--json on the rules commands: stdout is one JSON document, words go to stderr', () => {
  it('rules apply --json prints the activation', async () => {
    const api = new FakeRulesApi({
      'GET /definitions': inForce,
      'POST /ops/rules/applies': {
        id: 'ap-1',
        rulesVersion: 3,
        definitionHash: 'x',
        status: 'done',
        replay: null,
        activation: { active: { rulesVersion: 3, definitionHash: 'x' }, previous: active },
        error: null,
      } satisfies ApplyView,
    });
    const t = recordingIo();
    expect(await applyRules(api, 3, t.io, { json: true })).toBe(0);
    expect(t.out).toHaveLength(1);
    expect(JSON.parse(t.out[0]!)).toEqual({
      active: { rulesVersion: 3, definitionHash: 'x' },
      previous: active,
      changed: true,
    });
    expect(t.err).toEqual([
      'rules version 3 is now active: every view and new decisions use it (was 2)',
      'to roll back: tandem rules apply 2',
    ]);
  });

  it('rules publish --json prints what the API recorded; refusals go to warn', async () => {
    const read = (file: string) => Promise.resolve(draftFile[file as 'draft.json']);
    const out: string[] = [];
    const err: string[] = [];
    const options = { json: true, warn: (line: string) => err.push(line) };
    const ok = new FakeRulesApi({ 'POST /definitions': { version: 3 } });
    expect(await publishRules(ok, 'draft.json', (l) => out.push(l), read, options)).toBe(0);
    expect(out.map((line) => JSON.parse(line) as unknown)).toEqual([{ version: 3 }]);
    expect(err).toEqual([expect.stringMatching(/^published funnel definition version 3;/)]);
    const stale = new FakeRulesApi({
      'POST /definitions': refuse(422, { message: 'version must be 4' }, '/definitions'),
    });
    expect(await publishRules(stale, 'draft.json', (l) => out.push(l), read, options)).toBe(1);
    expect(out).toHaveLength(1);
    expect(err.at(-1)).toBe('refused (422): version must be 4');
  });

  it('rules list --json prints both API documents', async () => {
    const definitions = { active: 2, versions: [] };
    const ruleSets = { active, sets: [] };
    const api = new FakeRulesApi({ 'GET /definitions': definitions, 'GET /ops/rules': ruleSets });
    const lines: string[] = [];
    expect(await listRules(api, (line) => lines.push(line), { json: true })).toBe(0);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([{ definitions, ruleSets }]);
  });
});
