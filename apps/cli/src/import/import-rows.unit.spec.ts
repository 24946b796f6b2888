/**
 * The import's pure steps: a canonical line becomes a fact or a refusal naming the
 * problem, a lead's facts are ordered the same whatever the order of the rows, and
 * event ids are valid UUIDv7s that depend on the fact, not on where it was read.
 */
import { defaultFunnelDefinition, initialLeadState } from '@tandem/domain';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { parseCanonicalLine } from './canonical-jsonl.source';
import type { ImportFact } from './import-fact';
import { parseImportCommand } from './import-commands';
import { importEventId } from './import-event-id';
import { planImport } from './import-plan';
import { decideLeadFacts } from './lead-facts.decider';
import { time } from './presets/csv-rows';

const where = { file: 'f.jsonl', line: 7 };
const fact0 = { leadId: 'hubspot:1', type: 'RecycleLead', occurredAt: '2025-01-01T00:00:00Z' };
const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('parseCanonicalLine', () => {
  it.each([
    '{"leadId":"crm:1","contact":{"email":erin.shredd@shred-me.example}}',
    '{"leadId":"crm:1","contact":{"name":"Erin Shredd"} "email":"erin.shredd@shred-me.example"}',
    '{"leadId":"crm:1","contact":{"name":"Erin Shredd","email":"erin.shredd@shred-me.example"',
  ])('refuses a line that is not JSON without quoting it: %s', (text) => {
    const row = parseCanonicalLine(text, where);
    expect(row).toMatchObject({
      ok: false,
      leadId: null,
      reason: expect.stringMatching(/^not JSON/),
    });
    const { reason } = row as { reason: string };
    for (const needle of ['erin', 'Erin', 'shred']) expect(reason).not.toContain(needle);
  });

  it('refuses a time ahead of the clock saying so, with the clock it was judged by', () => {
    const when = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-01-02T12:00:00Z'));
    try {
      const row = parseCanonicalLine(
        line({ leadId: 'crm:1', type: 'QualifyLeadAsMql', occurredAt: '2025-01-03T09:00:00Z' }),
        where,
      );
      expect(row).toEqual({
        ok: false,
        where,
        leadId: 'crm:1',
        reason:
          'not a fact: occurredAt: "2025-01-03T09:00:00Z" is in the future: after 2025-01-02T12:00:00Z, ' +
          "this import's clock; a fact cannot be recorded before it happened",
      });
    } finally {
      when.mockRestore();
    }
  });

  it.each(['2025-01-06T09:12:00', '2025-01-06'])(
    'refuses an occurredAt without a zone saying a zone is what it lacks: %s',
    (occurredAt) => {
      const row = parseCanonicalLine(
        line({ leadId: 'crm:1', type: 'QualifyLeadAsMql', occurredAt }),
        where,
      );
      expect(row).toMatchObject({
        ok: false,
        reason: `not a fact: occurredAt: ${JSON.stringify(occurredAt)} is not an ISO-8601 time with a zone (2025-01-06T09:12:00Z, 2025-01-06T10:12:00+01:00)`,
      });
    },
  );

  it('makes a fact with the lead id in its canonical form', () => {
    const row = parseCanonicalLine(
      line({ leadId: 'HubSpot:0042', type: 'AcceptLead', occurredAt: '2025-01-01T10:00:00+01:00' }),
      where,
    );
    expect(row).toEqual({
      ok: true,
      fact: {
        leadId: 'hubspot:42',
        type: 'AcceptLead',
        occurredAt: '2025-01-01T10:00:00+01:00',
        data: {},
        accountId: null,
        where,
      },
    });
  });

  it.each([
    ['{"leadId": ', /^not JSON/, null],
    [
      line({ leadId: 'hubspot:1', type: 'Fly', occurredAt: '2025-01-01T00:00:00Z' }),
      /type/,
      'hubspot:1',
    ],
    [
      line({ leadId: 'hubspot:1', type: 'AcceptLead', occurredAt: '2999-01-01T00:00:00Z' }),
      /occurredAt/,
      'hubspot:1',
    ],
    [
      line({ leadId: 'hubspot:x', type: 'AcceptLead', occurredAt: '2025-01-01T00:00:00Z' }),
      /^leadId .*hubspot id/,
      null,
    ],
    // A field the format does not have, or an account on a fact that cannot carry one, was
    // dropped without a word: a misspelt accountID left the lead without its account.
    [
      line({
        leadId: 'hubspot:1',
        type: 'CaptureLead',
        occurredAt: '2025-01-01T00:00:00Z',
        accountID: 'acme',
      }),
      /accountID/,
      'hubspot:1',
    ],
    [
      line({
        leadId: 'hubspot:1',
        type: 'AcceptLead',
        occurredAt: '2025-01-01T00:00:00Z',
        accountId: 'acme',
      }),
      /^not a fact: accountId: only a CaptureLead line names the lead's account/,
      'hubspot:1',
    ],
    // JSON.parse read the amount as 1, a budget of no decimals, and it was imported so.
    [
      '{"leadId":"hubspot:1","type":"ProfileLead","occurredAt":"2025-01-01T00:00:00Z",' +
        '"data":{"budget":{"amount":1.00000000000000001,"currency":"EUR"}}}',
      /^not a fact: data\.budget\.amount: must be a number read exactly as sent: 1\.00000000000000001 would be read as 1$/,
      'hubspot:1',
    ],
    // JSON.parse kept the last amount: the file's other readers may see the first.
    [
      '{"leadId":"hubspot:1","type":"ProfileLead","occurredAt":"2025-01-01T00:00:00Z",' +
        '"data":{"budget":{"amount":1,"currency":"EUR","amount":1000}}}',
      /^not a fact: data\.budget\.amount: is named more than once in its object \(JSON names must be unique, RFC 7493\)$/,
      'hubspot:1',
    ],
    // Two ids of which neither reads as a lead's: the line names no lead, and is refused alone.
    [
      '{"leadId":"hubspot:x","type":"RecycleLead","occurredAt":"2025-01-01T00:00:00Z",' +
        '"leadId":7}',
      /^not a fact: leadId: is named more than once in its object \(JSON names must be unique, RFC 7493\), so the line names no one lead$/,
      null,
    ],
  ])('refuses %s, saying why', (text, reason, leadId) => {
    const row = parseCanonicalLine(text, where);
    expect(row).toMatchObject({ ok: false, where, leadId });
    expect(row.ok ? '' : row.reason).toMatch(reason);
  });

  // JSON.parse kept the last id: the line was reported as hubspot:2's and refused that lead,
  // then (a later build) refused alone, naming neither: both leads were imported without it,
  // each perhaps without a fact of its own. Each is refused whole, pointing at the line.
  it('refuses every lead a line naming leadId twice names, whole', () => {
    const twice =
      '{"leadId":"hubspot:1","type":"RecycleLead","occurredAt":"2025-01-02T00:00:00Z",' +
      '"data":{"reason":"timing"},"leadId":"HUBSPOT:02"}';
    const row = parseCanonicalLine(twice, where);
    expect(row).toMatchObject({ ok: false, leadId: 'hubspot:1', otherLeadIds: ['hubspot:2'] });
    const accept = (leadId: string, at: number) =>
      parseCanonicalLine(line({ ...fact0, leadId, type: 'AcceptLead' }), { ...where, line: at });
    const plan = planImport({
      hash: '',
      name: 'f.jsonl',
      rows: [accept('hubspot:1', 6), row, accept('hubspot:2', 8), accept('hubspot:3', 9)],
    });
    const reason =
      'not a fact: leadId: is named more than once in its object (JSON names must be unique, ' +
      'RFC 7493): the line names hubspot:1 and hubspot:2, which are refused whole, each';
    expect(plan.leads.map(({ leadId, refusal }) => [leadId, refusal])).toEqual([
      ['hubspot:1', { ...where, leadId: 'hubspot:1', reason }],
      ['hubspot:2', { ...where, leadId: 'hubspot:2', reason }],
      ['hubspot:3', null],
    ]);
    expect(plan).toMatchObject({ orphanRows: [], rows: 4 });
  });

  // `data` was a z.record, which drops `__proto__` without a word: the fact was imported
  // without the key the API refuses (`__proto__: not a field of this request`).
  it('keeps every key of data for the command to judge, `__proto__` included', () => {
    const row = parseCanonicalLine(
      '{"leadId":"hubspot:1","type":"RecycleLead","occurredAt":"2025-01-01T00:00:00Z",' +
        '"data":{"reason":"timing","__proto__":{"reason":"other"}}}',
      where,
    );
    expect(row.ok).toBe(true);
    const { data } = (row as { fact: ImportFact }).fact;
    expect(Object.keys(data)).toEqual(['reason', '__proto__']);
    expect(parseImportCommand('RecycleLead', data)).toEqual({
      ok: false,
      reason: 'RecycleLead: invalid data: __proto__: not a field of this command',
    });
    expect(parseCanonicalLine(line({ ...fact0, data: 'timing' }), where)).toMatchObject({
      ok: false,
      reason: 'not a fact: data: Invalid input: expected an object',
    });
  });
});

describe("time (a CSV export's time cell)", () => {
  it.each([
    ['2025-01-06 09:12', '2025-01-06T09:12:00.000Z'],
    ['2025-01-06', '2025-01-06T00:00:00.000Z'],
    ['2025-01-06T09:12:00Z', '2025-01-06T09:12:00.000Z'],
    ['2025-01-06T09:12:00.000+0000', '2025-01-06T09:12:00.000Z'],
    ['2025-01-06 09:12:30.5 +01:00', '2025-01-06T08:12:30.500Z'],
    ['2025-01-06T09:12-05', '2025-01-06T14:12:00.000Z'],
    ['2024-02-29 10:00', '2024-02-29T10:00:00.000Z'],
  ])('reads %s as %s', (cell, iso) => {
    expect(time(cell)).toBe(iso);
  });

  it.each([
    '2025-02-30',
    '2025-02-29 10:00',
    '2025-01-06 24:00',
    '01/06/2025',
    'Jan 6 2025',
    '6',
    '0',
    '45658',
    '1.5',
    '2025-1-6',
    '2025-01-06T09:12:00+25:00',
  ])('refuses %s rather than guess a day', (cell) => {
    expect(time(cell)).toBeNull();
  });
});

describe('planImport', () => {
  const fact = (type: ImportFact['type'], occurredAt: string, lineNo: number): ImportFact => ({
    leadId: 'crm:1',
    type,
    occurredAt,
    data: {},
    accountId: null,
    where: { file: 'f', line: lineNo },
  });
  const rows = (facts: ImportFact[]) => ({
    hash: 'h',
    name: 'f',
    rows: facts.map((f) => ({ ok: true as const, fact: f })),
  });

  it('orders a lead by business time, then lifecycle, whatever the row order', () => {
    const facts = [
      fact('AcceptLead', '2025-01-02T00:00:00Z', 1),
      fact('RecordTouchpoint', '2025-01-01T00:00:00Z', 2),
      fact('CaptureLead', '2025-01-01T00:00:00Z', 3),
    ];
    const forward = planImport(rows(facts)).leads[0]?.facts.map((f) => f.type);
    const backward = planImport(rows([...facts].reverse())).leads[0]?.facts.map((f) => f.type);
    expect(forward).toEqual(['CaptureLead', 'RecordTouchpoint', 'AcceptLead']);
    expect(backward).toEqual(forward);
  });

  it('refuses a lead whole at its first bad row', () => {
    const plan = planImport({
      hash: 'h',
      name: 'f',
      rows: [
        { ok: true, fact: fact('CaptureLead', '2025-01-01T00:00:00Z', 1) },
        { ok: false, where: { file: 'f', line: 4 }, leadId: 'crm:1', reason: 'later' },
        { ok: false, where: { file: 'f', line: 2 }, leadId: 'crm:1', reason: 'first' },
        { ok: false, where: { file: 'f', line: 3 }, leadId: null, reason: 'orphan' },
      ],
    });
    expect(plan.leads[0]?.refusal).toMatchObject({ line: 2, reason: 'first' });
    expect(plan.orphanRows).toEqual([{ file: 'f', line: 3, leadId: null, reason: 'orphan' }]);
  });
});

describe('decideLeadFacts', () => {
  it('refuses a lead the file captures twice, naming both rows, not as a capture retried', () => {
    const capture = (line: number, name: string): ImportFact => ({
      leadId: 'hubspot:7001',
      type: 'CaptureLead',
      occurredAt: `2025-01-0${line}T10:00:00Z`,
      data: {
        contact: { name, email: 'a@x.example' },
        company: { name: 'Acme' },
        source: { channel: 'web' },
        productInterest: null,
        timeframe: null,
        consent: { marketing: true },
      },
      accountId: null,
      where: { file: 'contacts.csv', line },
    });
    const decided = decideLeadFacts(
      { leadId: 'hubspot:7001', facts: [capture(2, 'Ada'), capture(3, 'Ada L.')] },
      { state: initialLeadState(), accountId: null },
      {
        definition: defaultFunnelDefinition,
        actor: { kind: 'system', id: 'tandem-import:contacts.csv', role: 'system' },
        correlationId: 'import-spec',
      },
    );
    expect(decided).toEqual({
      ok: false,
      where: { file: 'contacts.csv', line: 3 },
      reason:
        'CaptureLead: the file captures lead hubspot:7001 twice (first at contacts.csv:2): a lead is captured once; keep one of the two rows',
    });
  });
});

describe('importEventId', () => {
  const at = Date.parse('2025-03-04T05:06:07.089Z');

  it('is a UUIDv7 carrying the business time', () => {
    const id = importEventId('hubspot:1', 0, 0, 'CaptureLead', at);
    expect(isUuid(id) && uuidVersion(id)).toBe(7);
    expect(parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
  });

  it('is the same for the same fact and differs for any other', () => {
    const id = importEventId('hubspot:1', 2, 0, 'AcceptLead', at);
    expect(importEventId('hubspot:1', 2, 0, 'AcceptLead', at)).toBe(id);
    expect(
      new Set([
        id,
        importEventId('hubspot:2', 2, 0, 'AcceptLead', at),
        importEventId('hubspot:1', 3, 0, 'AcceptLead', at),
        importEventId('hubspot:1', 2, 1, 'AcceptLead', at),
        importEventId('hubspot:1', 2, 0, 'RejectLead', at),
        importEventId('hubspot:1', 2, 0, 'AcceptLead', at + 1),
      ]).size,
    ).toBe(6);
  });
});

describe('a capture that stitches anonymous visitors (ADR 0012)', () => {
  const capture = (visitorIds: unknown) =>
    parseCanonicalLine(
      line({
        leadId: 'hubspot:1001',
        type: 'CaptureLead',
        occurredAt: '2025-01-06T09:12:00Z',
        data: {
          contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
          company: { name: 'Fabbrica Srl' },
          source: { channel: 'paid_search', campaign: 'q1-brand' },
          consent: { marketing: true },
          visitorIds,
        },
      }),
      where,
    );
  const decide = (row: ReturnType<typeof capture>) => {
    if (!row.ok) throw new Error(row.reason);
    return decideLeadFacts(
      { leadId: row.fact.leadId, facts: [row.fact] },
      { state: initialLeadState(), accountId: null },
      {
        definition: defaultFunnelDefinition,
        actor: { kind: 'system', id: 'tandem-import:f.jsonl', role: 'system' },
        correlationId: 'import-test',
      },
    );
  };

  it('records the visitor ids on LeadCaptured, as a live capture does', () => {
    const decided = decide(capture(['v_giulia_laptop_7f3a', 'v_giulia_phone_19c2']));
    if (!decided.ok) throw new Error(decided.reason);
    expect(decided.events[0]?.type).toBe('LeadCaptured');
    expect(decided.events[0]?.data).toMatchObject({
      visitorIds: ['v_giulia_laptop_7f3a', 'v_giulia_phone_19c2'],
    });
  });

  it.each([
    [['giulia@example.com'], /visitorIds\.0/],
    [['v_twice_123', 'v_twice_123'], /visitorIds: must not repeat an id/],
    [[], /visitorIds/],
  ])('refuses visitorIds %j, naming them', (visitorIds, reason) => {
    const decided = decide(capture(visitorIds));
    expect(decided).toMatchObject({ ok: false, where });
    expect(decided.ok ? '' : decided.reason).toMatch(reason);
  });
});
